"""The suite report: one plain dict built from the aggregates, rendered as table, markdown, JSON or CSV.

The dict (``--format json``) is the stable shape. ``--baseline`` adds a ``baseline`` key (see
``tuiarena.engine.suite.baseline``, which compares the two sessions' event logs).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from tuiarena import fmt as f
from tuiarena.engine.suite import requirements as rq
from tuiarena.engine.suite.aggregate import Aggregator
from tuiarena.engine.suite.load import Suite
from tuiarena.engine.suite.results import SuiteResult, fold_suite_file, fold_suite_log
from tuiarena.engine.suite.statistics import suite_stats
from tuiarena.reports import suite_sections as sec

EXIT_UNMET = 1  # no model qualifies (every model failed, or none meets the requirements)
EXIT_REGRESSION = 3  # --baseline: a regression (decided by the paired test)


def build_report(suite: Suite, agg: Aggregator, *, models: list[str], repeat: int, judge: str | None,
                 session: str | None = None, warnings: list[str] | None = None,
                 judge_calls: dict[str, Any] | None = None, stats: bool = True,
                 matrix: bool = True) -> dict[str, Any]:
    """The suite report as data. ``stats=False`` leaves out the intervals and tests, ``matrix=False``
    the per-case cells: the live summary, rebuilt about once a second while a suite runs, shows neither
    (2,120 cases x 3 models: 14.8 ms with the cells, 1.6 ms without)."""
    summaries = {m: agg.by_model[m].summary() for m in models}
    categories = {cat: {m: st.summary() for m, st in per.items()} for cat, per in sorted(agg.by_category.items())}
    verdicts = rq.verdicts(summaries, suite.requirements)
    rec = rq.recommend(summaries, verdicts)
    rec["monthly_cost"] = {m: v["monthly_cost"] for m, v in verdicts.items()}
    report: dict[str, Any] = {
        "suite": suite.name,
        "path": str(suite.path),
        "description": suite.description,
        "cases": len(suite.cases),
        "models": models,
        "repeat": repeat,
        "judge": judge,
        "judge_calls": judge_calls,
        "session": session,
        "summary": summaries,
        "categories": categories,
        "requirements": suite.requirements,
        "verdicts": verdicts,
        "recommendation": rec,
        "routing": rq.routing_table(categories, verdicts, suite.requirements),
        "stats": suite_stats(agg, models) if stats else None,
        "flaky": agg.flaky(),
        "pairwise": agg.pairwise_summary() if agg.pairs else None,
        "matrix": _matrix(suite, agg, models) if matrix else [],
        "warnings": list(warnings or []),
    }
    return report


def _matrix(suite: Suite, agg: Aggregator, models: list[str]) -> list[dict[str, Any]]:
    """Per case, per model, per repeat: status, verdict, check score, judge grade (numbers only)."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in models:
        for r in sorted(agg.rows.get(m, []), key=lambda r: (r.case_id, r.repeat)):
            grade = agg.judged.get((m, r.case_id, r.repeat), "none")
            cells.setdefault((r.case_id, m), []).append({
                "repeat": r.repeat, "status": "failed" if r.failed else "ok", "passed": r.passed,
                "score": None if r.score is None else round(r.score, 4),
                "judge": round(float(grade), 3) if isinstance(grade, (int, float)) else None,
                "judge_failed": grade is None,
            })
    return [{"case_id": c.id, "category": c.category, "results": {m: cells.get((c.id, m), []) for m in models}}
            for c in suite.cases]


def report_from_result(result: SuiteResult, warnings: list[str] | None = None) -> dict[str, Any]:
    """The report of a suite as it ended, from its folded session (live and reopened alike)."""
    calls = {"calls": result.judge_calls, "failures": result.judge_failures, "cost_usd": result.judge_cost_usd} \
        if result.judge else None
    report = build_report(result.suite, result.agg, models=result.models, repeat=result.repeat, judge=result.judge,
                          session=result.session or None, warnings=list(warnings or []), judge_calls=calls)
    report["cases"] = max(report["cases"], result.planned_cases)
    if not result.complete:  # said by every format, live or reopened: figures cover what was answered
        report["partial"] = {"reason": "stopped before the end (cancelled or interrupted)",
                             "answered": result.answered, "planned": result.expected}
    return report


def report_from_log(log: Any) -> dict[str, Any]:
    """``tuiarena report SESSION`` of a suite session: the same report ``tuiarena suite`` printed."""
    result = fold_suite_log(log)
    meta = dict(getattr(log.header, "meta", None) or {})
    return report_from_result(result, list(meta.get("warnings") or []))


_BY_SUFFIX = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".json": "json", ".html": "html",
              ".htm": "html", ".txt": "table"}


def format_for(given: str | None, out: str | None) -> str:
    """The format asked for (``--format``), else the output file's extension (s.html -> html), else table."""
    if given:
        return {"md": "markdown", "htm": "html", "txt": "table"}.get(given, given)
    if out:
        from pathlib import Path

        return _BY_SUFFIX.get(Path(out).suffix.lower(), "table")
    return "table"


def render_session(log: Any, fmt_name: str, answers: bool = True) -> str:
    """A saved suite session reopened as the suite report, in any format (md, markdown, table, csv, json, html;
    ``answers=False``: the HTML without the answer texts)."""
    result = fold_suite_log(log)
    meta = dict(getattr(log.header, "meta", None) or {})
    report = report_from_result(result, list(meta.get("warnings") or []))
    name = {"md": "markdown", "htm": "html", "txt": "table"}.get(fmt_name, fmt_name)
    return render(report, name, result, answers=answers)


def stream_session(path: Any, fmt_name: str, skipped: list[tuple[int, str]]) -> Iterator[str]:
    """:func:`render_session` of a session file read as a stream (see ``fold_suite_file``), secrets
    redacted, in pieces: the csv a batch of rows at a time. Every format but html (which shows the
    answers' text). The session is folded before the first piece; its unreadable lines are then in
    ``skipped``. The pieces joined are ``redact_secrets(render_session(read_session(path), fmt_name))``."""
    from tuiarena.reports.session import redact_secrets
    from tuiarena.store.sessions import read_header

    name = {"md": "markdown", "htm": "html", "txt": "table"}.get(fmt_name, fmt_name)
    if name == "html":
        raise ValueError("the html suite report shows the answers: use render_session(read_session(path), 'html')")
    result = fold_suite_file(path, skipped)
    meta = dict(read_header(path).meta or {})
    report = report_from_result(result, list(meta.get("warnings") or []))
    del result  # the report holds what the rendering needs

    def pieces() -> Iterator[str]:
        if name != "csv":
            yield redact_secrets(render(report, name))
            return
        held = ""
        for chunk in filter(None, csv_chunks(report)):
            if held:
                yield redact_secrets(held)
            held = chunk
        yield redact_secrets(held.rstrip("\n"))  # as render() ends it

    return pieces()


def exit_code(report: dict[str, Any]) -> int:
    """0 when some model qualifies (see requirements.verdicts), 1 when none does, 3 on a baseline regression."""
    if report.get("baseline") and report["baseline"].get("regressed"):
        return EXIT_REGRESSION
    return 0 if any(v["meets"] for v in report["verdicts"].values()) else EXIT_UNMET


# ------------------------------------------------------------------ rendering


def _verdict(report: dict[str, Any], model: str) -> str:
    v = report["verdicts"][model]
    if not report["requirements"] and v["meets"]:
        return "qualifies (no requirements set)"
    if v["meets"]:
        return "meets all requirements"
    more = f" (+{len(v['failures']) - 1} more)" if len(v["failures"]) > 1 else ""
    return f"fails {v['failures'][0]}{more}"


def _heading(text: str, md: bool, level: int = 2) -> str:
    return f"\n{'#' * level} {text}\n" if md else f"\n== {text} =="


def render(report: dict[str, Any], fmt: str, result: SuiteResult | None = None, answers: bool = True) -> str:
    """The report as ``table``, ``markdown``, ``json``, ``csv`` or ``html`` (html shows the answers
    when ``result`` — the folded session — is given)."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return _csv(report)
    if fmt == "html":
        from tuiarena.reports.suite_html import to_html

        return to_html(report, result, answers)
    md = fmt == "markdown"
    S = report["summary"]
    out = []
    if md:
        out.append(f"# Suite: {report['suite']}\n")
    else:
        out.append(f"Suite: {report['suite']}")
    judge = f" · judge {report['judge']}" if report["judge"] else ""
    out.append(f"{report['cases']} cases × {len(report['models'])} models × {report['repeat']} repeat(s){judge}")
    if report.get("partial"):
        p = report["partial"]
        out.append(f"PARTIAL REPORT: {p['reason']} after {p['answered']} of {p['planned']} answers")
    if md:
        out.append("")
    if report["judge"]:
        rows = [[m, f.seconds(S[m]["latency_p50_ms"]), *sec.judge_cells(report, m), _verdict(report, m)]
                for m in report["models"]]
        out.append(f.table(["Model", "Latency (s)", "Correctness", "Clarity", "Conciseness", "Total", "Verdict"], rows, md,
                           {1, 2, 3, 4, 5}))
        if not md:
            out.append("Latency = median total time; judge columns = mean 1-5 grades (Total = their sum)")
    else:  # no judge: no columns of dashes for grades nobody gave
        rows = [[m, f.seconds(S[m]["latency_p50_ms"]), f.pct(S[m]["pass_rate"], 1), _verdict(report, m)]
                for m in report["models"]]
        out.append(f.table(["Model", "Latency (s)", "Pass", "Verdict"], rows, md, {1, 2}))
        if not md:
            out.append("Latency = median total time; Pass = cases whose checks passed (no judge: --judge MODEL grades the answers)")
    out.extend(sec.judge_lines(report))
    out.append(_heading("Recommendation", md))
    out.extend(_recommendation(report, md))

    out.append(_heading("Results", md))
    headers = ["Model", "Pass", "Score", "Judge", "p50 s", "p95 s", "p99 s", "TTFT p95", "tok/s", "Tokens in/out",
               "Cost", "Cost/acceptable", "Errors", "Refusals", "Incomplete", "Bad JSON"]
    rows = []
    for m in report["models"]:
        s = S[m]
        rows.append([m, f.pct(s["pass_rate"], 1), f.num(s["mean_score"]), f.num(s["judge_score"]), f.seconds(s["latency_p50_ms"]),
                     f.seconds(s["latency_p95_ms"]), f.seconds(s["latency_p99_ms"]), f.ms(s["ttft_p95_ms"]), f.rate(s["tokens_per_s"]),
                     f"{s['prompt_tokens']:,}/{s['completion_tokens']:,}", f.cost(s["cost_usd"]), f.cost(s["cost_per_acceptable"]) if s["passed"] else f.DASH,
                     f.pct(s["error_rate"], 1), f.pct(s["refusal_rate"], 1), f.pct(s["incomplete_rate"], 1), f.pct(s["invalid_json_rate"], 1)])
    out.append(f.table(headers, rows, md, set(range(1, 16))))

    if len(report["categories"]) > 1:
        out.append(_heading("By category", md))
        rows = []
        for cat, per in report["categories"].items():
            for m in report["models"]:
                s = per.get(m)
                if s:
                    rows.append([cat, m, f.pct(s["pass_rate"], 1), f.num(s["mean_score"]), f.num(s["judge_score"]),
                                 f.seconds(s["latency_p95_ms"]), f.cost(s["cost_per_request"]), f.pct(s["error_rate"], 1)])
        out.append(f.table(["Category", "Model", "Pass", "Score", "Judge", "p95 s", "Cost/request", "Errors"], rows, md, {2, 3, 4, 5, 6, 7}))

    out.append(_heading("Requirements", md))
    req = report["requirements"]
    if not req:
        out.append("No [requirements] in the suite: every model passes the gate.")
    else:
        out.append(", ".join(f"{k} = {v:g}" for k, v in req.items()))
        if md:
            out.append("")
        rows = [[m, "yes" if v["meets"] else "no", "; ".join(v["failures"]) or f.DASH, sec.monthly(v["monthly_cost"]) if "requests_per_month" in req else f.DASH]
                for m, v in report["verdicts"].items()]
        out.append(f.table(["Model", "Meets all", "Failing constraints", "Monthly cost"], rows, md, {3}))

    if report["routing"]:
        out.append(_heading("Routing", md))
        rows = [[cat, r["model"] or "none qualifies", r.get("fallback", f.DASH) if r["model"] else r.get("why", r.get("reason", ""))]
                for cat, r in report["routing"].items()]
        none = any(not r["model"] for r in report["routing"].values())
        out.append(f.table(["Category", "Model", "Fallback / why none" if none else "Fallback"], rows, md))
    if report.get("stats"):
        out.append(_heading("Statistics (95% intervals)", md))
        out.extend(sec.stats_lines(report, md))
    if report["flaky"]:
        out.append(_heading("Flaky cases", md))
        rows = [[d["case_id"], d["model"], f"{d['passed']}/{d['runs']}", f.num(d["mean_score"]), f.num(d["score_stdev"])] for d in report["flaky"]]
        out.append(f.table(["Case", "Model", "Passed", "Mean score", "Stdev"], rows, md, {2, 3, 4}))
    pw = report["pairwise"]
    if pw:
        out.append(_heading("Pairwise judge", md))
        out.append(f"{pw['pairs']} pairs judged in both orders: {pw['consistent']} consistent, {pw['inconsistent']} inconsistent, "
                   f"{pw['unparseable']} unparseable (consistency {f.pct(pw['consistency_rate'], 1)})")
        rows = [[m, w["wins"], w["losses"], w["ties"]] for m, w in pw["wins"].items()]
        out.append(f.table(["Model", "Wins", "Losses", "Ties"], rows, md, {1, 2, 3}))
        agreement = pw.get("human_agreement")
        if agreement and agreement["compared"]:
            out.append(f"Agreement with blind votes on the same pairs: {agreement['agree']}/{agreement['compared']} "
                       f"({f.pct(agreement['agreement'], 1)}); {agreement['judge_undecided']} vote(s) where the judge was inconsistent")
        elif agreement and agreement["judge_undecided"]:
            out.append(f"{agreement['judge_undecided']} blind vote(s) on these pairs, but the judge was inconsistent on them")
        elif agreement is not None:
            out.append("No blind votes on these pairs yet: judge them blind (suite screen, f6) to measure agreement")
    if report["warnings"]:
        out.append(_heading("Warnings", md))
        out.extend(f"- {w}" for w in report["warnings"])
    if report.get("matrix"):
        out.append(_heading("Cases", md))
        out.append(sec.matrix_table(report, md))
    if report.get("session"):
        out.append(("\n" if md else "") + f"Session: {report['session']}")
    return "\n".join(out)


def _recommendation(report: dict[str, Any], md: bool) -> list[str]:
    bullet = "- " if md else "  "
    return [bullet + " ".join(x for x in (f"{label}: {model}" if model else label, detail) if x)
            for label, model, detail in sec.recommendation_parts(report)]


CI_KEYS = ("pass_rate_ci", "mean_score_ci", "judge_score_ci", "latency_p95_ci_ms", "cost_per_acceptable_ci")


def _csv(report: dict[str, Any]) -> str:
    """One table: a row per model (kind "model"), per model and category ("category"), and per case,
    model and repeat ("case", with its status, verdict, check score and judge grade)."""
    return "".join(csv_chunks(report)).rstrip("\n")


def csv_chunks(report: dict[str, Any], batch: int = 2000) -> Iterator[str]:
    """:func:`_csv`'s table as it is written, ``batch`` rows a piece (lines end in CRLF, the csv default)."""
    buf = io.StringIO()
    rows_out = 0
    rows = [("all", m, report["summary"][m]) for m in report["models"]]
    rows += [(cat, m, s) for cat, per in report["categories"].items() for m, s in per.items()]
    keys = list(next(iter(report["summary"].values())).keys()) if report["summary"] else []
    stats = (report.get("stats") or {}).get("models", {})
    ci_cols = [f"{k}_{end}" for k in CI_KEYS for end in ("low", "high")]
    w = csv.writer(buf)
    w.writerow(["category", "model", *keys, "meets_requirements", "failing", *ci_cols,
                "kind", "case_id", "repeat", "status", "passed", "score", "judge"])
    blank = [""] * (len(keys) + 2 + len(ci_cols))
    for cat, m, s in rows:
        v = report["verdicts"].get(m, {})
        meets = v.get("meets") if cat == "all" else ""
        failing = "; ".join(v.get("failures", [])) if cat == "all" else ""
        cis: list[Any] = []
        for k in CI_KEYS:
            ci = stats.get(m, {}).get(k) if cat == "all" else None
            cis += list(ci) if ci else ["", ""]
        w.writerow([cat, m, *[("" if s.get(k) is None else s.get(k)) for k in keys], meets, failing, *cis,
                    "model" if cat == "all" else "category", "", "", "", "", "", ""])
    for case in report.get("matrix") or []:
        for m, cells in case["results"].items():
            for c in cells:
                judge = "failed" if c["judge_failed"] else ("" if c["judge"] is None else c["judge"])
                w.writerow([case["category"] or "default", m, *blank, "case", case["case_id"], c["repeat"], c["status"],
                            "" if c["passed"] is None else c["passed"], "" if c["score"] is None else c["score"], judge])
                rows_out += 1
                if rows_out % batch == 0:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
    yield buf.getvalue()
