"""From per-model figures to decisions: requirement verdicts, the recommendation, the routing table.

A requirement that cannot be checked (no price for a cost limit, no judge for ``min_judge_score``)
is *not met*, with the reason named: a CI gate must never pass because a figure was missing.
"""

from __future__ import annotations

from typing import Any

# requirement -> (summary key, "max"/"min", label, unit)
RULES: dict[str, tuple[str, str, str, str]] = {
    "max_p50_latency_ms": ("latency_p50_ms", "max", "p50 latency", "ms"),
    "max_p95_latency_ms": ("latency_p95_ms", "max", "p95 latency", "ms"),
    "max_p99_latency_ms": ("latency_p99_ms", "max", "p99 latency", "ms"),
    "max_p95_ttft_ms": ("ttft_p95_ms", "max", "p95 TTFT", "ms"),
    "max_cost_per_request": ("cost_per_request", "max", "cost per request", "usd"),
    "max_cost_per_acceptable": ("cost_per_acceptable", "max", "cost per acceptable response", "usd"),
    "max_monthly_cost": ("monthly_cost", "max", "projected monthly cost", "usd"),
    "min_pass_rate": ("pass_rate", "min", "pass rate", "pct"),
    "min_mean_score": ("mean_score", "min", "mean score", "num"),
    "min_judge_score": ("judge_score", "min", "judge score", "num"),
    "min_tokens_per_s": ("tokens_per_s", "min", "tok/s", "num"),
    "max_error_rate": ("error_rate", "max", "error rate", "pct"),
    "max_refusal_rate": ("refusal_rate", "max", "refusal rate", "pct"),
    "max_invalid_json_rate": ("invalid_json_rate", "max", "invalid-JSON rate", "pct"),
}
_MISSING = {
    "judge_score": "no judge scores (run with --judge MODEL or set [judge] model)",
    "cost_per_request": "cost unknown (no price for this model; add [pricing] in config.toml)",
    "cost_per_acceptable": "cost unknown, or no passing response",
    "monthly_cost": "cost unknown (no price for this model), or requests_per_month not set",
    "pass_rate": "no verdicts (no checks ran)",
    "invalid_json_rate": None,  # no JSON checks: nothing to fail
}


def _fmt(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "usd":
        return f"${value:.6g}"
    if unit == "pct":
        return f"{value * 100:.1f}%"
    return f"{value:.3g}"


def monthly_cost(summary: dict[str, Any], requirements: dict[str, float]) -> float | None:
    per = summary.get("cost_per_request")
    rpm = requirements.get("requests_per_month")
    return per * rpm if per is not None and rpm is not None else None


def evaluate(summary: dict[str, Any], requirements: dict[str, float]) -> list[str]:
    """The failing constraints of one model, as readable lines (empty = meets all)."""
    figures = dict(summary, monthly_cost=monthly_cost(summary, requirements))
    failures = []
    for key, limit in requirements.items():
        rule = RULES.get(key)
        if rule is None:
            continue  # requests_per_month: an input, not a constraint
        field, kind, label, unit = rule
        value = figures.get(field)
        if value is None:
            reason = _MISSING.get(field, f"no {label} measured")
            if reason:
                failures.append(f"{key}: {reason}")
            continue
        bad = value > limit if kind == "max" else value < limit
        if bad:
            op = ">" if kind == "max" else "<"
            failures.append(f"{key}: {label} {_fmt(value, unit)} {op} {_fmt(limit, unit)}")
    return failures


def verdicts(summaries: dict[str, dict[str, Any]], requirements: dict[str, float]) -> dict[str, dict[str, Any]]:
    out = {}
    for model, s in summaries.items():
        failures = evaluate(s, requirements)
        out[model] = {"meets": not failures, "failures": failures, "monthly_cost": monthly_cost(s, requirements)}
    return out


def _quality(s: dict[str, Any]) -> tuple[float, ...]:
    def v(x: float | None) -> float:
        return -1.0 if x is None else x

    return (v(s.get("pass_rate")), v(s.get("judge_score")), v(s.get("mean_score")))


def _cost_key(s: dict[str, Any]) -> float:
    c = s.get("cost_per_request")
    return float("inf") if c is None else c


def recommend(summaries: dict[str, dict[str, Any]], verdict: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Cheapest model meeting every requirement, and the best-quality one (pass rate, judge, score)."""
    ok = [m for m in summaries if verdict[m]["meets"]]
    if not ok:
        return {"cheapest": None, "best": None, "meeting": []}
    cheapest = min(ok, key=lambda m: (_cost_key(summaries[m]), tuple(-x for x in _quality(summaries[m]))))
    best = max(ok, key=lambda m: (_quality(summaries[m]), -_cost_key(summaries[m])))
    return {"cheapest": cheapest, "best": best, "meeting": ok}


def _endpoint(model: str) -> str:
    return model.split("/", 1)[0]


def _rank(models: list[str], per_model: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(models, key=lambda m: (tuple(-x for x in _quality(per_model[m])), _cost_key(per_model[m]), m))


def routing_table(by_category: dict[str, dict[str, dict[str, Any]]], verdict: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per category: the best model (quality first, then cost) and a fallback.

    The best model is chosen among those that meet every requirement when there are any, else among
    all. The fallback is the next such model, preferring another endpoint (an outage rarely takes two
    providers down); when no other model meets the requirements, the best of the rest (flagged).
    """
    meeting = {m for m, v in verdict.items() if v["meets"]}
    routes: dict[str, dict[str, Any]] = {}
    for category, per_model in sorted(by_category.items()):
        ok = _rank([m for m in per_model if m in meeting], per_model)
        others = _rank([m for m in per_model if m not in meeting], per_model)
        ranked = ok or others
        if not ranked:
            continue
        best = ranked[0]
        rest = ranked[1:] if ok else others[1:]
        other_ep = [m for m in rest if _endpoint(m) != _endpoint(best)]
        candidates = other_ep or rest or (list(others) if ok else [])
        fallback = candidates[0] if candidates else None
        s = per_model[best]
        route: dict[str, Any] = {"model": best, "meets_requirements": best in meeting}
        if fallback:
            route["fallback"] = fallback
            route["fallback_meets_requirements"] = fallback in meeting
        for key in ("pass_rate", "judge_score", "cost_per_request", "latency_p95_ms"):
            if s.get(key) is not None:
                route[key] = round(s[key], 6)
        routes[category] = route
    return routes


def routing_toml(routes: dict[str, dict[str, Any]], suite_name: str, app_version: str = "") -> str:
    import tomli_w

    doc = {"suite": suite_name, "generated_by": f"tuiarena {app_version}".strip(), "routes": routes}
    header = "# Routing table from `tuiarena suite`: the best model per category and a fallback.\n"
    return header + tomli_w.dumps(doc)
