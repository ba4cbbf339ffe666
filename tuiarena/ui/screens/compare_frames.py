"""The compare screen's redraw timer (:class:`CompareFrames`, mixed into ``CompareScreen``).

Events are folded into the screen's ``ViewState`` as they arrive (cheap, no widget work); this
frame timer brings the columns on screen up to date inside ``app.batch_update()`` — never once per
token — and the results grid once a second, or within a quarter of a second when a model's status
changes. A stream that ends is drawn at once, not at the next tick, and the grid waits until those
columns are on screen.

When the answers would be narrower than :data:`FIT_COLUMN`, they are paged: as many columns as fit
are shown at once (never a sliver of the next), ``]`` / ``[`` walk the columns and turn the page,
and a one-line strip says which answers are on screen. The results grid below stays the compact
view of every model's status, TTFT and progress.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Static

from tuiarena.engine.run.state import ViewState
from tuiarena.ui.paging import column_widths, page_of, per_page
from tuiarena.ui.screens.base import ArenaScreen
from tuiarena.ui.widgets.column import OutputColumn
from tuiarena.ui.widgets.results import ResultsGrid

GRID_STATUS_S = 0.25  # a change of status reaches the results grid within this (its figures: 1 s)
FIT_COLUMN = 30  # all columns share the width down to this; below it they are paged


class ColumnsArea(Horizontal):
    """Where the output columns live; a change of its size (terminal, roster, zoom) re-lays them out."""

    def on_resize(self) -> None:
        screen = self.screen
        if isinstance(screen, CompareFrames):
            screen.call_after_refresh(screen.layout_columns)


class CompareFrames(ArenaScreen):
    """The base of :class:`~tuiarena.ui.screens.compare.CompareScreen` (which owns the state)."""

    view: ViewState
    current_run_id: str | None
    _frame_soon: bool
    _dirty: bool
    _live: bool
    _zoomed: OutputColumn | None
    _grid_at: float
    _grid_states: tuple[str, ...]
    _grid_finals: tuple[str, ...]
    _grid_held: float
    _frame_timer: Timer
    _column_width: int
    _anchor: OutputColumn | None
    page: int

    def frame(self) -> None:
        self._frame_soon = False
        if not (self._dirty or self._live):
            self._frame_timer.pause()
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
            # column's own stats line is live), a change of status (and the TTFT that comes with
            # the first token) within GRID_STATUS_S: at 80 columns the grid is where the models off
            # the page show theirs. Not at once: first tokens come in bursts, and a repaint in the
            # middle of one holds the GIL while the engine thread timestamps the others (at once:
            # +16% TTFT in bench/render.py). A final row waits until the column that just ended is
            # on screen.
            states = tuple(c.status for c in cols)
            finals = tuple(c.response_id for c in cols if c.final)  # these at once
            now = time.monotonic()
            if self._grid_held and now - self._grid_held > 0.5:  # the column went away meanwhile
                self._grid_held = 0.0
            # (through the column's queue: the callback then waits for the column's repaint)
            if ended is not None and not self._grid_held and ended.call_after_refresh(self._release_grid):
                self._grid_held = now
            since = now - self._grid_at
            if not self._grid_held and ((states != self._grid_states and since >= GRID_STATUS_S) or since >= 1.0
                                        or finals != self._grid_finals):
                self._grid_states, self._grid_finals, self._grid_at = states, finals, now
                self.query_one(ResultsGrid).sync(cols)
            else:
                self._dirty = True
        self._live = any(not c.final for c in cols)
        self._dirty = self._dirty or pending  # columns not mounted yet: draw them next frame

    def _release_grid(self) -> None:
        self._grid_held = 0.0
        self.wake()

    def visible_columns(self) -> list[OutputColumn]:
        """The columns on screen: the current page (or the zoomed one).

        A column off the page is not redrawn; it catches up in the frame after its page is shown.
        """
        columns = list(self.query(OutputColumn))
        if self._zoomed is not None:
            return [c for c in columns if c is self._zoomed]
        per = self.per_page(len(columns))
        return columns[self.page * per:(self.page + 1) * per]

    def per_page(self, n: int) -> int:
        area = self.query_one("#columns", Horizontal)
        return per_page(area.size.width, n, FIT_COLUMN) if area.size.width else max(n, 1)

    def show_column(self, column: OutputColumn) -> None:
        """Turn to the page that holds ``column``."""
        self._anchor = column  # kept in view by every later layout (resize, roster, unzoom)
        self.layout_columns()

    def layout_columns(self) -> None:
        """Share the width between the columns of the current page; hide the others."""
        area = self.query_one("#columns", Horizontal)
        columns = list(self.query(OutputColumn))
        if not columns or not area.size.width:
            return
        total, n = area.size.width, len(columns)
        anchor = getattr(self, "_anchor", None)
        at = page_of(n, self.per_page(n), columns.index(anchor) if anchor in columns else None, self.page)
        self.page = at.page
        shown = columns[at.start:at.stop]
        widths = dict(zip(shown, column_widths(total, len(shown))))
        self._column_width = total // len(shown)
        self.wake()
        with self.app.batch_update():
            self.set_class(at.pages > 1, "-paged")
            if at.pages > 1:
                self.query_one("#pages", Static).update(Text(at.strip(
                    self.app.key_for("next_column", "alt+right"), self.app.key_for("prev_column", "alt+left"))))
            for column in columns:
                on_page = column is self._zoomed if self._zoomed is not None else column in shown
                column.display = on_page
                if column is self._zoomed:
                    column.styles.width = "1fr"
                elif on_page:
                    column.styles.width = widths[column]
