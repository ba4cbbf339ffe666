"""The results grid: one row per response of the current run, updated live, sortable."""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from tuiarena import fmt
from tuiarena.engine.run.state import ColumnState

# key, title, right-aligned: what people compare first (model, status, TTFT, total, tokens, cost)
# comes first, so it is on screen at 80 columns; the rest follows
COLUMNS = [
    ("model", "Model", False), ("status", "Status", False), ("ttft", "TTFT ms", True), ("total", "Total s", True),
    ("completion", "Tokens", True), ("cost", "Cost", True), ("tps", "Tok/s", True), ("ttft_answer", "Ans TTFT", True),
    ("prompt", "Prompt", True), ("connect", "Conn ms", True), ("error", "Error", False),
]

# fixed widths: the title plus room for the sort mark (" ▲"), so a sorted title is never cut
WIDTHS = {"status": 10, "ttft": 9, "ttft_answer": 10, "total": 9, "tps": 8, "prompt": 8, "connect": 9, "completion": 8,
          "cost": 10, "error": 40}


def status_word(col: ColumnState) -> str:
    """The status as the grid and the column header say it: an answer cut by max_tokens says so."""
    rec = col.record
    if rec is not None and col.status == "done" and rec.finish_reason in ("length", "content_filter"):
        return "length" if rec.finish_reason == "length" else "filtered"
    return col.status


class Cell(Text):
    """A table cell that sorts by its value (unknown values last), not by its text.

    It renders its one line directly: the grid repaints every cell whenever one changes, and
    Rich's general wrap-and-justify path was a third of that.
    """

    def __init__(self, display: str, value: Any = None, right: bool = False, style: str = "") -> None:
        super().__init__(display, style=style, justify="right" if right else "left", no_wrap=True, overflow="ellipsis")
        self.sort_value = value

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:  # type: ignore[override]
        if "\n" in self.plain:
            yield from super().__rich_console__(console, options)
            return
        width = options.max_width
        line = self.copy()
        if self.justify == "right":
            line.rstrip()
            line.truncate(width, overflow=self.overflow)
            line.pad_left(width - line.cell_len)
        else:
            line.truncate(width, overflow=self.overflow, pad=True)
        out = Text()
        out.append_text(line)  # the cell's own style becomes a span, as Rich's joined lines do
        yield from out.render(console, end="\n")


def _sort_key(cell: Any) -> tuple:
    value = getattr(cell, "sort_value", None)
    if value is None:
        return (1, "")
    return (0, value) if isinstance(value, (int, float)) else (0, str(value).lower())


def row_cells(col: ColumnState, mask_timings: bool = False) -> list[Cell]:
    rec = col.record
    est = rec.tokens_estimated if rec is not None else True
    timed = not mask_timings
    ttft = col.ttft_ms if timed else None
    ans = col.ttft_answer_ms if timed else None
    total = rec.total_ms if rec is not None and timed else None
    connect = rec.connect_ms if rec is not None and timed else None
    tps = col.live_tokens_per_s if timed else None
    prompt = rec.prompt_tokens if rec is not None else None
    compl = col.completion_tokens
    cost = rec.cost_usd if rec is not None else None
    error = fmt.visible(rec.error or "").replace("\n", " ") if rec is not None else ""
    word = status_word(col)
    status_style = {"done": "green", "error": "red", "cut": "yellow", "cancelled": "yellow",
                    "length": "yellow", "filtered": "yellow"}.get(word, "dim")
    return [
        Cell(col.model, col.model),
        Cell(word, word, style=status_style),
        Cell(fmt.ms(ttft) if timed else "…", ttft, True),
        Cell(fmt.seconds(total) if timed else "…", total, True),
        Cell(fmt.tokens(compl, est), compl, True),
        Cell(fmt.cost(cost) if rec is not None else fmt.DASH, cost, True),
        Cell(fmt.rate(tps) if timed else "…", tps, True),
        Cell(fmt.ms(ans) if timed else "…", ans, True),
        Cell(fmt.tokens(prompt, est), prompt, True),
        Cell(fmt.ms(connect) if timed else "…", connect, True),
        Cell(error, error or None, style="red"),
    ]


class ResultsGrid(DataTable):
    """Rows keyed by response id. ``s`` cycles the sort column, ``S`` reverses the order."""

    DEFAULT_CSS = """
    ResultsGrid { height: auto; max-height: 9; scrollbar-size-horizontal: 0; }  /* ← → scroll it sideways */
    ResultsGrid > .datatable--fixed { background: transparent; }  /* the model column looks like the rest */
    """

    BINDINGS = [
        Binding("s", "cycle_sort", "Sort", id="sort_results"),
        Binding("S", "reverse_sort", "Reverse", id="reverse_sort", show=False),
        # sideways a whole column at a time (the model column stays): Error is ~9 presses away at
        # 80 columns, not ~50 cell by cell
        Binding("right", "scroll_column(1)", "Next column", id="results_scroll_right", show=False),
        Binding("left", "scroll_column(-1)", "Previous column", id="results_scroll_left", show=False),
    ]

    def __init__(self, *, mask_timings: bool = False, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.fixed_columns = 1  # the model's name stays in view when the grid scrolls sideways
        self.mask_timings = mask_timings
        self._versions: dict[str, int] = {}
        self._plain: dict[str, list[str]] = {}
        self.sort_column: str | None = None
        self.sort_reverse = False

    def on_mount(self) -> None:
        # Fixed widths for the figures: a width change re-lays out the screen, and the last figures
        # arrive exactly when several streams end at once. The model column sizes itself as rows
        # are added, which happens before the run starts.
        for key, title, right in COLUMNS:
            self.add_column(Text(title, justify="right" if right else "left"), key=key, width=WIDTHS.get(key))

    def reset(self) -> None:
        """Empty, scrolled back to the first column (a new run starts at model, status, TTFT)."""
        self.clear()
        self.scroll_to(x=0, y=0, animate=False, immediate=True)
        self._versions.clear()
        self._plain.clear()

    def sync(self, cols: list[ColumnState]) -> bool:
        """Add or update the rows whose version moved. Returns True when something changed."""
        changed = False
        for col in cols:
            if self._versions.get(col.response_id) == col.version:
                continue
            self._versions[col.response_id] = col.version
            cells = row_cells(col, self.mask_timings)
            plain = [c.plain for c in cells]
            previous = self._plain.get(col.response_id)
            self._plain[col.response_id] = plain
            if col.response_id not in self.rows:
                self.add_row(*cells, key=col.response_id)
                changed = True
                continue
            olds: list[str | None] = list(previous) if previous else [None] * len(plain)
            for (key, _t, _r), cell, text, old in zip(COLUMNS, cells, plain, olds):
                if text != old:  # only cells that changed
                    self.update_cell(col.response_id, key, cell)
                    changed = True
        if changed and self.sort_column:
            self._apply_sort()
        return changed

    def action_scroll_column(self, step: int) -> None:
        """Scroll sideways so the next (previous) column starts at the left edge, after the model."""
        widths = [c.get_render_width(self) for c in self.ordered_columns[self.fixed_columns:]]
        starts = [sum(widths[:i]) for i in range(len(widths))]
        x = round(self.scroll_x)
        target = next((s for s in starts if s > x), x) if step > 0 else max((s for s in starts if s < x), default=0)
        self.scroll_to(x=min(target, self.max_scroll_x), animate=False)

    def remove_response(self, response_id: str) -> None:
        if response_id in self.rows:
            self.remove_row(response_id)
        self._versions.pop(response_id, None)
        self._plain.pop(response_id, None)

    def _apply_sort(self) -> None:
        if self.sort_column:
            self.sort(self.sort_column, key=_sort_key, reverse=self.sort_reverse)

    def action_cycle_sort(self) -> None:
        keys = [k for k, _t, _r in COLUMNS]
        nxt = keys[(keys.index(self.sort_column) + 1) % len(keys)] if self.sort_column in keys else "ttft"
        self.set_sort(nxt, self.sort_reverse)

    def action_reverse_sort(self) -> None:
        self.set_sort(self.sort_column or "model", not self.sort_reverse)

    def set_sort(self, column: str, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        titles = {k: (t, r) for k, t, r in COLUMNS}
        for key, col in self.columns.items():
            title, right = titles[str(key.value)]
            mark = (" ▼" if reverse else " ▲") if key.value == column else ""
            # justified like the figures below it, as the unsorted title is
            col.label = Text(title + mark, justify="right" if right else "left")
        self._apply_sort()
        self.refresh()
