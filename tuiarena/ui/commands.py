"""The command palette (ctrl+p): every action of the app by name, themes, screens, prompt history."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


def arena_commands(app) -> list[tuple[str, str, Callable[[], object]]]:
    """(title, help, callback) for every action a user can take from the compare screen."""
    screen = app.compare_screen
    cmds: list[tuple[str, str, Callable[[], object]]] = [
        ("Run prompt", "send the prompt to every selected model (ctrl+r)", partial(app.run_screen_action, "run")),
        ("Cancel all streams", "stop every response in flight", partial(app.run_screen_action, "cancel_all")),
        ("New conversation", "the next prompt starts fresh (no follow-up history)",
         partial(app.run_screen_action, "new_conversation")),
        ("New session", "start a new session file (ctrl+n)", app.action_new_session),
        ("Rename session", "edit the current session's name", app.action_rename_session),
        ("System prompt", "show or hide the system prompt box", partial(app.run_screen_action, "toggle_system")),
        ("Toggle model list", "show or hide the roster", partial(app.run_screen_action, "toggle_roster")),
        ("Filter models", "type to narrow the roster", partial(app.run_screen_action, "filter_models")),
        ("Older prompt", "previous prompt from history", partial(app.run_screen_action, "history(-1)")),
        ("Newer prompt", "next prompt from history", partial(app.run_screen_action, "history(1)")),
        ("Sort results", "cycle the results grid's sort column", partial(app.run_screen_action, "sort_results")),
        ("Help: keys", "every key binding", app.action_help),
    ]
    if screen is not None:
        for action, title, help_ in (
            ("zoom", "Zoom column", "focused column full width (again to restore)"),
            ("copy", "Copy column text", "copy the focused column's answer (OSC 52, works over SSH)"),
            ("cancel", "Cancel column", "stop the focused column's stream"),
            ("rerun", "Re-run column", "run the focused column's model again, alone"),
        ):
            cmds.append((title, help_, partial(screen.column_action, action)))
    for name, title in (("blind", "Blind arena"), ("leaderboard", "Leaderboard"), ("sessions", "Sessions"),
                        ("suite", "Test suites")):
        cmds.append((f"Open: {title}", f"open the {title.lower()} screen", partial(app.open_screen, name)))
    for theme in sorted(app.available_themes):
        cmds.append((f"Theme: {theme}", "switch theme (remembered in config.toml)", partial(app.set_theme, theme)))
    for prompt in reversed(getattr(app, "prompt_history", [])[-20:]):
        one_line = " ".join(prompt.split())
        cmds.append((f"History: {one_line[:70]}", "put this prompt back in the editor",
                     partial(app.recall_prompt, prompt)))
    return cmds


class ArenaCommands(Provider):
    async def discover(self) -> Hits:
        for title, help_, callback in arena_commands(self.app):
            if title.startswith("History:"):
                continue
            yield DiscoveryHit(title, callback, help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_, callback in arena_commands(self.app):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_)
