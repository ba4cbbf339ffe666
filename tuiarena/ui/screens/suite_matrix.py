"""The suite screen's matrix tab (:class:`SuiteMatrix`): a progress row (bar and figures), the
cases x models table and a hint line.

It draws what a :class:`~tuiarena.ui.screens.suite_state.LiveSuite` holds: :meth:`SuiteMatrix.setup`
once per suite, :meth:`SuiteMatrix.draw` on the screen's frame timer (only the cells that changed,
inside ``app.batch_update()``). Enter on a cell is the table's own ``DataTable.CellSelected``,
which bubbles up to the screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, ProgressBar, Static

from tuiarena import fmt
from tuiarena.ui.screens.suite_state import LiveSuite
from tuiarena.ui.screens.suite_widgets import cell_text, short_names


class SuiteMatrix(Vertical):
    DEFAULT_CSS = """
    SuiteMatrix { height: 1fr; }
    SuiteMatrix #progress-row { height: 1; padding: 0 1; }
    SuiteMatrix #progress { width: auto; }
    SuiteMatrix #progress Bar { width: 16; }
    SuiteMatrix #progress-text { width: 1fr; padding: 0 0 0 1; color: $text-muted; }
    SuiteMatrix #matrix { height: 1fr; }
    SuiteMatrix #matrix-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=1, show_eta=False, id="progress")
            yield Static(id="progress-text")
        yield DataTable(id="matrix", cursor_type="cell", zebra_stripes=True)
        yield Static(id="matrix-hint")

    def on_mount(self) -> None:
        key = self.app.key_for  # type: ignore[attr-defined]  # the keys as bound now, after [keys]
        self.query_one("#progress-text", Static).update(
            Text(f"not run yet: {key('suite_run', 'ctrl+r')} runs the chosen suite"))
        self.hint()

    def hint(self, news: str = "") -> None:
        """The line under the matrix: what enter and esc do, after ``news`` (how the run ended)."""
        key = self.app.key_for  # type: ignore[attr-defined]
        keys = f"enter: answers side by side · {key('suite_back', 'escape')} cancels a run"
        self.query_one("#matrix-hint", Static).update(Text(f"{news} · {keys}" if news else keys))

    @property
    def table(self) -> DataTable:
        return self.query_one("#matrix", DataTable)

    def setup(self, live: LiveSuite) -> None:
        """Empty cells for every case and model of ``live`` (a new run or a reopened session)."""
        self.hint()
        table = self.table
        table.clear(columns=True)
        names = short_names(live.models)
        table.add_column("case", key="::case")
        for m in live.models:
            table.add_column(Text(fmt.visible(names[m])), key=m)
        for case in live.suite.cases:
            table.add_row(Text(fmt.visible(case.id), no_wrap=True, overflow="ellipsis"),
                          *[cell_text([], "pending", live.repeat) for _ in live.models], key=case.id)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=len(live.suite.cases) * live.repeat * len(live.models), progress=0)

    def draw(self, live: LiveSuite) -> None:
        """Redraw the cells that changed since the last call, and the progress bar."""
        table = self.table
        for case_id, model in live.take_dirty():
            results, state = live.cell_state(case_id, model)
            table.update_cell(case_id, model, cell_text(results, state, live.repeat), update_width=True)
        if live.progress is not None:
            self.query_one("#progress", ProgressBar).update(progress=live.progress.done)

    def progress_line(self, live: LiveSuite | None, final: str = "", elapsed: float | None = None) -> None:
        """The figures beside the bar: done/total, passed, failed, errors, cached, judged (the judge
        works after the answers: without it the line would sit at N/N while it grades), cost, time."""
        p = live.progress if live is not None else None
        if p is None:
            text = final or "starting…"
        else:
            cached = f" cached {p.cached}" if p.cached else ""
            took = "" if elapsed is None else f" · {elapsed:.1f}s"
            judged = f" · judged {p.judged}/{p.judge_queued}" if getattr(p, "judge_queued", 0) else ""
            text = (f"{p.done}/{p.total} ✓{p.passed} ✗{p.failed} err {p.errors}{cached}{judged}"
                    f" · {fmt.cost(p.cost_usd)}{took}")
            if final:
                text = f"{final} · {text}"
        self.query_one("#progress-text", Static).update(Text(text))
