"""The suite screen: choose a suite, run it across models, watch the cases x models matrix fill in,
drill into a cell, read the summary and the recommendation, export the report and the routing table.

The flow mirrors ``tuiarena suite`` (tuiarena/commands/suite.py): its own session of kind "suite",
its own Runner (so the events go to that session, not to the compare screen's), a SuiteRun whose
``on_result`` hook and the runner sink feed a :class:`LiveSuite`; a timer (~10 Hz) redraws the
cells that changed inside ``app.batch_update()``.

Its parts, by role: ``suite_setup`` (the setup tab: suite, models, judge, repeat, cache),
``suite_matrix`` (the matrix tab), ``suite_widgets`` (the summary tab and the cells' text),
``suite_detail`` (one case's answers side by side), ``suite_state`` (what a run has produced so
far), ``suite_export`` (the report and routing files). This module runs the suite and ties them
together.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Input, OptionList, TabbedContent, TabPane

from tuiarena.errors import UserError
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.screens.base import ArenaScreen
from tuiarena.ui.screens.suite_detail import CellDetailScreen
from tuiarena.ui.screens.suite_matrix import SuiteMatrix
from tuiarena.ui.screens.suite_setup import SuiteSetup
from tuiarena.ui.screens.suite_state import LiveSuite
from tuiarena.ui.screens.suite_widgets import SummaryPane
from tuiarena.ui.widgets.keybar import KeyBar

FRAME_S = 0.1  # matrix redraw: ~10 Hz, never per token


class SuiteScreen(ArenaScreen):
    DEFAULT_CSS = """
    SuiteScreen TabbedContent { height: 1fr; }
    SuiteScreen TabPane { padding: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Run", id="suite_run"),
        Binding("escape", "back", "Cancel/Back", id="suite_back"),
        Binding("f3", "tab('setup')", "Setup", id="suite_tab_setup", show=False),
        Binding("f4", "tab('matrix')", "Matrix", id="suite_tab_matrix", show=False),
        Binding("f5", "tab('summary')", "Summary", id="suite_tab_summary", show=False),
        Binding("ctrl+e", "export_report", "Report", id="suite_export_report"),
        Binding("ctrl+t", "export_routing", "Routing", id="suite_export_routing"),
        # f6, not ctrl+b (tmux's prefix): the key after the tabs' f3/f4/f5, and free on this screen
        Binding("f6", "blind", "Judge blind", id="suite_blind",
                tooltip="judge this suite blind"),
    ]

    def __init__(self, suite: str | Path | None = None, *, session: str | Path | None = None) -> None:
        super().__init__()
        self.initial = suite
        self.session_path = Path(session) if session is not None else None
        self.result: Any = None  # the folded session (SuiteResult) once a suite has ended or been reopened
        self.live: LiveSuite | None = None
        self.job: Any = None
        self.report: dict[str, Any] | None = None
        self.runner: Any = None
        self.writer: Any = None
        self.cancelled = False
        self._t0 = 0.0
        self._drawn_version = -1
        self._summary_at = 0.0
        self._judge: str | None = None
        self._warnings: list[str] = []
        self.reported = Milestone("the suite's report on screen")  # a run ended or a session reopened

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="⚖")
        with TabbedContent(initial="setup"):
            with TabPane("Setup F3", id="setup"):
                yield SuiteSetup(self.initial, id="setup-pane")
            with TabPane("Matrix F4", id="matrix-tab"):
                yield SuiteMatrix(id="matrix-pane")
            with TabPane("Summary F5", id="summary-tab"):
                yield SummaryPane(id="summary")
        yield KeyBar()

    def on_mount(self) -> None:
        if not getattr(self.app.options, "cursor_blink", True):
            for widget in self.query(Input):
                widget.cursor_blink = False
        self.set_interval(FRAME_S, self.frame)
        self.query_one("#suites", OptionList).focus()
        if self.session_path is not None:
            self.call_after_refresh(self.reopen, self.session_path)

    def reopen(self, path: Path) -> None:
        """Show a saved suite session as it ended: matrix, summary, verdicts, recommendation, routing."""
        from tuiarena.engine.suite.results import fold_suite_log
        from tuiarena.reports.suite import report_from_result
        from tuiarena.store.sessions import read_session

        try:
            log = read_session(path)
            result = fold_suite_log(log)
        except (OSError, UserError, ValueError) as exc:
            self.notify(f"cannot reopen {path.name}: {exc}", severity="error", markup=False)
            return
        live = LiveSuite.from_session(log, result)
        self.live, self.result, self._judge = live, result, result.judge
        self.sub_title = f"suite · {log.header.name or result.suite.name} (saved)"
        self._warnings = list((log.header.meta or {}).get("warnings") or [])
        self.report = report_from_result(result, self._warnings)
        self._setup_matrix(live)
        self.frame()
        self.query_one("#summary", SummaryPane).show(self.report, state=f"reopened from {path.name}", agg=result.agg)
        self._progress_line(final=f"reopened {path.name}")
        self.query_one(TabbedContent).active = "summary-tab"
        self.query_one("#summary").focus()
        self.reported.reach_after_refresh(*self.query(DataTable))

    def on_screen_resume(self) -> None:
        self.setup.fill_models()

    @property
    def setup(self) -> SuiteSetup:
        return self.query_one(SuiteSetup)

    @property
    def matrix(self) -> SuiteMatrix:
        return self.query_one(SuiteMatrix)

    @property
    def suite(self) -> Any:
        """The suite chosen on the setup tab (None until one is loaded)."""
        return self.setup.suite

    @property
    def suites(self) -> dict[str, Any]:
        return self.setup.suites

    def on_suite_setup_run_requested(self, message: SuiteSetup.RunRequested) -> None:
        self.action_run()

    # -- running -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job is not None

    def action_run(self) -> None:
        if self.running:
            self.notify("a suite is running: esc cancels it", severity="warning")
            return
        ws = self.app.workspace
        if ws is None:
            self.notify("still discovering models — try again in a moment", severity="warning")
            return
        setup = self.setup
        problem = setup.problem()
        if problem is not None:
            self.notify(problem, severity="warning")
            return
        self.start(setup.suite, setup.selected_models(), judge=setup.judge_model(), repeat=setup.repeat() or 1,
                   cache=setup.cache)

    def start(self, suite: Any, models: list[str], *, judge: str | None = None, repeat: int = 1,
              cache: bool = False) -> None:
        from tuiarena.engine.run.runner import Runner
        from tuiarena.engine.suite.cache import ResponseCache
        from tuiarena.engine.suite.run import SuiteRun
        from tuiarena.scoring.judge import Judge
        from tuiarena.store.sessions import SessionWriter

        ws = self.app.workspace
        assert ws is not None  # the run action waits for discovery
        warnings = []
        if judge and judge in models:
            warnings.append(f"the judge {judge} is also a candidate: it may favour its own answers")
        elif not judge and "min_judge_score" in suite.requirements:
            warnings.append("min_judge_score is set but there is no judge: it cannot be met")
        for w in warnings:
            self.notify(w, severity="warning", markup=False, timeout=6)
        live = LiveSuite(suite, models, repeat, judged=judge is not None)
        from tuiarena.engine.suite.results import case_info

        meta = {"suite": suite.name, "path": str(suite.path), "models": models, "repeat": repeat,
                "judge": judge, "requirements": suite.requirements, "cases": len(suite.cases),
                "case_info": case_info(suite), "warnings": warnings}
        try:
            self.writer = SessionWriter.create(kind="suite", name=f"suite {suite.name}", meta=meta)
        except OSError as exc:
            self.writer = None
            self.notify(f"cannot create the session file ({exc}); running without saving", severity="error", markup=False)
        sinks = ([self._write] if self.writer else []) + [live.sink]
        self.runner = Runner(ws.registry, ws.pricing, sinks)
        judge_obj = Judge(self.runner, judge, suite.judge.rubric, pass_total=suite.judge.pass_total,
                          max_tokens=suite.judge.max_tokens) if judge else None
        self.job = SuiteRun(suite, models, self.runner, repeat=repeat, judge=judge_obj,
                            pairwise=suite.judge.pairwise, cache=ResponseCache() if cache else None,
                            progress=live.on_progress, on_result=live.on_result)
        if judge and (shared := self.job.judge_shares_backend()):
            warnings.append(f"the judge {judge} shares a backend with {', '.join(shared)}: it runs after "
                            "every candidate answer, so their latencies are not affected")
        self.live, self.report, self.cancelled = live, None, False
        self.reported.clear()
        self.sub_title = f"suite · {suite.name}"
        self._warnings = warnings
        self._judge = judge
        self._t0 = time.monotonic()
        self._setup_matrix(live)
        self.query_one(TabbedContent).active = "matrix-tab"
        self.query_one("#matrix", DataTable).focus()
        self.run_worker(self._drive(self.job, live), group="suite-run", exclusive=True, exit_on_error=False)

    def _write(self, event: Any) -> None:
        if self.writer is None:
            return
        try:
            self.writer.write(event)
        except (OSError, ValueError) as exc:
            self.writer = None
            self.notify(f"cannot write the session file: {exc}", severity="error", markup=False)

    async def _drive(self, job: Any, live: LiveSuite) -> None:
        error = None
        try:
            agg = await job.run()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the app stays up
            agg, error = job.agg, exc
        finally:
            writer, self.writer = self.writer, None
            if writer is not None:
                writer.close()
        if self.job is job:
            self.job = None
        self._finish(job, live, agg, writer, error)

    def _finish(self, job: Any, live: LiveSuite, agg: Any, writer: Any, error: Exception | None) -> None:
        from tuiarena.reports.suite import build_report, report_from_result

        self.frame()
        session = str(writer.path) if writer is not None else None
        self.result = None
        if writer is not None:  # the report is the session's: reopening it later shows the same
            try:
                from tuiarena.engine.suite.results import fold_suite_log
                from tuiarena.store.sessions import read_session

                self.result = fold_suite_log(read_session(writer.path))
            except (OSError, UserError, ValueError) as exc:
                self.notify(f"cannot read back the session: {exc}", severity="warning", markup=False)
        if self.result is not None:
            self.report = report_from_result(self.result, self._warnings)
        else:
            self.report = build_report(live.suite, agg, models=live.models, repeat=live.repeat, judge=self._judge,
                                       session=session, warnings=self._warnings)
        p = live.progress
        if error is not None:
            state = f"stopped by an internal error: {type(error).__name__}: {error}"
            self.notify(state, severity="error", markup=False)
        elif self.cancelled:
            state = f"cancelled: partial results ({p.done if p else 0} of {job.progress.total} answers)"
        else:
            state = ""
        self.query_one("#summary", SummaryPane).show(self.report, state=state,
                                                     agg=self.result.agg if self.result is not None else agg)
        self._progress_line(final="error" if error is not None else "cancelled" if self.cancelled else "done")
        rec = self.report["recommendation"]
        if not self.cancelled and error is None:
            verdict = f"recommended: {rec['cheapest']}" if rec["cheapest"] else "no model meets all requirements"
            summary = self.app.key_for("suite_tab_summary", "f5")
            done = f"suite {live.suite.name} done: {verdict} ({summary}: summary)"
            self.matrix.hint(done)  # under the matrix: a toast would cover its first rows for seconds
            if self.query_one(TabbedContent).active != "matrix-tab":
                self.notify(done, timeout=6, markup=False)
        self.reported.reach_after_refresh(*self.query(DataTable))

    def action_back(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.app.pop_screen()

    def cancel(self) -> None:
        if self.job is not None and not self.cancelled:
            self.cancelled = True
            self.job.cancel()
            self.notify("cancelling the suite: answers in flight are recorded as cancelled", timeout=3)

    def on_unmount(self) -> None:
        if self.job is not None:
            self.cancelled = True
            self.job.cancel()

    # -- matrix ------------------------------------------------------------------------------------
    def _setup_matrix(self, live: LiveSuite) -> None:
        self.matrix.setup(live)
        self._drawn_version = -1

    def frame(self) -> None:
        live = self.live
        if live is None or live.version == self._drawn_version:
            return
        self._drawn_version = live.version
        with self.app.batch_update():
            self.matrix.draw(live)
            self._progress_line()
            if self.job is not None and time.monotonic() - self._summary_at > 1.0 \
                    and self.query_one(TabbedContent).active == "summary-tab":
                self._partial_summary()

    def _partial_summary(self) -> None:
        """While a suite runs, the summary tab shows the figures so far (refreshed about once a second)."""
        from tuiarena.reports.suite import build_report

        live, job = self.live, self.job
        if live is None or job is None:
            return
        self._summary_at = time.monotonic()
        report = build_report(live.suite, job.agg, models=live.models, repeat=live.repeat, judge=self._judge,
                              warnings=self._warnings, stats=False, matrix=False)
        done = live.progress.done if live.progress is not None else 0
        self.query_one("#summary", SummaryPane).show(report, state=f"running: figures so far ({done} of "
                                                                   f"{job.progress.total} answers)", agg=job.agg)

    def _progress_line(self, final: str = "") -> None:
        reopened = self.session_path is not None and self.job is None  # no run time to show
        self.matrix.progress_line(self.live, final, None if reopened else time.monotonic() - self._t0)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        if event.data_table.id != "matrix" or self.live is None:
            return
        case_id = event.cell_key.row_key.value
        model = event.cell_key.column_key.value
        if case_id is not None and case_id in self.live.cases:
            self.open_detail(case_id, model if model in self.live.models else None)

    def open_detail(self, case_id: str, model: str | None = None) -> None:
        if self.live is not None:
            self.app.push_screen(CellDetailScreen(self.live, case_id, model))

    # -- tabs, exports, blind ------------------------------------------------------------------------
    def action_tab(self, name: str) -> None:
        tab = {"setup": "setup", "matrix": "matrix-tab", "summary": "summary-tab"}[name]
        self.query_one(TabbedContent).active = tab
        if name == "summary" and self.job is not None:
            self._partial_summary()
        focus = {"setup": "#suites", "matrix": "#matrix", "summary": "#summary"}[name]
        self.query_one(focus).focus()

    def _export(self, kind: str) -> None:
        if self.report is None:
            self.notify("run a suite first: nothing to export yet", severity="warning")
            return
        from tuiarena.ui.dialogs import TextPrompt
        from tuiarena.ui.screens.suite_export import KINDS, default_path

        def done(value: str | None) -> None:
            if value and value.strip():
                self.write_export(kind, Path(value.strip()).expanduser())

        self.app.push_screen(TextPrompt(f"Save the {KINDS[kind]} to", str(default_path(kind, self.report))), done)

    def write_export(self, kind: str, path: Path) -> Path | None:
        from tuiarena.store.paths import write_private
        from tuiarena.ui.screens.suite_export import export_text

        if self.report is None:
            return None
        text = export_text(kind, path, self.report, self.result)
        try:
            write_private(path, text)
        except OSError as exc:
            self.notify(f"could not write {path}: {exc.strerror or exc}", severity="error", markup=False)
            return None
        what = "report" if kind == "report" else "routing table"
        self.notify(f"{what} written to {path}", timeout=6, markup=False)
        return path

    def action_export_report(self) -> None:
        self._export("report")

    def action_export_routing(self) -> None:
        self._export("routing")

    def action_blind(self) -> None:
        if self.suite is None:
            self.notify("choose a suite first", severity="warning")
            return
        from tuiarena.ui.screens.blind import BlindScreen

        models = self.setup.selected_models()
        try:
            screen = BlindScreen.from_suite(str(self.suite.path), shuffle=False,
                                            models=models if len(models) >= 2 else None,
                                            own_session=True)  # not into the compare session
        except UserError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.app.push_screen(screen)
