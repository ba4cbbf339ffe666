"""The command palette (ctrl+p): every action of the app by name, screens, prompt history.

Themes are one entry ("Theme", Textual's own picker, listing only the themes the app keeps)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


def arena_commands(app) -> list[tuple[str, str, Callable[[], object]]]:
    """(title, help, callback) for every action a user can take from the compare screen.

    The keys named in the help text are the ones bound now (after ``[keys]`` in config.toml)."""
    screen = app.compare_screen

    def key(binding_id: str, default: str) -> str:
        return f" ({app.key_for(binding_id, default)})"

    act = partial(partial, app.run_screen_action)
    cmds: list[tuple[str, str, Callable[[], object]]] = [
        ("Run prompt", "send the prompt to every selected model" + key("run", "ctrl+r"), act("run")),
        ("Cancel all streams", "stop every response in flight" + key("cancel_all", "ctrl+g"), act("cancel_all")),
        ("New conversation", "the next prompt starts fresh (no follow-up history)" + key("new_conversation", "ctrl+l"),
         act("new_conversation")),
        ("Turns: edit or branch", "edit and resend the last prompt, or branch from an earlier turn"
         + key("turns", "f5"), act("turns")),
        ("New session", "start a new session file" + key("new_session", "ctrl+n"), app.action_new_session),
        ("Rename session", "edit the current session's name" + key("rename_session", "f2"), app.action_rename_session),
        ("System prompt", "show or hide the system prompt box" + key("toggle_system", "f6"), act("toggle_system")),
        ("Edit prompt in $EDITOR", "write the prompt in your own editor" + key("edit_in_editor", "ctrl+o"),
         act("edit_in_editor")),
        ("Toggle model list", "show or hide the roster" + key("toggle_roster", "ctrl+t"), act("toggle_roster")),
        ("Filter models", "type to narrow the roster" + key("filter_models", "/"), act("filter_models")),
        ("Older prompt", "previous prompt from history" + key("history_prev", "ctrl+up"), act("history(-1)")),
        ("Newer prompt", "next prompt from history" + key("history_next", "ctrl+down"), act("history(1)")),
        ("Sort results", "cycle the results grid's sort column" + key("sort_results", "s"), act("sort_results")),
        ("Help: keys", "every key binding" + key("help", "f1"), app.action_help),
    ]
    if screen is not None:
        for action, title, help_, default in (
            ("zoom", "Zoom column", "focused column full width (again to restore)", "z"),
            ("copy", "Copy column text", "copy the focused column's answer (OSC 52, works over SSH)", "c"),
            ("cancel", "Cancel column", "stop the focused column's stream", "escape"),
            ("rerun", "Re-run column", "run the focused column's model again, alone", "r"),
        ):
            cmds.append((title, help_ + key(action, default), partial(screen.column_action, action)))
    for name, title in (("blind", "Blind arena"), ("suite", "Test suites"), ("sessions", "Sessions"),
                        ("leaderboard", "Leaderboard"), ("history", "History")):
        default = {"blind": "f7", "suite": "f8", "sessions": "f9", "leaderboard": "f10", "history": "f11"}[name]
        cmds.append((f"Open: {title}", f"open the {title.lower()} screen" + key(f"open_{name}", default),
                     partial(app.open_screen, name)))
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
