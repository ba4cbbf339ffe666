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


def disqualified(summary: dict[str, Any]) -> list[str]:
    """Why a model can never be recommended, whatever the requirements: it failed on every case."""
    if not summary.get("responses"):
        return ["no answers"]
    if (summary.get("error_rate") or 0) >= 1:
        return ["failed on every case (errors)"]
    if summary.get("pass_rate") == 0:
        return ["passed no case"]
    return []


def verdicts(summaries: dict[str, dict[str, Any]], requirements: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Per model: ``meets`` (qualifies: no disqualifying failure and every requirement met) and why not."""
    out = {}
    for model, s in summaries.items():
        failures = disqualified(s) + evaluate(s, requirements)
        out[model] = {"meets": not failures, "failures": failures, "monthly_cost": monthly_cost(s, requirements)}
    return out


def _num(x: float | None, missing: float) -> float:
    return missing if x is None else float(x)


def rank_key(s: dict[str, Any]) -> tuple[float, ...]:
    """Best first: quality (pass rate, judge score, mean score), then p95 latency, then cost."""
    return (-_num(s.get("pass_rate"), -1.0), -_num(s.get("judge_score"), -1.0), -_num(s.get("mean_score"), -1.0),
            _num(s.get("latency_p95_ms"), float("inf")), _num(s.get("cost_per_request"), float("inf")))


def _cost_key(s: dict[str, Any]) -> float:
    return _num(s.get("cost_per_request"), float("inf"))


def recommend(summaries: dict[str, dict[str, Any]], verdict: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Among the qualifying models: the cheapest, and the best (quality, then p95 latency, then cost).

    Ties never fall to the model's name: the order of ``summaries`` (the order models were given)
    decides only when every figure is equal. With no qualifying model both are None and ``reason``
    says why, model by model.
    """
    order = {m: i for i, m in enumerate(summaries)}
    ok = [m for m in summaries if verdict[m]["meets"]]
    if not ok:
        reason = "; ".join(f"{m}: {verdict[m]['failures'][0]}" for m in summaries) or "no models"
        return {"cheapest": None, "best": None, "meeting": [], "reason": f"no model qualifies ({reason})"}
    best = min(ok, key=lambda m: (rank_key(summaries[m]), order[m]))
    cheapest = min(ok, key=lambda m: (_cost_key(summaries[m]), rank_key(summaries[m]), order[m]))
    return {"cheapest": cheapest, "best": best, "meeting": sorted(ok, key=lambda m: (rank_key(summaries[m]), order[m])),
            "reason": None}


def _endpoint(model: str) -> str:
    return model.split("/", 1)[0]


def routing_table(by_category: dict[str, dict[str, dict[str, Any]]], verdict: dict[str, dict[str, Any]],
                  requirements: dict[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """Per category: the best qualifying model (quality, then p95 latency, then cost) and a fallback.

    A model qualifies for a category when it qualifies overall and, on that category's cases alone,
    it did not fail every case and meets the requirements. The fallback is the next qualifying
    model, preferring another endpoint (an outage rarely takes two providers down). A category with
    no qualifying model gets ``model`` = "" and ``none_qualifies`` with the reason: nothing is routed
    to a model that failed it.
    """
    req = requirements or {}
    routes: dict[str, dict[str, Any]] = {}
    for category, per_model in sorted(by_category.items()):
        why: dict[str, list[str]] = {}
        for m, s in per_model.items():
            overall = verdict.get(m, {"meets": True, "failures": []})
            why[m] = (["does not qualify overall"] if not overall["meets"] else []) + disqualified(s) + evaluate(s, req)
        ok = sorted((m for m in per_model if not why[m]), key=lambda m: rank_key(per_model[m]))
        if not ok:
            if all(not verdict.get(m, {"meets": True})["meets"] for m in per_model):
                detail = reason = "no model qualifies overall"
            elif len({w[0] for w in why.values()}) == 1:
                detail = f"every model {next(iter(why.values()))[0]}"
                reason = f"no model qualifies here: {detail}"
            else:  # name what stopped the models that qualify overall; the rest in one phrase
                here = [f"{m}: {w[0]}" for m, w in why.items() if w[0] != "does not qualify overall"]
                n_rest = len(why) - len(here)
                others = ("; the other does not qualify overall" if n_rest == 1
                          else f"; the {n_rest} others do not qualify overall" if n_rest else "")
                detail = "; ".join(here) + others
                reason = f"no model qualifies here ({detail})"
            # "why": the reason without its head, for tables whose Model column already says "none qualifies"
            routes[category] = {"model": "", "none_qualifies": True, "reason": reason, "why": detail}
            continue
        best = ok[0]
        rest = ok[1:]
        other_ep = [m for m in rest if _endpoint(m) != _endpoint(best)]
        candidates = other_ep or rest
        fallback = candidates[0] if candidates else None
        s = per_model[best]
        route: dict[str, Any] = {"model": best, "meets_requirements": True}
        if fallback:
            route["fallback"] = fallback
            route["fallback_meets_requirements"] = True
        for key in ("pass_rate", "judge_score", "cost_per_request", "latency_p95_ms"):
            if s.get(key) is not None:
                route[key] = round(s[key], 6)
        routes[category] = route
    return routes


def routing_toml(routes: dict[str, dict[str, Any]], suite_name: str, app_version: str = "") -> str:
    import tomli_w

    kept = {c: {k: v for k, v in r.items() if k != "why"} for c, r in routes.items()}  # ("reason" says it whole)
    doc = {"suite": suite_name, "generated_by": f"tuiarena {app_version}".strip(), "routes": kept}
    header = "# Routing table from `tuiarena suite`: the best model per category and a fallback.\n"
    return header + tomli_w.dumps(doc)
