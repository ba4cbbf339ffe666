"""The compare screen's redraw timer (:class:`CompareFrames`, mixed into ``CompareScreen``).

Events are folded into the screen's ``ViewState`` as they arrive (cheap, no widget work); this
frame timer brings the columns on screen up to date inside ``app.batch_update()`` — never once per
token — and the results grid once a second. A stream that ends is drawn at once, not at the next
tick, and the grid waits until those columns are on screen.
"""

from __future__ import annotations

import time

from textual.containers import HorizontalScroll
from textual.geometry import Size

from tuiarena.engine.run.state import ViewState
from tuiarena.ui.screens.base import ArenaScreen
from tuiarena.ui.widgets.column import OutputColumn
from tuiarena.ui.widgets.results import ResultsGrid

MIN_COLUMN = 36  # below this the roster makes way; a column that must scroll sideways is this wide
FIT_COLUMN = 30  # all columns share the width down to this (no sideways scrolling), then scroll


class CompareFrames(ArenaScreen):
    """The base of :class:`~tuiarena.ui.screens.compare.CompareScreen` (which owns the state)."""

    view: ViewState
    current_run_id: str | None
    _frame_soon: bool
    _dirty: bool
    _live: bool
    _zoomed: OutputColumn | None
    _grid_at: float
    _grid_finals: tuple[str, ...]
    _grid_held: float
    _column_widths_for: Size | None

    def frame(self) -> None:
        self._frame_soon = False
        area = self.query_one("#columns", HorizontalScroll)
        if area.size != self._column_widths_for:  # resized: share the new width
            self._column_widths_for = area.size
            self.layout_columns()
        if not (self._dirty or self._live):
            return
        self._dirty = False
        run = self.view.runs.get(self.current_run_id or "")
        if run is None:
            return
        cols = self.view.columns_of(run.run_id)
        pending = False
        ended: OutputColumn | None = None
        with self.app.batch_update():
            for widget in self.visible_columns():
                col = self.view.columns.get(widget.response_id)
                if col is not None:
                    if widget.sync(col) and col.final:
                        ended = widget
                    pending = pending or not widget.ready
            # the grid is costly to repaint (~25 ms at 240x60): live figures once a second (each
            # column's own stats line is live), every final row at once, but only once the columns
            # that just ended are on screen
            finals = tuple(c.response_id for c in cols if c.final)
            now = time.monotonic()
            if self._grid_held and now - self._grid_held > 0.5:  # the column went away meanwhile
                self._grid_held = 0.0
            # (through the column's queue: the callback then waits for the column's repaint)
            if ended is not None and not self._grid_held and ended.call_after_refresh(self._release_grid):
                self._grid_held = now
            if not self._grid_held and (finals != self._grid_finals or now - self._grid_at >= 1.0):
                self._grid_finals, self._grid_at = finals, now
                self.query_one(ResultsGrid).sync(cols)
            else:
                self._dirty = True
        self._live = any(not c.final for c in cols)
        self._dirty = self._dirty or pending  # columns not mounted yet: draw them next frame

    def _release_grid(self) -> None:
        self._grid_held = 0.0
        self._dirty = True

    def visible_columns(self) -> list[OutputColumn]:
        """The columns on screen (or the zoomed one).

        A column scrolled out of view (or hidden by a zoom) is not redrawn: Textual rebuilds its map
        of the whole screen whenever a widget outside the view asks for a repaint, which costs more
        than a frame. It catches up in the frame after it scrolls into view.
        """
        columns = list(self.query(OutputColumn))
        if self._zoomed is not None:
            return [c for c in columns if c is self._zoomed]
        width = self._column_width
        if not width:
            return columns
        area = self.query_one("#columns", HorizontalScroll)
        left = int(area.scroll_x)
        right = left + area.size.width
        return [c for i, c in enumerate(columns) if i * width < right and (i + 1) * width > left]

    def _scrolled(self) -> None:
        self._dirty = True  # columns that came into view catch up at the next frame

    def layout_columns(self) -> None:
        """Share the width between columns; below MIN_COLUMN each they scroll sideways."""
        area = self.query_one("#columns", HorizontalScroll)
        columns = list(self.query(OutputColumn))
        if not columns or not area.size.width:
            return
        total = area.size.width
        n = len(columns)
        width = total // n
        if width < FIT_COLUMN:  # they cannot all fit: scroll sideways, each at a comfortable width
            width = MIN_COLUMN
        self._column_width = width
        self._dirty = True
        for i, column in enumerate(columns):
            if column.has_class("-zoomed"):
                column.styles.width = "1fr"
            elif i == n - 1 and width * n <= total:
                column.styles.width = total - width * (n - 1)
            else:
                column.styles.width = width
