"""One anonymous side of a blind battle (:class:`BlindColumn`): titled "A" or "B" only, neutral
status words, no reasoning, no token counts, prices or speeds until :meth:`BlindColumn.reveal`.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tuiarena import fmt
from tuiarena.engine.arena import invalid_reason
from tuiarena.engine.run.state import ColumnState
from tuiarena.ui.widgets.column import stats_text
from tuiarena.ui.widgets.streamtext import LiveText

NEUTRAL_STATUS = {"waiting": "waiting", "thinking": "writing", "streaming": "writing", "done": "done",
                  "cut": "failed", "cancelled": "failed", "error": "failed"}


class BlindColumn(Vertical):
    """One anonymous side. ``side`` is "A" or "B"; the model is only shown after :meth:`reveal`."""

    DEFAULT_CSS = """
    BlindColumn { width: 1fr; height: 1fr; border: round $panel-lighten-2; }
    BlindColumn:focus-within { border: round $primary; }
    BlindColumn > .blind-header { height: 1; padding: 0 1; background: $panel; }
    BlindColumn > .blind-stats { height: 2; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, side: str, show_speed: bool = False, mask_timings: bool = False) -> None:
        super().__init__(id=f"side-{side.lower()}")
        self.side = side
        self.show_speed = show_speed
        self.mask_timings = mask_timings
        self.col: ColumnState | None = None
        self.revealed = False
        self._version = -1
        self._md_key: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._header("waiting"), classes="blind-header")
        yield Static("", classes="blind-stats")
        yield LiveText()  # fixed size: streaming and the final Markdown never re-layout the screen

    @property
    def body(self) -> LiveText:
        return self.query_one(LiveText)

    def _header(self, status: str) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.side, style="bold")
        text.append(f"  {NEUTRAL_STATUS.get(status, status)}", style="dim")
        if self.revealed and self.col is not None:
            text.append("  ·  ")
            text.append(self.col.model, style="bold")
        return text

    def clear(self) -> None:
        """Empty, as before the first battle."""
        self.col, self.revealed, self._version, self._md_key = None, False, -1, None
        self.body.clear()
        self.query_one(".blind-stats", Static).update("")
        self.query_one(".blind-header", Static).update(self._header("waiting"))

    def start(self, col: ColumnState) -> None:
        self.col, self.revealed, self._version, self._md_key = col, False, -1, None
        self.body.clear()
        self.query_one(".blind-stats", Static).update("")
        self.sync()

    def sync(self) -> None:
        col = self.col
        if col is None:
            return
        stats = self.query_one(".blind-stats", Static)
        if self.revealed:
            stats.update(self._reveal_stats(col))
        elif self.show_speed:  # [ui] show_speed_in_blind: TTFT and tok/s only, never tokens or cost
            tps = col.record.tokens_per_s if col.record is not None else col.live_tokens_per_s
            speed = "TTFT … · … tok/s" if self.mask_timings else \
                f"TTFT {fmt.ms(col.ttft_ms)}ms · {fmt.rate(tps)} tok/s"
            stats.update(Text(speed, no_wrap=True), layout=False)
        if col.version == self._version:
            return
        self._version = col.version
        self.body.sync("", col.text)  # reasoning stays hidden: it can name the model
        self.query_one(".blind-header", Static).update(self._header(col.status), layout=False)
        if col.final and self._md_key != (col.response_id, col.version):
            self._md_key = (col.response_id, col.version)
            self.body.show_final(col.text or None)

    def _reveal_stats(self, col: ColumnState) -> Text:
        text = stats_text(col, col.record.total_ms if col.record else None, self.mask_timings)
        problem = invalid_reason(col.record)
        if problem:
            text.append(f"\n{problem}", style="bold red")
        return text

    def reveal(self) -> None:
        self.revealed = True
        self._version = -1
        self.sync()
