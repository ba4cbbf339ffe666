"""Pieces of the suite screen: suite description, matrix cells, the summary pane, the cell detail.

Model output, suite text and model names are data: they go into ``rich.text.Text`` (never markup
strings), with control characters made visible by :func:`tuiarena.fmt.visible`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tuiarena import fmt
from tuiarena.engine.suite.requirements import RULES
from tuiarena.reports.suite_sections import recommendation_parts
from tuiarena.store.paths import home
from tuiarena.ui.widgets.tables import fill_table

OK, BAD, WARN, MUTED = "green", "red", "yellow", "dim"
REQUIREMENT_LABELS = {k: v[2] for k, v in RULES.items()}


def _v(text: Any) -> str:
    return fmt.visible(str(text))


def _one_line(text: Any) -> str:
    return " ".join(_v(text).split())


def _g(value: float) -> str:
    """A requirement's limit: 2000000 -> 2,000,000; 0.0002 -> 0.0002."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def requirements_line(req: dict[str, float]) -> str:
    return ", ".join(f"{k} = {_g(v)}" for k, v in req.items())


# ------------------------------------------------------------------ setup: what a suite holds


def suite_info(suite: Any) -> Text:
    """Name, description, cases, categories, judge and requirements of a loaded suite."""
    t = Text()
    t.append(_one_line(suite.name), style="bold")
    t.append(f"  {len(suite.cases)} cases", style=MUTED)
    if suite.description:
        t.append("\n" + _one_line(suite.description))
    cats = [c or "default" for c in suite.categories]
    t.append("\ncategories: ", style=MUTED)
    t.append(_one_line(", ".join(cats)))
    if suite.judge.model or suite.judge.rubric:
        t.append("\njudge: ", style=MUTED)
        t.append(_one_line(suite.judge.model or "none set"))
        if suite.judge.rubric:
            t.append(" (own rubric)", style=MUTED)
        if suite.judge.pairwise:
            t.append(" + pairwise", style=MUTED)
    t.append("\nrequirements: ", style=MUTED)
    if suite.requirements:
        t.append(_one_line(requirements_line(suite.requirements)))
    else:
        t.append("none (every model passes the gate)", style=MUTED)
    if suite.models:
        t.append("\nsuite models: ", style=MUTED)
        t.append(_one_line(", ".join(suite.models)))
    return t


def suite_label(name: str, suite: Any = None, error: str | None = None) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(_one_line(name))
    if suite is not None:
        t.append(f"  {len(suite.cases)}", style=MUTED)
    elif error:
        t.append("  (broken)", style=BAD)
    return t


# ------------------------------------------------------------------ matrix cells


def cell_text(results: list[Any], state: str, repeat: int) -> Text:
    """A matrix cell: ``✓ 1.00`` / ``✗ 0.50`` / ``error``; ``✓ 3/3`` with repeats; ``…`` in flight."""
    busy = {"running": "…", "judging": "judge…"}.get(state, "")
    if not results:
        return Text(busy or "·", style=MUTED)
    if repeat == 1:
        r = results[0]
        if r.status == "error":
            return Text("error", style=BAD)
        if r.status == "cancelled":
            return Text("cancelled", style=WARN)
        mark, style = {True: ("✓", OK), False: ("✗", BAD)}.get(r.passed, ("–", ""))
        t = Text(mark, style=f"bold {style}".strip())
        if r.score is not None:
            t.append(f" {r.score:.2f}", style=style)
        if r.judge is not None:
            t.append(f" j{r.judge.score:g}" if r.judge.score is not None else " j?", style=MUTED)
        return t
    passes = sum(r.passed is True for r in results)
    verdicts = sum(r.passed is not None for r in results)
    errors = sum(r.status in ("error", "cancelled") for r in results)
    if not verdicts:
        t = Text("–", style="bold")
    elif passes == verdicts:
        t = Text("✓", style=f"bold {OK}")
    elif passes == 0:
        t = Text("✗", style=f"bold {BAD}")
    else:
        t = Text("~", style=f"bold {WARN}")  # flaky: passes sometimes
    t.append(f" {passes}/{len(results)}")
    if errors:
        t.append(f" {errors}err", style=BAD)
    if busy or len(results) < repeat:
        t.append(" " + (busy or "…"), style=MUTED)
    return t


def short_names(models: list[str]) -> dict[str, str]:
    """Column titles: the model name without its endpoint, unless two endpoints share a name."""
    tails = [m.split("/", 1)[-1] for m in models]
    return {m: (t if tails.count(t) == 1 else m) for m, t in zip(models, tails)}


# ------------------------------------------------------------------ summary


SUMMARY_COLUMNS = ("Model", "Pass", "Score", "Judge", "p95 s", "Cost", "Cost/pass", "Verdict")


def summary_rows(report: dict[str, Any]) -> list[list[Text]]:
    rows = []
    S = report["summary"]
    for m in report["models"]:
        s = S[m]
        if not report["requirements"]:
            verdict = Text("no requirements", style=MUTED)
        elif report["verdicts"][m]["meets"]:
            verdict = Text("✓ meets all", style=OK)
        else:
            fails = report["verdicts"][m]["failures"]
            key = fails[0].split(":", 1)[0]
            verdict = Text(f"✗ {REQUIREMENT_LABELS.get(key, key)}" + (f" +{len(fails) - 1}" if len(fails) > 1 else ""),
                           style=BAD)
        def right(text: str) -> Text:
            return Text(text, justify="right")

        rows.append([
            Text(_v(m)), right(fmt.pct(s["pass_rate"])), right(fmt.num(s["mean_score"])),
            right(fmt.num(s["judge_score"])), right(fmt.seconds(s["latency_p95_ms"])),
            right(fmt.cost(s["cost_usd"])),
            right(fmt.cost(s["cost_per_acceptable"]) if s["passed"] else fmt.DASH), verdict,
        ])
    return rows


def summary_headline(report: dict[str, Any], state: str = "") -> Text:
    t = Text(_one_line(report["suite"]), style="bold")
    n = len(report["models"])
    t.append(f" · {report['cases']} cases × {n} model{'s' if n != 1 else ''}", style=MUTED)
    if report["repeat"] > 1:
        t.append(f" × {report['repeat']} repeats", style=MUTED)
    t.append(" · judge: ", style=MUTED)
    t.append(_v(report["judge"] or "none"))
    if state:
        t.append("\n" + _one_line(state), style=f"bold {WARN}")
    return t


def summary_text(report: dict[str, Any]) -> Text:
    """Requirements with each model's failing constraints, the recommendation, routing, flaky cases."""
    t = Text()
    rec = report["recommendation"]
    t.append("Recommendation\n", style="bold")
    for label, model, detail in recommendation_parts(report):  # the same words as the printed report
        if rec["cheapest"] is None:
            t.append(f"  {label} {_one_line(detail)}\n", style=BAD)
        elif model:
            t.append(f"  {label}: ")
            t.append(_v(model), style=f"bold {OK}")
            t.append(f" {detail}\n")
        else:
            t.append(f"  {label}\n", style=MUTED)
    req = report["requirements"]
    t.append("\nRequirements\n", style="bold")
    if not req:
        t.append("  none in this suite: every model passes the gate\n", style=MUTED)
    else:
        t.append("  " + _one_line(requirements_line(req)) + "\n", style=MUTED)
        for m, v in report["verdicts"].items():
            t.append("  ")
            t.append("✓ " if v["meets"] else "✗ ", style=OK if v["meets"] else BAD)
            t.append(_v(m))
            if v["meets"]:
                t.append(": meets all", style=OK)
            else:
                t.append(": " + "; ".join(_one_line(f) for f in v["failures"]), style=BAD)
            t.append("\n")
    if report["routing"]:
        t.append("\nRouting (best per category, fallback)\n", style="bold")
        for cat, r in report["routing"].items():
            if not r["model"]:
                t.append(f"  {_one_line(cat)}: ")
                t.append(_one_line(r.get("reason", "no model qualifies")) + "\n", style=BAD)
                continue
            t.append(f"  {_one_line(cat)}: {_v(r['model'])}")
            if r.get("fallback"):
                t.append(f" → {_v(r['fallback'])}", style=MUTED)
            t.append("\n")
    pairs = (report.get("stats") or {}).get("pairs") or []
    if pairs:
        t.append("\nIs the difference real? (paired on the same cases)\n", style="bold")
        for p in pairs:
            t.append(f"  {_one_line(str(p['sentence']))}\n", style=OK if p.get("decisive") else MUTED)
    calls = report.get("judge_calls")
    if calls and calls.get("failures"):
        t.append(f"\nJudge: {calls['failures']} of {calls['calls']} call(s) failed\n", style=BAD)
    if report["flaky"]:
        t.append("\nFlaky cases\n", style="bold")
        for d in report["flaky"]:
            t.append(f"  {_one_line(d['case_id'])} · {_v(d['model'])}: passed {d['passed']}/{d['runs']}\n")
    pw = report["pairwise"]
    if pw:
        t.append(f"\nPairwise judge: {pw['pairs']} pairs, {pw['consistent']} consistent, {pw['inconsistent']} inconsistent\n")
        for m, w in pw["wins"].items():
            t.append(f"  {_v(m)}: {w['wins']} wins, {w['losses']} losses, {w['ties']} ties\n")
    for w in report["warnings"]:
        t.append(f"\n⚠ {_one_line(w)}", style=WARN)
    if report.get("session"):
        t.append(f"\nSession: {session_place(report['session'])}", style=MUTED)
    return t


def session_place(path: str) -> str:
    """The session file as a user names it: in the sessions folder, its file name (what the sessions
    screen lists and ``--session``, ``report`` and ``rerun`` take; it fits at 80 columns), else the path."""
    p = Path(path)
    try:
        inside = p.parent.resolve() == (home() / "sessions").resolve()
    except OSError:
        inside = False
    return f"{_v(p.name)} (in the sessions folder)" if inside else _v(path)


class SummaryPane(VerticalScroll, can_focus=True):
    """Focused as a whole (arrows and page keys scroll it): the summary is read top to bottom."""

    DEFAULT_CSS = """
    SummaryPane { height: 1fr; }
    SummaryPane > DataTable { height: auto; max-height: 12; }
    SummaryPane > Static { height: auto; padding: 0 1; }
    SummaryPane > #summary-head { color: $text-muted; }
    SummaryPane > #summary-text { margin-top: 1; }
    SummaryPane > #summary-charts { margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="summary-head")
        yield DataTable(id="summary-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="summary-text")
        yield Static(id="summary-charts")

    def on_mount(self) -> None:
        run = self.app.key_for("suite_run", "ctrl+r")  # type: ignore[attr-defined]  # as bound now, after [keys]
        self.query_one("#summary-head", Static).update(
            Text(f"Run a suite ({run}) to see per-model figures and the recommendation."))
        table = self.query_one(DataTable)
        for title in SUMMARY_COLUMNS:
            table.add_column(title, key=title)
        table.display = False

    def show(self, report: dict[str, Any], state: str = "", agg: Any = None) -> None:
        columns, rows = list(SUMMARY_COLUMNS), summary_rows(report)
        if not report.get("judge"):  # no judge ran: no column of dashes (the verdicts need the room at 80 columns)
            judge = columns.index("Judge")
            columns.pop(judge)
            rows = [row[:judge] + row[judge + 1:] for row in rows]
        table = fill_table(self.query_one(DataTable), [(t, t) for t in columns], list(zip(report["models"], rows)))
        table.display = True
        self.query_one("#summary-head", Static).update(summary_headline(report, state))
        self.query_one("#summary-text", Static).update(summary_text(report))
        from tuiarena.ui.screens.suite_charts import charts

        self.query_one("#summary-charts", Static).update(charts(report, agg))
