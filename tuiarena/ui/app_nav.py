"""Getting around the app (:class:`Navigation`, mixed into ``TuiArena``): a key per screen, titles
that name the screen, keys as bound now (after ``[keys]``), the palette's system entries, and a
cursor that stops blinking when nobody types (so an idle app does not repaint twice a second).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

if TYPE_CHECKING:
    from tuiarena.ui.app_options import AppOptions
    from tuiarena.ui.gcpolicy import QuietCollector
    from tuiarena.ui.screens.compare import CompareScreen

BLINK_FOR_S = 10.0  # the cursor blinks this long after the last key or click, then stays on
SCREEN_CLASSES = {"blind": "BlindScreen", "leaderboard": "LeaderboardScreen", "sessions": "SessionsScreen",
                  "suite": "SuiteScreen", "history": "HistoryScreen"}
# what a screen opened by key is given: blind battles (runs and votes) go to a blind session of their
# own, not into the compare session that happens to be open
SCREEN_ARGS: dict[str, dict[str, Any]] = {"blind": {"session_name": "blind arena"}}
# the screen each title names (the header reads "tuiarena — <screen>")
SCREEN_LABELS = {"CompareScreen": "compare", "BlindScreen": "blind arena", "SuiteScreen": "suites",
                 "CellDetailScreen": "suite cell", "SessionsScreen": "sessions", "ReplayScreen": "replay",
                 "DiffScreen": "diff", "LeaderboardScreen": "leaderboard", "HistoryScreen": "history"}


class Navigation(App[None]):
    """The base of :class:`~tuiarena.ui.app.TuiArena` (which owns the state)."""

    options: AppOptions
    collector: QuietCollector
    _last_input: float
    _blinking: bool

    if TYPE_CHECKING:
        @property
        def compare_screen(self) -> CompareScreen | None: ...

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Every full screen's header names the screen ("tuiarena — blind arena"), not the session."""
        label = SCREEN_LABELS.get(type(screen).__name__) if isinstance(screen, Screen) else None
        if label and screen.sub_title is None:
            screen.sub_title = label
        return super().push_screen(screen, *args, **kwargs)

    def _show_session_name(self, name: str) -> None:
        self.sub_title = name
        screen = self.compare_screen
        if screen is not None:
            screen.sub_title = f"compare · {name}"

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette entries, without those our commands already give (keys, help)."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys",):
                yield command

    def _idle_tick(self) -> None:
        self.collector.tick()
        # the cursor stops blinking after a while without input, as terminals do: each blink is a
        # repaint, and an idle app should not repaint twice a second
        if self.options.cursor_blink and self._blinking and time.monotonic() - self._last_input > BLINK_FOR_S:
            self._set_blink(False)

    def _set_blink(self, on: bool) -> None:
        self._blinking = on
        from textual.widgets import Input, TextArea

        for area in self.screen.query(TextArea):
            area.cursor_blink = on
        for field in self.screen.query(Input):
            field.cursor_blink = on

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self._last_input = time.monotonic()
            if self.options.cursor_blink and not self._blinking:
                self._set_blink(True)
        await super().on_event(event)

    # -- other screens ----------------------------------------------------------------------------
    def action_open_screen(self, name: str) -> None:
        self.open_screen(name)

    def open_screen(self, name: str) -> None:
        import importlib

        cls_name = SCREEN_CLASSES.get(name)
        if cls_name is None:
            self.notify(f"unknown screen {name!r}", severity="error", markup=False)
            return
        try:
            module = importlib.import_module(f"tuiarena.ui.screens.{name}")
            cls = getattr(module, cls_name)
        except (ModuleNotFoundError, AttributeError):
            self.notify(f"{name}: not available yet", severity="warning", markup=False)
            return
        if isinstance(self.screen, cls):
            return
        if any(isinstance(s, cls) for s in self.screen_stack):  # already open below: go back to it
            while not isinstance(self.screen, cls):
                self.pop_screen()
            return
        self.push_screen(cls(**SCREEN_ARGS.get(name, {})))

    def key_for(self, binding_id: str, default: str) -> str:
        """The key bound to ``binding_id`` now (after ``[keys]``), as the key bar shows it."""
        keys = (getattr(self, "_keymap", None) or {}).get(binding_id, default)
        return self.get_key_display(Binding(keys.split(",")[0].strip(), ""))

    def keys_for(self, binding_id: str, default: str) -> str:
        """Every key bound to ``binding_id`` now, as the key bar shows them: ``a / ←``."""
        keys = (getattr(self, "_keymap", None) or {}).get(binding_id, default)
        return " / ".join(self.get_key_display(Binding(k.strip(), "")) for k in keys.split(",") if k.strip())

    # -- small services ------------------------------------------------------------------------------
    def run_screen_action(self, action: str) -> None:
        screen = self.compare_screen
        if screen is not None:
            self.call_next(self.run_action, action, screen)

    def action_help(self) -> None:
        from tuiarena.ui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

