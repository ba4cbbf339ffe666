"""One model's answer: header (model + status), live stats line, reasoning apart, answer text.

The column never listens to events itself. The compare screen's frame timer calls :meth:`sync`
with the column's view state (``tuiarena.engine.run.state.ColumnState``); the column redraws only
when ``version`` moved (plus the elapsed clock while the response is in flight).

Everything in a column keeps its size while it streams and when it ends: the text lives in one
:class:`LiveText` box (plain while streaming, rendered Markdown once the stream ends, the error
below), so a frame repaints a few regions and never asks the whole screen for a new layout.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Static

from tuiarena import fmt
from tuiarena.engine.run.state import ColumnState
from tuiarena.ui.widgets.lines import TextLine
from tuiarena.ui.widgets.results import status_word
from tuiarena.ui.widgets.streamtext import LiveText

STATUS_STYLE = {
    "waiting": "dim", "thinking": "italic", "streaming": "bold", "done": "bold green",
    "cut": "bold yellow", "cancelled": "bold yellow", "error": "bold red",
    "length": "bold yellow", "filtered": "bold yellow",
}
STATUS_WIDTH = 9  # the longest status word: the model name beside it never moves when it changes
# said under the answer where the status word alone would not explain it
FINISH_NOTE = {"length": "cut at max tokens (finish_reason: length): raise max to get the rest",
               "filtered": "stopped by the provider's content filter (finish_reason: content_filter)"}
STATUS_CLASSES = tuple(f"-{s}" for s in STATUS_STYLE)


def stats_parts(col: ColumnState, elapsed_ms: float | None, mask_timings: bool = False) -> list[str]:
    """The column's figures, most important first: TTFT, total time, tokens, cost, retries, then
    tok/s, connect and prefill times (a narrow column shows as many as fit, in this order)."""
    rec = col.record
    tokens = col.completion_tokens
    est = rec.tokens_estimated if rec is not None else True
    parts = []
    if mask_timings:
        parts.append("TTFT …")
    else:
        parts.append(f"TTFT {fmt.ms(col.ttft_ms)}ms" if col.ttft_ms is not None else "TTFT —")
        parts.append(f"{fmt.seconds(elapsed_ms)}s")
    parts.append(f"{fmt.tokens(tokens, est)} tok")
    if rec is not None and (rec.cost_usd is not None or rec.completion_tokens):  # nothing billed: no cost shown
        parts.append(fmt.cost(rec.cost_usd))
    if col.retries:
        parts.append(f"{col.retries} retr{'y' if col.retries == 1 else 'ies'}")
    if rec is not None and not rec.streamed:
        parts.append("not streamed")
    if not mask_timings:
        parts.append(f"{fmt.rate(col.live_tokens_per_s)} tok/s")
    if rec is not None and not mask_timings:
        if rec.connect_ms is not None:
            parts.append(f"conn {fmt.ms(rec.connect_ms)}ms")
        if rec.server_prompt_ms is not None:
            parts.append(f"prefill {fmt.ms(rec.server_prompt_ms)}ms")
    return parts


def stats_text(col: ColumnState, elapsed_ms: float | None, mask_timings: bool = False) -> Text:
    """``TTFT 120ms · 3.52s · ~300 tok · $0.00012 · 85.2 tok/s`` (always a Text: never markup)."""
    return Text(" · ".join(stats_parts(col, elapsed_ms, mask_timings)))


class StatsLine(TextLine):
    """The stats line: whole figures in priority order, never one cut in the middle (``$0.0000…``
    read as a price of zero). Narrower than :data:`ONE_ROW_WIDTH` it takes two rows, so TTFT,
    total, tokens and cost still show in a column of 24 cells; a trailing ``+N`` says how many
    figures did not fit (the results grid has them all). The height changes only with the width,
    never while a stream runs."""

    ONE_ROW_WIDTH = 46  # "TTFT 1234ms · 12.34s · ~1234 tok · $0.00012" and a little

    def __init__(self, parts: list[str] | None = None, *, classes: str | None = None) -> None:
        self.parts = list(parts or [])
        super().__init__(Text(" · ".join(self.parts)), classes=classes)
        self._rows: list[Text] = []
        self._rows_for: tuple[Text, int, int] | None = None

    def set_parts(self, parts: list[str]) -> None:
        self.parts = list(parts)
        self.update(Text(" · ".join(self.parts)))

    def on_resize(self) -> None:
        rows = 1 if self.size.width >= self.ONE_ROW_WIDTH else 2
        if self.styles.height is None or self.styles.height.value != rows:
            self.styles.height = rows

    def row_source(self, y: int) -> tuple[str, object, Callable[[], Strip]]:
        width, height = self.size
        if self._rows_for is None or self._rows_for[0] is not self.text or self._rows_for[1:] != (width, height):
            self._rows_for = (self.text, width, height)
            rows = pack_parts(self.parts, width, max(height, 1))
            self._rows = [Text(line, no_wrap=True, overflow="ellipsis") for line in rows]
        if y >= len(self._rows):
            return "blank", None, lambda: Strip.blank(self.size.width, self.rich_style)
        row = self._rows[y]
        return "text", row, lambda: self._draw(row)

    def _draw(self, row: Text) -> Strip:
        row = row.copy()
        row.truncate(self.size.width, overflow="ellipsis")
        return self.render_row(row)


def pack_parts(parts: list[str], width: int, rows: int, sep: str = " · ") -> list[str]:
    """``parts`` in order, as many as fit, on at most ``rows`` lines of ``width`` cells; the last
    line ends `` +N`` for the N left out. A part is never split (one wider than a line is cut)."""
    lines: list[list[str]] = [[]]
    placed = 0
    for part in parts:
        line = lines[-1]
        if not line or cell_len(sep.join([*line, part])) <= width:
            line.append(part)
        elif len(lines) < rows:
            lines.append([part])
        else:
            break
        placed += 1
    left = len(parts) - placed
    while left:  # room for " +N" on the last line, giving back parts if needed
        last = lines[-1]
        mark = f" +{left}"
        if cell_len(sep.join(last) + mark) <= width or len(last) <= 1:
            lines[-1] = [sep.join(last) + mark]
            break
        last.pop()
        left += 1
    return [sep.join(line) for line in lines]


class OutputColumn(Vertical):
    """One response column. ``response_id`` identifies it; ``model`` is its model id."""

    DEFAULT_CSS = """
    OutputColumn { width: 1fr; min-width: 24; height: 1fr; border: round $panel-lighten-2; padding: 0 0; }
    OutputColumn:focus-within { border: round $primary; }
    OutputColumn > .col-header { height: 1; padding: 0 1; background: $panel; }
    OutputColumn > .col-stats { height: 1; padding: 0 1; color: $text-muted; }
    OutputColumn > .col-turns { height: 1; padding: 0 1; color: $text-muted; }
    OutputColumn > .col-earlier { display: none; height: 1fr; padding: 0 1; border-bottom: dashed $panel-lighten-2; }
    OutputColumn.-earlier > .col-earlier { display: block; }
    """

    BINDINGS = [
        Binding("z", "zoom", "Zoom", id="zoom"),
        Binding("c", "copy", "Copy", id="copy"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("r", "rerun", "Re-run", id="rerun"),
        Binding("t", "toggle_reasoning", "Reasoning", id="toggle_reasoning", show=False),
        Binding("e", "toggle_earlier", "Earlier turns", id="toggle_earlier", show=False),
    ]

    class Action(Message):
        """Asks the screen to act on this column (cancel, re-run, zoom)."""

        def __init__(self, column: OutputColumn, action: str) -> None:
            super().__init__()
            self.column = column
            self.action = action

    def __init__(self, response_id: str, model: str, *, mask_timings: bool = False, jump_phase: float = 0.0,
                 earlier: list[tuple[str, str]] | None = None) -> None:
        super().__init__(classes="output-column")
        self.earlier = list(earlier or [])  # this model's own earlier turns: (prompt, answer)
        self.response_id = response_id
        self.model = model
        self.mask_timings = mask_timings
        self.jump_phase = jump_phase  # see LiveText._settle: columns side by side take turns to jump
        self._version = -1
        self._status = ""
        self._ready = False
        self._started = time.monotonic()
        self._final_key: tuple | None = None
        self.text = ""
        self.shown_final_at: float | None = None  # perf_counter when the full text was on screen

    def compose(self) -> ComposeResult:
        yield TextLine(self._header("waiting"), classes="col-header")
        yield StatsLine(["TTFT —"], classes="col-stats")
        if self.earlier:  # collapsed by default: one line saying they are there
            n = len(self.earlier)
            yield TextLine(Text(f"▸ {n} earlier turn{'s' if n != 1 else ''} · e shows them", no_wrap=True,
                                overflow="ellipsis"), classes="col-turns")
            with VerticalScroll(classes="col-earlier"):
                yield Static(self._earlier_text())
        yield LiveText(jump_phase=self.jump_phase)

    def _earlier_text(self) -> Text:
        text = Text()
        for i, (prompt, answer) in enumerate(self.earlier, 1):
            text.append(f"{i}. you> ", style="bold")
            text.append(fmt.visible(prompt) + "\n")
            text.append(f"{i}. {self.model}> ", style="bold")
            text.append(fmt.visible(answer) + "\n\n")
        return text

    def action_toggle_earlier(self) -> None:
        if not self.earlier:
            return
        self.toggle_class("-earlier")
        n = len(self.earlier)
        mark, verb = ("▾", "hides") if self.has_class("-earlier") else ("▸", "shows")
        self.query_one(".col-turns", TextLine).update(Text(f"{mark} {n} earlier turn{'s' if n != 1 else ''} · "
                                                           f"e {verb} them", no_wrap=True, overflow="ellipsis"))

    def _header(self, status: str) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(status.ljust(STATUS_WIDTH), style=STATUS_STYLE[status])
        text.append("  ")
        text.append(self.model, style="bold")
        return text

    @property
    def shown_version(self) -> int:
        """The version of the column state this widget last drew (-1: none yet)."""
        return self._version

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def body(self) -> LiveText:
        """The focusable, independently scrolling text of this column."""
        return self._live if self._ready else self.query_one(LiveText)

    @property
    def rendered(self) -> bool:
        """The stream has ended and its final form (Markdown, error) is on screen."""
        return self._ready and self._final_key is not None and bool(self._live.rendered)

    def on_mount(self) -> None:
        self._live = self.query_one(LiveText)
        self._head = self.query_one(".col-header", TextLine)
        self._stats = self.query_one(".col-stats", StatsLine)
        self._ready = True

    def reset(self, response_id: str, model: str) -> None:
        """Point this column at a new response (a re-run)."""
        self.response_id, self.model = response_id, model
        self._version = -1
        self._status = ""
        self._final_key = None
        self._started = time.monotonic()
        self.shown_final_at = None
        if self._ready:
            self._live.clear()

    # -- drawing ----------------------------------------------------------------------------
    def sync(self, col: ColumnState) -> bool:
        """Bring the widget up to ``col``; returns True if the column changed."""
        if not self._ready:
            return False
        changed = col.version != self._version
        if changed:
            if col.status == "waiting" and not col.answer_chars and not col.reasoning_chars:
                self._started = time.monotonic()
                if self._final_key is not None:
                    self._live.clear()
                self._final_key = None
            self._version = col.version
            self._live.sync(col.reasoning, col.text)
            self.text = col.text
            word = status_word(col)
            if word != self._status:  # the header changes only with the status
                self._status = word
                self._head.update(self._status_header(col))
            if col.final:
                self._finalise(col)
        if changed or not col.final:
            self._stats.set_parts(stats_parts(col, self._elapsed(col), self.mask_timings))
        return changed

    def _elapsed(self, col: ColumnState) -> float | None:
        if col.record is not None:
            return col.record.total_ms
        return (time.monotonic() - self._started) * 1000.0

    def _status_header(self, col: ColumnState) -> Text:
        self.model = col.model
        return self._header(status_word(col))

    def _finalise(self, col: ColumnState) -> None:
        rec = col.record
        key = (col.response_id, col.version)
        if self._final_key == key:
            return
        self._final_key = key
        error = ""
        if rec is not None and rec.error:
            label = {"cancelled": "cancelled", "cut": "cut off"}.get(rec.status, f"error ({rec.error_kind})")
            error = f"{label}: {fmt.visible(rec.error)}"
        else:
            error = FINISH_NOTE.get(status_word(col), "")
        markdown = col.text if col.text and col.status in ("done", "cut", "cancelled") else None
        self._live.show_final(markdown, error)
        self.call_after_refresh(self._stamp_shown)

    def _stamp_shown(self) -> None:
        self.shown_final_at = time.perf_counter()  # the full text has been painted (benchmarks read this)

    # -- actions (the screen does the work) ----------------------------------------------------
    def action_zoom(self) -> None:
        self.post_message(self.Action(self, "zoom"))

    def action_copy(self) -> None:
        self.post_message(self.Action(self, "copy"))

    def action_cancel(self) -> None:
        self.post_message(self.Action(self, "cancel"))

    def action_rerun(self) -> None:
        self.post_message(self.Action(self, "rerun"))

    def action_toggle_reasoning(self) -> None:
        self._live.set_show_reasoning(not self._live.show_reasoning)
