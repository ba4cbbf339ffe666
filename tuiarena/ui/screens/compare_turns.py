"""Conversations on the compare screen (:class:`CompareTurns`, mixed into ``CompareScreen``).

Each column can show its own model's earlier turns (collapsed by default; ``e`` on a column opens
them). The turns key lists the conversation's turns: picking the last puts its prompt back in the
editor to edit and resend; picking an earlier one starts a branch from there (the turns after it
are left out of the next run's history). Nothing is deleted: every run stays in the session file.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tuiarena.ui.screens.compare_frames import CompareFrames


def earlier_turns(history: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(prompt, answer) pairs from one model's message history (user, assistant, user, ...)."""
    pairs: list[tuple[str, str]] = []
    prompt = ""
    for message in history:
        if message.get("role") == "user":
            prompt = str(message.get("content", ""))
        elif message.get("role") == "assistant":
            pairs.append((prompt, str(message.get("content", ""))))
    return pairs


class TurnPicker(ModalScreen[int | None]):
    """The conversation's turns; Enter returns the chosen turn's index (0 = first)."""

    DEFAULT_CSS = """
    TurnPicker { align: center middle; }
    TurnPicker > Vertical { width: 90%; max-width: 100; height: auto; max-height: 80%;
                            border: round $primary; background: $surface; }
    TurnPicker Static { padding: 0 1; color: $text-muted; height: auto; }
    TurnPicker OptionList { height: auto; max-height: 20; border: none; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", show=False)]

    def __init__(self, prompts: list[str]) -> None:
        super().__init__()
        self.prompts = prompts

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Enter on the last turn: edit its prompt and resend. On an earlier turn: "
                              "branch from there (later turns stay in the session file). Esc closes."))
            last = len(self.prompts) - 1
            yield OptionList(*[
                Option(Text(f"{i + 1:>2} · {' '.join(p.split())[:90]}" + ("  (edit & resend)" if i == last else
                                                                          "  (branch here)")), id=str(i))
                for i, p in enumerate(self.prompts)])

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = len(self.prompts) - 1
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))


class CompareTurns(CompareFrames):
    """A base of :class:`~tuiarena.ui.screens.compare.CompareScreen` (which owns the state)."""

    conversation: list[str]

    def turn_prompts(self) -> list[str]:
        """The user prompt of each turn of the current conversation, oldest first."""
        out = []
        for run_id in self.conversation:
            run = self.view.runs.get(run_id)
            if run is not None:
                out.append(next((str(m.get("content", "")) for m in reversed(run.messages)
                                 if m.get("role") == "user"), ""))
        return out

    def action_turns(self) -> None:
        prompts = self.turn_prompts()
        if not prompts:
            self.notify("no turns yet: run a prompt first", severity="warning", timeout=3)
            return
        self.app.push_screen(TurnPicker(prompts), self.go_to_turn)

    def go_to_turn(self, index: int | None) -> None:
        """Put turn ``index``'s prompt back in the editor; the next run replaces that turn."""
        from tuiarena.ui.widgets.prompt import PromptEditor

        prompts = self.turn_prompts()
        if index is None or not 0 <= index < len(prompts):
            return
        branch = index < len(prompts) - 1
        self.conversation = self.conversation[:index]
        editor = self.query_one(PromptEditor)
        editor.user_text = prompts[index]
        editor.set_turn(index + 1)
        editor.focus_user()
        run_key = self.app.key_for("run", "ctrl+r")
        self.notify(f"turn {index + 1} is back in the editor: edit it and press {run_key} to "
                    + ("branch from there" if branch else "resend it"), timeout=4)
