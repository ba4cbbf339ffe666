"""Widgets that hand the compositor finished lines of their own (:class:`OwnLines`).

They draw their own padding and background (no border, outline, tint or opacity) and keep each
finished line with the object it shows, so a line is built once, when it first appears at a row.
Why: docs/decisions/0006-own-lines.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget


class OwnLines(Widget):
    """A widget whose content rows come from ``row_source(y) -> (kind, item, build)``.

    A row is rebuilt only when its ``kind`` or ``item`` is not the one it showed before (both
    compared by identity; the cache holds them, so an id cannot be recycled): ``kind`` is a
    constant naming how the row is drawn, ``item`` what it shows (a wrapped line, a Markdown
    strip), ``build()`` returns the content Strip. Pass ``fresh()`` as the item for a row that
    must be drawn every time. Subclasses call :meth:`forget_rows` when something else changes the
    look of rows (the widget's styles do so by themselves).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frame: tuple | None = None
        self._row_keys: list[Any] = []
        self._row_strips: list[Strip | None] = []

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.forget_rows()

    def forget_rows(self) -> None:
        self._frame = None
        self._row_keys, self._row_strips = [], []

    def row_source(self, y: int) -> tuple[object, Any, Callable[[], Strip] | None]:
        raise NotImplementedError

    def _outer_frame(self, filters: list) -> tuple:
        size = self.outer_size
        frame = self._frame
        if frame is None or frame[0] != size or frame[1] != [id(f) for f in filters]:
            base_background, background = self.background_colors
            inner = Style(background=base_background + background).rich_style
            top, right, bottom, left = self.styles.padding
            frame = (size, [id(f) for f in filters], inner, background, top, right, bottom, left)
            self._frame = frame
            self._row_keys = [(None, None)] * size.height
            self._row_strips = [None] * size.height
        return frame

    def render_lines(self, crop: Region) -> list[Strip]:
        filters = list(self.get_line_filters())
        (width, height), _ids, inner, background, top, right, bottom, left = self._outer_frame(filters)
        content_width = max(width - left - right, 0)
        keys, cache = self._row_keys, self._row_strips
        strips = []
        kind: object
        for y in crop.line_range:
            if y >= height:
                break
            if y < top or y >= height - bottom:
                kind, item, build = PAD, None, None
            else:
                kind, item, build = self.row_source(y - top)
            strip = cache[y]
            if strip is None or keys[y][0] is not kind or keys[y][1] is not item:
                if build is None:
                    strip = Strip([Segment(" " * width, inner)], width)
                else:
                    line = build().adjust_cell_length(content_width, inner)
                    segments = list(line)
                    if left:
                        segments.insert(0, Segment(" " * left, inner))
                    if right:
                        segments.append(Segment(" " * right, inner))
                    strip = Strip(segments, width)
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
                keys[y], cache[y] = (kind, item), strip
            strips.append(strip)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips


class TextLine(OwnLines):
    """One line of text drawn straight from a Rich ``Text`` (never markup), cut with an ellipsis.

    A ``Static`` re-runs Textual's content pipeline (visualize, wrap, format, styles cache) on every
    update; the stats line changes every frame in every column, so this builds its one Strip itself.
    """

    DEFAULT_CSS = "TextLine { height: 1; }"

    def __init__(self, text: Text | None = None, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._text = text if text is not None else Text()
        self._base: RichStyle | None = None

    @property
    def text(self) -> Text:
        return self._text

    def update(self, text: Text) -> None:
        if text.plain == self._text.plain and text.spans == self._text.spans and text.style == self._text.style:
            return
        self._text = text
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None

    def row_source(self, y: int) -> tuple[str, object, Callable[[], Strip]]:
        if y:
            return "blank", None, lambda: Strip.blank(self.size.width, self.rich_style)
        return "text", self._text, self.render_text

    def render_text(self) -> Strip:
        text = self._text.copy()
        text.truncate(self.size.width, overflow="ellipsis")
        return self.render_row(text)

    def render_row(self, text: Text) -> Strip:
        """One row's Strip from ``text`` (already cut to the width)."""
        width = self.size.width
        if self._base is None:  # rich_style walks the ancestors: once per style change
            self._base = self.rich_style
        base = self._base
        segments = [Segment(seg.text, base + seg.style if seg.style else base)
                    for seg in text.render(self.app.console) if seg.text]
        return Strip(segments).extend_cell_length(width, base)


PAD = "pad"  # a padding row (or a blank one: ``build`` None)


def fresh() -> object:
    """An item no cached row has: the row is drawn again."""
    return object()


__all__ = ["PAD", "OwnLines", "TextLine", "fresh"]
