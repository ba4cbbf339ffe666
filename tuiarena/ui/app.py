"""The Textual application: one Workspace, one Runner, the current session, themes and keys.

Startup paints at once: config and themes load synchronously (small files), discovery runs in a
worker and fills the roster when it reports. Everything the user can fix (a broken config, a bad
theme, a missing key) is a notification; an internal error becomes one line on exit plus a log
file, never a traceback on the screen.

Around it: ``app_options`` (what it is started with), ``app_discovery`` (the worker that finds the
models), ``app_nav`` (keys per screen, titles, idle cursor), ``themes`` (theme files and the
choice at start), ``crash`` (the one-line internal error).
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from tuiarena import runtime
from tuiarena.errors import UserError
from tuiarena.model import Event, RunStarted, SessionRenamed
from tuiarena.ui.app_discovery import Discovery
from tuiarena.ui.app_options import DEFAULT_PICK, AppOptions, StartRequest
from tuiarena.ui.commands import ArenaCommands
from tuiarena.ui.crash import crash_line, redact_secrets
from tuiarena.ui.gcpolicy import QuietCollector
from tuiarena.ui.themes import DEFAULT_THEME, install_themes

if TYPE_CHECKING:
    from textual.theme import Theme

    from tuiarena.engine.run.background import EngineThread, EventInbox, ThreadedRunner
    from tuiarena.engine.workspace import Workspace
    from tuiarena.store.config import Config
    from tuiarena.store.sessions import SessionWriter
    from tuiarena.ui.screens.compare import CompareScreen

__all__ = ["DEFAULT_PICK", "AppOptions", "StartRequest", "TuiArena", "redact_secrets", "run_app"]


class TuiArena(Discovery):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses may live elsewhere
    TITLE = "tuiarena"
    COMMANDS = App.COMMANDS | {ArenaCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("ctrl+n", "new_session", "New session", id="new_session", show=False),
        Binding("f2", "rename_session", "Rename", id="rename_session", show=False),
        # every screen has its own key; priority, so a text box (f7 selects all in one) never eats it
        Binding("f7", "open_screen('blind')", "Blind", id="open_blind", priority=True,
                tooltip="open the blind arena"),
        Binding("f8", "open_screen('suite')", "Suites", id="open_suite", priority=True,
                tooltip="open the test suites"),
        Binding("f9", "open_screen('sessions')", "Sessions", id="open_sessions", priority=True,
                tooltip="open the saved sessions"),
        Binding("f10", "open_screen('leaderboard')", "Board", id="open_leaderboard", priority=True,
                tooltip="open the leaderboard"),
        Binding("f11", "open_screen('history')", "History", id="open_history", priority=True,
                tooltip="open the per-model history"),
    ]

    def __init__(self, options: AppOptions | None = None, start: StartRequest | None = None) -> None:
        super().__init__()
        runtime.configure(ui=True)  # the engine thread streams beside this loop
        self._errors = io.StringIO()
        # an unhandled error's traceback is kept off the terminal: see crash_report()
        self.error_console = Console(file=self._errors, markup=False, highlight=False, width=120,
                                     color_system=None, legacy_windows=False)
        self.options = options or AppOptions()
        self.start = start or StartRequest()
        self.problems: list[str] = []
        self._config_broken = False
        self.config = self._load_config()
        self.prompt_history: list[str] = list(self.config.ui.history)
        self.workspace: Workspace | None = None
        self.runner: ThreadedRunner | None = None  # once discovery is done
        self.engine: EngineThread | None = None
        self.inbox: EventInbox | None = None
        self.listeners: list[Callable[[Event], Any]] = []
        self.discovered = asyncio.Event()  # set once discovery has filled the roster (or failed)
        self._writer: SessionWriter | None = None
        self.run_writers: dict[str, SessionWriter] = {}  # run id -> the session writer its events go to
        self._session_name = ""
        self._write_failed = False
        self.collector = QuietCollector()
        self._last_input = time.monotonic()
        self._blinking = True
        self.problems += install_themes(self, self.config.ui.theme)
        self.sub_title = "new session"

    def _load_config(self) -> Config:
        from tuiarena.store.config import Config, load_config
        from tuiarena.store.paths import config_file

        try:
            return load_config()
        except UserError as exc:
            self.problems.append(f"{exc} (running on defaults; settings are not saved until it is fixed)")
            self._config_broken = True
            return Config(path=config_file())

    def get_default_screen(self) -> Screen[Any]:
        from tuiarena.ui.screens.compare import CompareScreen

        return CompareScreen()

    @property
    def compare_screen(self) -> CompareScreen | None:
        from tuiarena.ui.screens.compare import CompareScreen

        for screen in self.screen_stack:
            if isinstance(screen, CompareScreen):
                return screen
        return None

    def on_mount(self) -> None:
        if self.config.keys:
            try:
                self.set_keymap(dict(self.config.keys))
            except Exception as exc:  # a bad key name in [keys]
                self.problems.append(f"[keys] in config.toml: {exc}")
            screen = self.compare_screen
            if screen is not None:
                screen.keys_changed()
        if self.problems:
            self.notify("\n".join(self.problems), title="configuration", severity="error", markup=False, timeout=12)
        # saved as Textual announces the theme (not one message later): whoever listens after us sees it saved
        self.theme_changed_signal.subscribe(self, self._theme_changed, immediate=True)
        self.collector.start_up()

    def on_ready(self) -> None:
        """The first frame is on the screen (Textual's ``Ready``, sent once, whichever screen drew
        it). Not ``call_after_refresh`` from ``on_mount``: that callback belongs to the screen on top
        when it is handled, and a dialog pushed at start (the voter's label in ``serve``) and
        dismissed before its first refresh took it along: discovery never started."""
        self._first_frame_done()

    def _first_frame_done(self) -> None:
        if self.start.session is not None:  # --session: the saved session, as Enter on the sessions screen
            self.open_session(self.start.session)
            self.start.session = None
        self.collector.settle()
        self.set_interval(2.0, self._idle_tick)
        # Discovery starts after the first frame: it fills the roster, and building the SDK
        # clients (on the engine thread) takes turns with the event loop for the GIL.
        self.discover_models()

    def open_session(self, path: Path) -> None:
        """A saved session as Enter on the sessions screen opens it: a suite as it ended (matrix,
        summary), anything else replayed at once."""
        from tuiarena.store.sessions import read_header

        try:
            kind = read_header(path).kind
        except (OSError, UserError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if kind == "suite":
            from tuiarena.ui.screens.suite import SuiteScreen

            self.push_screen(SuiteScreen(session=path))
            return
        from tuiarena.ui.screens.replay import ReplayScreen

        self.push_screen(ReplayScreen(path, instant=True))

    # -- events -----------------------------------------------------------------------------------
    def add_listener(self, fn: Callable[[Event], Any]) -> None:
        self.listeners.append(fn)

    def remove_listener(self, fn: Callable[[Event], Any]) -> None:
        if fn in self.listeners:
            self.listeners.remove(fn)

    def _deliver(self, event: Event) -> None:
        """One event from the engine, on this thread: into the session file, then to the screens."""
        self.collector.last_activity = time.monotonic()
        self._session_sink(event)
        self._ui_sink(event)

    def _ui_sink(self, event: Event) -> None:
        for fn in list(self.listeners):
            try:
                fn(event)
            except Exception as exc:  # a display bug must not fail a response
                self.log.error(f"listener failed: {exc!r}")

    def _session_sink(self, event: Event) -> None:
        if not event.persisted:
            return
        own = self.run_writers.get(getattr(event, "run_id", None) or "")
        if own is not None:  # a screen with its own session file (a suite judged blind)
            try:
                own.write(event)
            except (OSError, ValueError) as exc:
                self.notify(f"cannot write the session file: {exc}", severity="error", markup=False)
            return
        if self._writer is None and type(event) is RunStarted:
            self.session_writer()
        if self._writer is None:
            return
        try:
            self._writer.write(event)
        except (OSError, ValueError) as exc:
            if not self._write_failed:
                self._write_failed = True
                self.notify(f"cannot write the session file: {exc}", severity="error", markup=False)

    # -- sessions ---------------------------------------------------------------------------------
    def session_writer(self, name: str = "") -> SessionWriter:
        """The current session's writer, created on first use."""
        if self._writer is None:
            from tuiarena.store.sessions import SessionWriter

            self._session_name = self._session_name or name.strip() or "untitled"
            self._writer = SessionWriter.create(kind="compare", name=self._session_name)
            self._show_session_name(self._session_name)
        return self._writer

    @property
    def session_name(self) -> str:
        return self._session_name

    def rename_session(self, name: str) -> None:
        name = " ".join(name.split())
        if not name:
            return
        self._session_name = name
        self._show_session_name(name)
        if self._writer is not None:
            self._session_sink(SessionRenamed(name=name))

    def action_new_session(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = None
        self._session_name = ""
        self._show_session_name("new session")
        self.notify("new session: the next run starts a new session file", timeout=3)

    def action_rename_session(self) -> None:
        from tuiarena.ui.dialogs import TextPrompt

        def done(value: str | None) -> None:
            if value:
                self.rename_session(value)

        self.push_screen(TextPrompt("Session name", self._session_name), done)

    def set_theme(self, name: str) -> None:
        self.theme = name

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name == (self.config.ui.theme or DEFAULT_THEME):
            return
        self.config.ui.theme = theme.name
        self._save_ui({"theme": theme.name})

    def save_selection(self, selected: list[str]) -> None:
        self.config.ui.selected = list(selected)
        self._save_ui({"selected": list(selected)})

    def _save_ui(self, changes: dict[str, Any]) -> None:
        from tuiarena.store.state import save_state

        try:  # state.json beside config.toml: the user's config.toml is never rewritten by the UI
            save_state(**changes)
        except (UserError, OSError) as exc:
            self.notify(f"could not save settings: {exc}", severity="error", markup=False)

    def remember_prompt(self, prompt: str) -> None:
        from tuiarena.store.config import append_history

        try:
            self.prompt_history = append_history(prompt)
        except OSError:
            self.prompt_history = [p for p in self.prompt_history if p != prompt.strip()] + [prompt.strip()]

    def recall_prompt(self, prompt: str) -> None:
        from tuiarena.ui.widgets.prompt import PromptEditor

        screen = self.compare_screen
        if screen is not None:
            editor = screen.query_one(PromptEditor)
            editor.user_text = prompt
            editor.focus_user()

    # -- shutdown and errors -----------------------------------------------------------------------
    async def on_unmount(self) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        if self.runner is not None:
            try:
                await self.runner.aclose()
            except Exception as exc:  # closing clients at exit must not turn into a traceback
                self.log.error(f"closing the engine: {exc!r}")
            self.runner = None
        if self.inbox is not None:
            self.inbox.drain()  # the last events (cancelled responses) still go into the session file
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for writer in {id(w): w for w in self.run_writers.values()}.values():
            writer.close()
        self.run_writers.clear()
        if self.workspace is not None:
            await self.workspace.aclose()
            self.workspace = None
        self.collector.restore()

    def crash_report(self) -> str | None:
        """After ``run()``: if an unhandled error ended the app, save its traceback (redacted, to a
        private file) and return one line for the terminal (see :mod:`tuiarena.ui.crash`)."""
        named = {e.api_key_env for e in self.config.endpoints.values() if e.api_key_env}
        return crash_line(self._errors.getvalue(), named)


def run_app(start: StartRequest | None = None) -> int:
    """``tuiarena`` (with no command)."""
    app = TuiArena(start=start)
    app.run()
    crash = app.crash_report()
    if crash:
        print(crash, file=sys.stderr)
    return app.return_code or 0
