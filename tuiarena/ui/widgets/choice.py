"""A one-line picker for a few fixed options (:class:`Choice`), keyboard first.

Textual's ``Select`` is a button, an overlay and an option list: about 40 ms of the first paint,
for the prompt's three response formats. This shows the current option and steps through them:
space, enter, → or ↓ for the next, ← or ↑ for the previous; a click moves to the next.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice--arrow"}
    DEFAULT_CSS = """
    Choice { height: 1; width: 18; color: $foreground; background: $surface; padding: 0 1 0 0; }
    Choice:focus { background-tint: $foreground 5%; }
    Choice > .choice--arrow { color: $foreground 50%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter,right,down", "step(1)", "Next option", show=False, id="choice_next"),
        Binding("left,up", "step(-1)", "Previous option", show=False, id="choice_previous"),
    ]

    class Changed(Message):
        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: list[tuple[str, str]], value: str | None = None, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.options = list(options)
        values = [v for _label, v in self.options]
        self._index = values.index(value) if value in values else 0

    @property
    def value(self) -> str:
        return self.options[self._index][1]

    @value.setter
    def value(self, value: str) -> None:
        values = [v for _label, v in self.options]
        if value not in values:
            raise ValueError(f"{value!r} is not one of the options")
        self._set_index(values.index(value))

    @property
    def label(self) -> str:
        return self.options[self._index][0]

    def _set_index(self, index: int) -> None:
        index %= len(self.options)
        if index != self._index:
            self._index = index
            self.refresh()
            self.post_message(self.Changed(self, self.value))

    def action_step(self, step: int) -> None:
        self._set_index(self._index + step)

    def on_click(self) -> None:
        self.focus()
        self.action_step(1)

    def render(self) -> Text:
        width = max(self.size.width, 2)
        text = Text(self.label, no_wrap=True, overflow="ellipsis")
        text.truncate(width - 2, overflow="ellipsis", pad=True)
        text.append(" ")
        text.append("▼", style=self.get_component_rich_style("choice--arrow"))
        return text
