"""The suite report: one plain dict built from the aggregates, rendered as table, markdown, JSON or CSV.

The dict (``--format json``) is the stable shape. ``--baseline`` adds a ``baseline`` key (see
``tuiarena.engine.suite.baseline``, which compares the two sessions' event logs).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tuiarena import fmt as f
from tuiarena.engine.suite import requirements as rq
from tuiarena.engine.suite.aggregate import Aggregator
from tuiarena.engine.suite.load import Suite


def build_report(suite: Suite, agg: Aggregator, *, models: list[str], repeat: int, judge: str | None,
                 session: str | None = None, warnings: list[str] | None = None) -> dict[str, Any]:
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
        "session": session,
        "summary": summaries,
        "categories": categories,
        "requirements": suite.requirements,
        "verdicts": verdicts,
        "recommendation": rec,
        "routing": rq.routing_table(categories, verdicts),
        "flaky": agg.flaky(),
        "pairwise": agg.pairwise_summary() if agg.pairs else None,
        "warnings": list(warnings or []),
    }
    return report


def exit_code(report: dict[str, Any]) -> int:
    """0 when some model meets every requirement (or none are set and something answered), else 1."""
    if report["requirements"]:
        return 0 if any(v["meets"] for v in report["verdicts"].values()) else 1
    answered = any(s["responses"] and (s["error_rate"] or 0) < 1 for s in report["summary"].values())
    return 0 if answered else 1


# ------------------------------------------------------------------ rendering


def _verdict(report: dict[str, Any], model: str) -> str:
    if not report["requirements"]:
        return "no requirements set"
    v = report["verdicts"][model]
    if v["meets"]:
        return "meets all requirements"
    more = f" (+{len(v['failures']) - 1} more)" if len(v["failures"]) > 1 else ""
    return f"fails {v['failures'][0]}{more}"


def _heading(text: str, md: bool, level: int = 2) -> str:
    return f"\n{'#' * level} {text}\n" if md else f"\n== {text} =="


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return _csv(report)
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
    rows = [[m, f.seconds(S[m]["latency_p50_ms"]), f.num(S[m]["judge_correctness"], 1), f.num(S[m]["judge_clarity"], 1),
             f.num(S[m]["judge_conciseness"], 1), f.num(S[m]["judge_total"], 1), _verdict(report, m)] for m in report["models"]]
    out.append(f.table(["Model", "Latency (s)", "Correctness", "Clarity", "Conciseness", "Total", "Verdict"], rows, md, {1, 2, 3, 4, 5}))
    if not md:
        out.append("Latency = median total time; judge columns = mean 1-5 grades (Total = their sum)")

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
        rows = [[m, "yes" if v["meets"] else "no", "; ".join(v["failures"]) or f.DASH, f.cost(v["monthly_cost"]) if "requests_per_month" in req else f.DASH]
                for m, v in report["verdicts"].items()]
        out.append(f.table(["Model", "Meets all", "Failing constraints", "Monthly cost"], rows, md, {3}))

    out.append(_heading("Recommendation", md))
    out.extend(_recommendation(report, md))
    if report["routing"]:
        out.append(_heading("Routing", md))
        rows = [[cat, r["model"], r.get("fallback", f.DASH)] for cat, r in report["routing"].items()]
        out.append(f.table(["Category", "Model", "Fallback"], rows, md))
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
            out.append("No blind votes on these pairs yet: judge them blind (suite screen, ctrl+b) to measure agreement")
    if report["warnings"]:
        out.append(_heading("Warnings", md))
        out.extend(f"- {w}" for w in report["warnings"])
    if report.get("session"):
        out.append(("\n" if md else "") + f"Session: {report['session']}")
    return "\n".join(out)


def _recommendation(report: dict[str, Any], md: bool) -> list[str]:
    rec = report["recommendation"]
    S = report["summary"]
    bullet = "- " if md else "  "
    if rec["cheapest"] is None:
        return [f"{bullet}No model meets all requirements."]

    def line(label: str, m: str) -> str:
        s = S[m]
        monthly = rec["monthly_cost"].get(m)
        tail = f", projected {f.cost(monthly)}/month" if monthly is not None else ""
        return f"{bullet}{label}: {m} (pass {f.pct(s['pass_rate'], 1)}, {f.cost(s['cost_per_request'])}/request{tail})"

    lines = [line("Cheapest meeting all requirements", rec["cheapest"])]
    if rec["best"] != rec["cheapest"]:
        lines.append(line("Best quality meeting all requirements", rec["best"]))
    else:
        lines.append(f"{bullet}It is also the best-quality model that meets them.")
    return lines


def _csv(report: dict[str, Any]) -> str:
    buf = io.StringIO()
    rows = [("all", m, report["summary"][m]) for m in report["models"]]
    rows += [(cat, m, s) for cat, per in report["categories"].items() for m, s in per.items()]
    keys = list(next(iter(report["summary"].values())).keys()) if report["summary"] else []
    w = csv.writer(buf)
    w.writerow(["category", "model", *keys, "meets_requirements", "failing"])
    for cat, m, s in rows:
        v = report["verdicts"].get(m, {})
        meets = v.get("meets") if cat == "all" else ""
        failing = "; ".join(v.get("failures", [])) if cat == "all" else ""
        w.writerow([cat, m, *[("" if s.get(k) is None else s.get(k)) for k in keys], meets, failing])
    return buf.getvalue().rstrip("\n")
