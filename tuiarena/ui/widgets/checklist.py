"""A SelectionList (:class:`CheckList`) and a Checkbox (:class:`TickBox`) whose boxes say checked
or not without colour: ``[x]`` / ``[ ]``.

Textual draws the same "X" in every box and tells them apart by colour alone, which a 16-colour
or monochrome terminal (or a colour-blind user) cannot see.
"""

from __future__ import annotations

from typing import Generic

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import SelectionType


class CheckList(Generic[SelectionType], SelectionList[SelectionType]):
    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return line
        segments = list(line)
        if len(segments) < 3:
            return line
        left, inner, right = segments[:3]
        mark = "x" if selection.value in self._selected else " "
        segments[:3] = [Segment("[", left.style), Segment(mark, inner.style), Segment("]", right.style)]
        return Strip(segments, line.cell_length)


class TickBox(Checkbox):
    """A Checkbox drawn ``[x] label`` / ``[ ] label``, like :class:`CheckList`'s rows (Textual's
    ``▐X▌`` is the same glyph on or off)."""

    def render(self) -> Content:
        mark = Content.styled("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button"))
        return Content.assemble(mark, self.label.pad(1, 1).stylize_before(self.get_visual_style("toggle--label")))
