"""The statistics of a suite: intervals per model and paired comparisons, from an Aggregator's rows.

Per model (repeats folded in where the unit is the case): Wilson 95% interval on the pass rate
(successes = sum of per-case pass fractions, n = cases with a verdict); Poisson-bootstrap 95%
intervals over cases on the mean check score (case-weighted), the judge score, p95 total latency
(answers that did not fail) and cost per acceptable answer. Per pair of models, on the cases both
answered: :func:`tuiarena.scoring.stats.compare`. Rows are sorted by (case, repeat) first, so the
result does not depend on the order answers arrived in; the seed is fixed, so a report reopened
from its session shows the same intervals.
"""

from __future__ import annotations

import itertools
from typing import Any

from tuiarena.engine.suite.aggregate import Aggregator, Row
from tuiarena.scoring import stats as st

SEED = 0


def _pair(ci: tuple[float, float] | None) -> list[float] | None:
    return [ci[0], ci[1]] if ci is not None else None


class _Case:
    """One case's repeats folded: passes of verdicts, score and judge-grade sums, cost."""

    __slots__ = ("passes", "verdicts", "score_sum", "scores", "weight", "grade_sum", "grades", "cost")

    def __init__(self, weight: float) -> None:
        self.passes = self.score_sum = self.grade_sum = self.cost = 0.0
        self.verdicts = self.scores = self.grades = 0
        self.weight = weight

    def add(self, r: Row, grade: float | None) -> None:
        if r.passed is not None:
            self.passes += r.passed
            self.verdicts += 1
        if r.score is not None:
            self.score_sum += r.score
            self.scores += 1
        if grade is not None:
            self.grade_sum += grade
            self.grades += 1
        self.cost += r.cost_usd or 0.0


def model_stats(model: str, rows: list[Row], judged: dict[tuple[str, str, int], float | None],
                rounds: int = st.ROUNDS) -> dict[str, Any]:
    rows = sorted(rows, key=lambda r: (r.case_id, r.repeat))
    n_cases = len({r.case_id for r in rows})
    lat = [r.total_ms for r in rows if r.total_ms is not None]
    cost_known = all(r.cost_usd is not None for r in rows) and any(r.passed for r in rows)
    if all(r.repeat == 0 for r in rows):  # one answer per case: nothing to fold
        fractions = [1.0 if r.passed else 0.0 for r in rows if r.passed is not None]
        scored = [(r.score, r.weight) for r in rows if r.score is not None]
        grades = [g for r in rows if (g := judged.get((model, r.case_id, r.repeat))) is not None] if judged else []
        cost_x, cost_y = [r.cost_usd or 0.0 for r in rows], [1.0 if r.passed else 0.0 for r in rows]
    else:  # the unit is the case: its repeats are one draw of the bootstrap, not several
        acc: dict[str, _Case] = {}
        for r in rows:
            c = acc.get(r.case_id)
            if c is None:
                c = acc[r.case_id] = _Case(r.weight)
            c.add(r, judged.get((model, r.case_id, r.repeat)) if judged else None)
        values = acc.values()
        fractions = [c.passes / c.verdicts for c in values if c.verdicts]
        scored = [(c.score_sum / c.scores, c.weight) for c in values if c.scores]
        grades = [c.grade_sum / c.grades for c in values if c.grades]
        cost_x, cost_y = [c.cost for c in values], [c.passes for c in values]
    seed = f"{SEED}:{model}"
    return {
        "cases": n_cases,
        "pass_rate_ci": _pair(st.wilson(sum(fractions), len(fractions))),
        "mean_score_ci": _pair(st.bootstrap_mean([s for s, _ in scored], [w for _, w in scored], rounds=rounds,
                                                 seed=seed + ":score")) if scored else None,
        "judge_score_ci": _pair(st.bootstrap_mean(grades, rounds=rounds, seed=seed + ":judge")) if grades else None,
        "latency_p95_ci_ms": _pair(st.bootstrap_quantile(lat, 95, rounds=rounds, seed=seed + ":p95")) if lat else None,
        "cost_per_acceptable_ci": _pair(st.bootstrap_ratio(cost_x, cost_y, rounds=rounds, seed=seed + ":cost"))
        if cost_known else None,
    }


def _fold(model: str, ids: list[str], rows: list[Row], judged: dict[tuple[str, str, int], float | None]) -> st.CaseFigures:
    if any(r.repeat for r in rows):
        return st.folded(ids, ((r.case_id, r.passed, r.score, judged.get((model, r.case_id, r.repeat)))
                               for r in rows))
    by = {r.case_id: r for r in rows}  # one answer per case: read the figures straight off
    got = [by.get(c) for c in ids]
    return st.CaseFigures(
        [None if r is None or r.passed is None else (1.0 if r.passed else 0.0) for r in got],
        [None if r is None else r.score for r in got],
        [judged.get((model, c, 0)) for c in ids] if judged else [None] * len(ids),
    )


def suite_stats(agg: Aggregator, models: list[str], rounds: int = st.ROUNDS) -> dict[str, Any]:
    """``{"models": {model: intervals}, "pairs": [comparison, ...]}`` (pairs in the order of ``models``)."""
    per_model = {m: model_stats(m, agg.rows.get(m, []), agg.judged, rounds) for m in models}
    ids = sorted({r.case_id for m in models for r in agg.rows.get(m, [])})
    judged = agg.judged
    folded = {m: _fold(m, ids, agg.rows.get(m, []), judged) for m in models}
    pairs = [st.compare(a, b, folded[a], folded[b], seed=SEED, rounds=rounds) for a, b in itertools.combinations(models, 2)]
    return {"models": per_model, "pairs": pairs, "rounds": rounds, "seed": SEED}


__all__ = ["model_stats", "suite_stats"]
