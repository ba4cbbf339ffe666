"""Sections of the text suite report (table and markdown): judge cells, statistics, the case matrix.

A judge that was asked and failed is never shown as ``—`` (which means "no judge"): its cells say
``failed`` and how many of its calls failed.
"""

from __future__ import annotations

from typing import Any

from tuiarena import fmt as f


def judge_cells(report: dict[str, Any], model: str) -> list[str]:
    """Correctness, clarity, conciseness and total for the summary table."""
    s = report["summary"][model]
    values = [s["judge_correctness"], s["judge_clarity"], s["judge_conciseness"], s["judge_total"]]
    if not report.get("judge"):
        return [f.DASH] * 4
    failed = s.get("judge_unparsed") or 0
    if not s.get("judge_graded"):
        return ["failed" if failed else "not graded"] * 4
    cells = [f.num(v, 1) for v in values]
    if failed:
        cells[3] += f" ({failed} failed)"
    return cells


def judge_lines(report: dict[str, Any]) -> list[str]:
    calls = report.get("judge_calls")
    if not report.get("judge") or not calls:
        return []
    failed = calls.get("failures") or 0
    unparsed = sum((s.get("judge_unparsed") or 0) for s in report["summary"].values())
    cost = f", {f.cost(calls['cost_usd'])}" if calls.get("cost_usd") is not None else ""
    line = f"Judge {report['judge']}: {calls['calls']} call(s){cost}"
    if failed or unparsed:
        line += f", {failed} failed, {max(0, unparsed - failed)} unusable repl{'y' if unparsed - failed == 1 else 'ies'}"
    return [line + " (judge calls are not candidates and not counted as runs)"]


def _ci(ci: list[float] | None, render: Any) -> str:
    return f"{render(ci[0])}–{render(ci[1])}" if ci else f.DASH


def stats_lines(report: dict[str, Any], md: bool) -> list[str]:
    stats = report["stats"]
    S = report["summary"]
    rows = []
    for m in report["models"]:
        x = stats["models"][m]
        s = S[m]
        rows.append([
            m, str(x["cases"]),
            f"{f.pct(s['pass_rate'], 1)} ({_ci(x['pass_rate_ci'], lambda v: f.pct(v, 0))})",
            f"{f.num(s['mean_score'])} ({_ci(x['mean_score_ci'], f.num)})",
            f"{f.num(s['judge_score'])} ({_ci(x['judge_score_ci'], f.num)})",
            f"{f.seconds(s['latency_p95_ms'])} ({_ci(x['latency_p95_ci_ms'], f.seconds)})",
            f"{f.cost(s['cost_per_acceptable'])} ({_ci(x['cost_per_acceptable_ci'], f.cost)})"
            if s["cost_per_acceptable"] is not None else f.DASH,
        ])
    out = [f.table(["Model", "Cases", "Pass (Wilson)", "Score", "Judge", "p95 s", "Cost/acceptable"], rows, md,
                   {1, 2, 3, 4, 5, 6})]
    if stats["pairs"]:
        out.append("")
        bullet = "- " if md else "  "
        for p in stats["pairs"]:
            out.append(bullet + f.visible(str(p["sentence"])))
    out.append(("" if md else "") + f"(bootstrap over cases, {stats['rounds']:,} rounds, seed {stats['seed']}; "
               "pairs: exact McNemar on pass/fail, sign test on scores; repeats folded per case)")
    return out


def monthly(value: float | None) -> str:
    """A projected monthly bill in whole cents ($0.40, $5.22, $1,234.50); under a cent, two significant digits."""
    return f.cost(value) if value is None or value < 0.01 else f"${value:,.2f}"


def recommendation_parts(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The recommendation as ``(label, model, detail)`` lines, the same words in every format."""
    rec, S = report["recommendation"], report["summary"]
    if rec["cheapest"] is None:
        return [("No recommendation:", "", f"{rec.get('reason') or 'no model meets all requirements'}.")]

    def part(label: str, m: str) -> tuple[str, str, str]:
        s, per_month = S[m], rec["monthly_cost"].get(m)
        tail = f", projected {monthly(per_month)}/month" if per_month is not None else ""
        return label, m, f"(pass {f.pct(s['pass_rate'], 1)}, {f.cost(s['cost_per_request'])}/request{tail})"

    parts = [part("Cheapest meeting all requirements", rec["cheapest"])]
    if rec["best"] != rec["cheapest"]:
        parts.append(part("Best quality meeting all requirements", rec["best"]))
    else:
        parts.append(("It is also the best-quality model that meets them.", "", ""))
    return parts


def cell_marks(cells: list[dict[str, Any]]) -> str:
    """One matrix cell as text: each repeat's mark (✓ ✗ err ·) with its score and judge grade."""
    if not cells:
        return "·"
    parts = []
    for c in cells:
        mark = "err" if c["status"] == "failed" else "✓" if c["passed"] else "✗" if c["passed"] is False else "·"
        if c["score"] is not None and c["status"] != "failed" and c["score"] not in (0, 1):
            mark += f" {c['score']:.2f}"
        if c["judge"] is not None:
            mark += f" j{c['judge']:.1f}"
        elif c["judge_failed"]:
            mark += " j:failed"
        parts.append(mark)
    return " / ".join(parts)


def matrix_table(report: dict[str, Any], md: bool) -> str:
    rows = [[f.visible(case["case_id"]), *[cell_marks(case["results"][m]) for m in report["models"]]]
            for case in report["matrix"]]
    return f.table(["Case", *report["models"]], rows, md)


__all__ = ["judge_cells", "judge_lines", "matrix_table", "stats_lines"]
