"""Suite results, folded in one response at a time: per model, per category, flaky cases, pairwise.

Memory stays flat: a response is reduced to a :class:`Sample` of numbers as soon as it is scored,
and the accumulators keep counts, sums, the latency figures needed for percentiles and one
:class:`Row` of numbers per response for the statistics — never texts. Per-(model, case) pass counts are kept only when cases
repeat (flaky detection).

Definitions (also in the report):

* pass rate = passing / (passing + failing) responses; an error counts as failing, a response with
  no verdict (no checks) is left out;
* mean score = case-weighted mean of the check scores (0..1);
* judge score = mean of correctness, clarity and conciseness (1..5); the Total column is their sum;
* cost per acceptable response = total cost / passing responses;
* judge failed = judge calls that errored or whose reply had no usable grade (never shown as "no judge");
* incomplete = finish reason ``length`` or a stream cut; invalid JSON = among responses to cases with
  an ``is-json`` / ``json-fields`` check, those with no parseable JSON.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Sample:
    model: str
    case_id: str
    category: str
    repeat: int
    status: str
    passed: bool | None
    score: float | None
    weight: float = 1.0
    ttft_ms: float | None = None
    total_ms: float | None = None
    tokens_per_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    refused: bool = False
    incomplete: bool = False
    json_checked: bool = False
    json_valid: bool = True
    cached: bool = False
    itl_p50_ms: float | None = None
    itl_p95_ms: float | None = None
    tokens_per_chunk: float | None = None
    connect_ms: float | None = None


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); ``q`` in 0..100."""
    if not values:
        return None
    xs: list[float] = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


class Stats:
    """Accumulator for one model (or one model within one category)."""

    def __init__(self) -> None:
        self.n = self.errors = self.passed = self.failed = 0
        self.refusals = self.incomplete = self.json_checked = self.json_invalid = self.cached = 0
        self.score_sum = self.score_w = 0.0
        self.judge_n = 0
        self.judge_failed = 0
        self.axis_sums = {"correctness": 0.0, "clarity": 0.0, "conciseness": 0.0}
        self.ttft = array("d")
        self.total = array("d")
        self.tps = array("d")
        self.itl50 = array("d")  # per-response ITL p50 and p95 (vLLM's ITL; see runner)
        self.itl95 = array("d")
        self.per_chunk = array("d")
        self.connect = array("d")  # connection set-ups (reused connections have none)
        self.prompt_tokens = self.completion_tokens = 0
        self.cost_sum = 0.0
        self.cost_known = self.cost_unknown = 0

    def add(self, s: Sample) -> None:
        self.n += 1
        if s.status in ("error", "cancelled"):
            self.errors += 1
        if s.passed is True:
            self.passed += 1
        elif s.passed is False:
            self.failed += 1
        if s.score is not None:
            self.score_sum += s.score * s.weight
            self.score_w += s.weight
        self.refusals += s.refused
        self.incomplete += s.incomplete
        self.json_checked += s.json_checked
        self.json_invalid += s.json_checked and not s.json_valid
        self.cached += s.cached
        if s.status not in ("error", "cancelled"):
            if s.ttft_ms is not None:
                self.ttft.append(s.ttft_ms)
            if s.total_ms is not None:
                self.total.append(s.total_ms)
            if s.tokens_per_s is not None:
                self.tps.append(s.tokens_per_s)
            if s.itl_p50_ms is not None:
                self.itl50.append(s.itl_p50_ms)
            if s.itl_p95_ms is not None:
                self.itl95.append(s.itl_p95_ms)
            if s.tokens_per_chunk is not None:
                self.per_chunk.append(s.tokens_per_chunk)
            if s.connect_ms is not None:
                self.connect.append(s.connect_ms)
        self.prompt_tokens += s.prompt_tokens or 0
        self.completion_tokens += s.completion_tokens or 0
        if s.cost_usd is None:
            if s.status not in ("error", "cancelled") or s.prompt_tokens:
                self.cost_unknown += 1
        else:
            self.cost_known += 1
            self.cost_sum += s.cost_usd

    def add_judge(self, detail: dict[str, Any] | None) -> None:
        if not detail or "total" not in detail:
            self.judge_failed += 1
            return
        self.judge_n += 1
        for axis in self.axis_sums:
            self.axis_sums[axis] += float(detail[axis])

    def summary(self) -> dict[str, Any]:
        verdicts = self.passed + self.failed
        axes = {a: (v / self.judge_n if self.judge_n else None) for a, v in self.axis_sums.items()}
        judge_total = sum(axes.values()) if self.judge_n else None  # type: ignore[arg-type]
        cost_total = self.cost_sum if self.cost_known and not self.cost_unknown else None
        mean_cost = self.cost_sum / self.cost_known if self.cost_known and not self.cost_unknown else None
        return {
            "responses": self.n,
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate": _rate(self.passed, verdicts),
            "mean_score": self.score_sum / self.score_w if self.score_w else None,
            "judge_score": judge_total / 3 if judge_total is not None else None,
            "judge_graded": self.judge_n,
            "judge_unparsed": self.judge_failed,
            **{f"judge_{a}": v for a, v in axes.items()},
            "judge_total": judge_total,
            "ttft_p50_ms": percentile(self.ttft, 50),
            "ttft_p95_ms": percentile(self.ttft, 95),
            "ttft_p99_ms": percentile(self.ttft, 99),
            "latency_p50_ms": percentile(self.total, 50),
            "latency_p95_ms": percentile(self.total, 95),
            "latency_p99_ms": percentile(self.total, 99),
            "latency_mean_ms": sum(self.total) / len(self.total) if self.total else None,
            "tokens_per_s": percentile(self.tps, 50),
            "itl_p50_ms": percentile(self.itl50, 50),  # median of the responses' ITL p50
            "itl_p95_ms": percentile(self.itl95, 95),  # p95 of the responses' ITL p95
            "tokens_per_chunk": sum(self.per_chunk) / len(self.per_chunk) if self.per_chunk else None,
            "connect_p50_ms": percentile(self.connect, 50),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": cost_total,
            "cost_per_request": mean_cost,
            "cost_per_acceptable": (cost_total / self.passed) if cost_total is not None and self.passed else None,
            "cost_unknown": self.cost_unknown,
            "error_rate": _rate(self.errors, self.n),
            "refusal_rate": _rate(self.refusals, self.n),
            "incomplete_rate": _rate(self.incomplete, self.n),
            "invalid_json_rate": _rate(self.json_invalid, self.json_checked),
            "cached": self.cached,
        }


@dataclass(slots=True)
class Row:
    """The numbers of one answer that the statistics need (see tuiarena.scoring.stats)."""

    case_id: str
    repeat: int
    passed: bool | None
    score: float | None
    weight: float
    ttft_ms: float | None
    total_ms: float | None
    cost_usd: float | None
    failed: bool


@dataclass(slots=True)
class PairRecord:
    """One pairwise verdict, reduced: enough to compare with human votes on the same pair."""

    response_a: str
    response_b: str
    model_a: str
    model_b: str
    winner: str | None  # model id, "tie", or None
    consistent: bool | None
    prompt: str = ""  # the case's last user message: blind votes on the same prompt and models match


class Aggregator:
    def __init__(self, models: Iterable[str], *, track_cases: bool = False) -> None:
        self.models = list(models)
        self.by_model: dict[str, Stats] = {m: Stats() for m in self.models}
        self.by_category: dict[str, dict[str, Stats]] = {}
        self.track_cases = track_cases
        self.cases: dict[tuple[str, str], list[float]] = {}  # (model, case) -> [passes, fails, n, sum, sumsq]
        self.pairs: list[PairRecord] = []
        # per model, one row of numbers per answer (never text): what the statistics resample
        self.rows: dict[str, list[Row]] = {m: [] for m in self.models}
        self.judged: dict[tuple[str, str, int], float | None] = {}  # (model, case, repeat) -> mean 1..5 grade
        self.pair_wins: dict[str, list[int]] = {m: [0, 0, 0] for m in self.models}  # wins, losses, ties
        self.pair_consistent = self.pair_inconsistent = self.pair_unparsed = 0

    def _cat(self, model: str, category: str) -> Stats:
        per = self.by_category.setdefault(category or "default", {})
        st = per.get(model)
        if st is None:
            st = per[model] = Stats()
        return st

    def add(self, s: Sample) -> None:
        self.by_model.setdefault(s.model, Stats()).add(s)
        failed = s.status in ("error", "cancelled")
        self.rows.setdefault(s.model, []).append(Row(
            s.case_id, s.repeat, s.passed, s.score, s.weight, None if failed else s.ttft_ms,
            None if failed else s.total_ms, s.cost_usd, failed))
        self._cat(s.model, s.category).add(s)
        if self.track_cases:
            acc = self.cases.setdefault((s.model, s.case_id), [0, 0, 0, 0.0, 0.0])
            acc[0] += s.passed is True
            acc[1] += s.passed is False
            if s.score is not None:
                acc[2] += 1
                acc[3] += s.score
                acc[4] += s.score * s.score

    def add_judge(self, model: str, category: str, detail: dict[str, Any] | None, case_id: str = "",
                  repeat: int = 0) -> None:
        self.by_model.setdefault(model, Stats()).add_judge(detail)
        grade = None
        if detail and "total" in detail:
            grade = sum(float(detail[a]) for a in ("correctness", "clarity", "conciseness")) / 3
        self.judged[(model, case_id, repeat)] = grade
        self._cat(model, category).add_judge(detail)

    def add_pairwise(self, rec: PairRecord) -> None:
        self.pairs.append(rec)
        if rec.consistent is None:
            self.pair_unparsed += 1
            return
        if not rec.consistent:
            self.pair_inconsistent += 1
            return
        self.pair_consistent += 1
        for m in (rec.model_a, rec.model_b):
            self.pair_wins.setdefault(m, [0, 0, 0])
        if rec.winner == "tie":
            self.pair_wins[rec.model_a][2] += 1
            self.pair_wins[rec.model_b][2] += 1
        else:
            loser = rec.model_b if rec.winner == rec.model_a else rec.model_a
            self.pair_wins[rec.winner][0] += 1  # type: ignore[index]
            self.pair_wins[loser][1] += 1

    def flaky(self) -> list[dict[str, Any]]:
        """Cases that passed in some repeats and failed in others, per model."""
        out = []
        for (model, case_id), (p, f, n, s, sq) in self.cases.items():
            if p and f:
                mean = s / n if n else None
                spread = math.sqrt(max(0.0, sq / n - mean * mean)) if mean is not None else None
                out.append({"model": model, "case_id": case_id, "passed": int(p), "runs": int(p + f), "mean_score": mean, "score_stdev": spread})
        return sorted(out, key=lambda d: (d["case_id"], d["model"]))

    def pairwise_summary(self) -> dict[str, Any]:
        judged = self.pair_consistent + self.pair_inconsistent
        return {
            "pairs": len(self.pairs),
            "consistent": self.pair_consistent,
            "inconsistent": self.pair_inconsistent,
            "unparseable": self.pair_unparsed,
            "consistency_rate": _rate(self.pair_consistent, judged),
            "wins": {m: {"wins": w, "losses": lo, "ties": t} for m, (w, lo, t) in self.pair_wins.items()},
        }


def judge_agreement(votes: Iterable[Any], pairs: Iterable[PairRecord]) -> dict[str, Any]:
    """How often the (consistent) pairwise judge agrees with blind human votes on the same pair.

    A vote matches a verdict when both concern the same two responses, or the same two models on
    the same prompt (a blind series run from the suite). "both_bad" counts as a tie, invalid votes
    are ignored. Inconsistent or unparseable verdicts are counted, not compared.
    """
    pairs = list(pairs)
    by_pair = {frozenset((p.response_a, p.response_b)): p for p in pairs}
    by_prompt = {(frozenset((p.model_a, p.model_b)), p.prompt.strip()): p for p in pairs if p.prompt.strip()}
    n = agree = undecided = 0
    for v in votes:
        if getattr(v, "invalid", False):
            continue
        p = by_pair.get(frozenset((v.response_a, v.response_b)))
        if p is None:
            p = by_prompt.get((frozenset((v.model_a, v.model_b)), (getattr(v, "prompt", "") or "").strip()))
        if p is None:
            continue
        if not p.consistent:
            undecided += 1
            continue
        human = {"a": v.model_a, "b": v.model_b}.get(v.outcome, "tie")
        n += 1
        agree += human == p.winner
    return {"compared": n, "agree": agree, "agreement": _rate(agree, n), "judge_undecided": undecided}
