"""Running a suite: cases x repeats x models through the Runner, scored as they finish.

Scheduling: one *lane* per endpoint with as many workers as the endpoint's concurrency limit; each
lane walks the cases in order for its own models, so a slow provider never holds back a fast one
and no endpoint sits idle while another has work. One ``RunStarted`` (with ``case_id`` and
``repeat``) is emitted per case and repeat, the first time any lane reaches it; every model's
answer is a response of that run (``Runner.respond_one``).

As each response ends its checks run at once, a ``ScoreGiven`` is emitted to the sinks, the figures
are folded into the :class:`~tuiarena.engine.suite.aggregate.Aggregator`. The judge works on its own
workers (as many as its endpoint allows) from a queue of answers to grade; when it shares a backend
with a candidate (same endpoint or base URL) those workers start only once every candidate answer is
in, so judge traffic never inflates the candidates' latencies. ``on_result`` fires when a cell is
final (after its grade when there is a judge). With ``pairwise``, the answers of one case are queued
for the judge once every model has answered (repeat 0 only).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tuiarena.engine.suite.aggregate import Aggregator, PairRecord, Sample
from tuiarena.engine.suite.cache import ResponseCache, cache_key
from tuiarena.engine.suite.cases import Case
from tuiarena.engine.suite.load import Suite
from tuiarena.model import (
    ModelRef,
    ResponseDone,
    ResponseStarted,
    RunStarted,
    ScoreGiven,
    new_id,
)
from tuiarena.scoring.answers import detect_refusal, parse_json_answer
from tuiarena.scoring.checks import CheckContext, check_label, score_case
from tuiarena.scoring.judge import Judge

JSON_CHECKS = frozenset({"is-json", "json-fields"})


@dataclass(slots=True)
class SuiteProgress:
    done: int = 0
    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    cached: int = 0
    cost_usd: float = 0.0
    last_model: str = ""
    last_case: str = ""
    judge_queued: int = 0  # answers handed to the judge so far
    judged: int = 0  # ... and graded (or failed to be)


@dataclass(slots=True)
class CellResult:
    """One scored answer: what the TUI matrix shows in a cell."""

    case_id: str
    repeat: int
    model: str
    run_id: str
    response_id: str
    status: str
    passed: bool | None
    score: float | None
    reason: str
    judge: ScoreGiven | None = None


@dataclass(slots=True)
class _Unit:
    run_id: str
    response_ids: dict[str, str]
    remaining: int
    records: dict[str, ResponseDone] = field(default_factory=dict)


class SuiteRun:
    """Run a loaded suite across models; ``await run()`` returns the filled Aggregator."""

    def __init__(
        self,
        suite: Suite,
        models: list[str],
        runner: Any,
        *,
        repeat: int = 1,
        concurrency: int | None = None,
        judge: Judge | None = None,
        pairwise: bool = False,
        cache: ResponseCache | None = None,
        progress: Callable[[SuiteProgress], Any] | None = None,
        on_result: Callable[[CellResult], Any] | None = None,
    ) -> None:
        if repeat < 1:
            raise ValueError("repeat must be >= 1")
        self.suite = suite
        self.models = list(models)
        self.runner = runner
        self.repeat = repeat
        self.concurrency = concurrency
        self.judge = judge
        self.pairwise = pairwise and judge is not None and len(self.models) > 1
        self.cache = cache
        self.progress_cb = progress
        self.on_result = on_result
        self.agg = Aggregator(self.models, track_cases=repeat > 1)
        self.progress = SuiteProgress(total=len(suite.cases) * repeat * len(self.models))
        self._units: dict[tuple[int, int], _Unit] = {}
        self._stopping = False

    # ---------------------------------------------------------------- scheduling
    def _limit(self, endpoint: str) -> int:
        if self.concurrency:
            return self.concurrency
        try:
            provider = self.runner.registry.get(endpoint)
        except Exception:  # an unknown endpoint fails per response, in the runner
            return 1
        return max(1, int(getattr(provider, "max_concurrency", 4) or 4))

    def _jobs(self, models: list[str]) -> Iterator[tuple[int, int, str]]:
        for ci in range(len(self.suite.cases)):
            for rep in range(self.repeat):
                for model in models:
                    yield ci, rep, model

    def _unit(self, ci: int, rep: int) -> _Unit:
        unit = self._units.get((ci, rep))
        if unit is None:
            case = self.suite.cases[ci]
            run = RunStarted(
                run_id=new_id("r"),
                models=list(self.models),
                messages=case.messages,
                params=case.params.to_dict(),
                response_ids={m: new_id("x") for m in self.models},
                case_id=case.id,
                repeat=rep,
                label=self.suite.name,
            )
            unit = self._units[(ci, rep)] = _Unit(run.run_id, run.response_ids, len(self.models))
            self.runner.emit(run)
        return unit

    def _endpoint(self, model: str) -> str:
        try:
            return ModelRef.parse(model).endpoint
        except ValueError:
            return model

    def judge_shares_backend(self) -> list[str]:
        """The candidates served by the judge's backend (same endpoint or same base URL)."""
        if self.judge is None:
            return []
        jm = self.judge.model
        jep, jurl = self._endpoint(jm), self._base_url(jm)
        return [m for m in self.models
                if self._endpoint(m) == jep or (jurl and self._base_url(m) == jurl)]

    async def run(self) -> Aggregator:
        lanes: dict[str, list[str]] = {}
        for m in self.models:
            lanes.setdefault(self._endpoint(m), []).append(m)
        self._judge_q: asyncio.Queue[Any] = asyncio.Queue()
        shared = bool(self.judge_shares_backend())
        answers_done = asyncio.Event()
        async with asyncio.TaskGroup() as tg:
            workers = []
            for ep, models in lanes.items():
                jobs = self._jobs(models)
                for _ in range(self._limit(ep)):
                    workers.append(tg.create_task(self._worker(jobs)))
            n_judges = self._limit(self._endpoint(self.judge.model)) if self.judge is not None else 0
            for _ in range(n_judges):
                tg.create_task(self._judge_worker(answers_done if shared else None))

            async def close_judges() -> None:
                await asyncio.gather(*workers, return_exceptions=True)
                answers_done.set()
                for _ in range(n_judges):
                    self._judge_q.put_nowait(None)

            tg.create_task(close_judges())
        return self.agg

    @property
    def stopped(self) -> bool:
        """True once :meth:`cancel` was called: the aggregate covers only the answers finished before."""
        return self._stopping

    async def _judge_worker(self, wait_for: asyncio.Event | None) -> None:
        """Judge calls on their own workers; after every candidate answer when the judge shares their backend."""
        if wait_for is not None:
            await wait_for.wait()
        while True:
            job = await self._judge_q.get()
            if job is None:
                return
            if job[0] == "grade":
                _kind, case, rep, rec, cell = job
                if not self._stopping:
                    expected = case.expected if isinstance(case.expected, str) or case.expected is None else _json(case.expected)
                    cell.judge = await self.judge.grade(case.messages, rec, expected=expected, case_id=case.id)  # type: ignore[union-attr]
                    if self._stopping and cell.judge.score is None:
                        cell.judge = None  # the judge's call was cancelled: the answer keeps its checks only
                    else:
                        usable = cell.judge.detail if cell.judge.score is not None else None
                        self.agg.add_judge(rec.model, case.category, usable, case.id, rep)
                self.progress.judged += 1
                if self.progress_cb is not None:
                    self.progress_cb(self.progress)
                if self.on_result is not None:
                    self.on_result(cell)
            elif not self._stopping:
                _kind, case, records = job
                await self._pairwise(case, records)

    def cancel(self) -> None:
        """Stop taking new cases and cancel what is in flight (the cancelled answers are recorded in
        the session but not scored: they say nothing about the model)."""
        self._stopping = True
        self.runner.cancel()

    async def _worker(self, jobs: Iterator[tuple[int, int, str]]) -> None:
        for ci, rep, model in jobs:  # a shared iterator: each job is taken by one worker
            if self._stopping:
                return
            await self._one(ci, rep, model)

    # ---------------------------------------------------------------- one answer
    def _base_url(self, model: str) -> str:
        try:
            provider = self.runner.registry.get(ModelRef.parse(model).endpoint)
        except Exception:
            return ""
        spec = getattr(provider, "spec", None)
        return str(getattr(spec, "base_url", "") or getattr(provider, "base_url", "") or "")

    async def _answer(self, case: Case, unit: _Unit, model: str) -> ResponseDone:
        rid = unit.response_ids[model]
        key = None
        if self.cache is not None:
            key = cache_key(model, case.messages, case.params, self._base_url(model))
            hit = self.cache.get(key, unit.run_id, rid)
            if hit is not None:
                self.runner.emit(ResponseStarted(run_id=unit.run_id, response_id=rid, model=model))
                self.runner.emit(hit)
                return hit
        rec: ResponseDone = await self.runner.respond_one(unit.run_id, rid, model, case.messages, case.params)
        if key is not None:
            self.cache.put(key, rec)  # type: ignore[union-attr]
        return rec

    async def _one(self, ci: int, rep: int, model: str) -> None:
        case = self.suite.cases[ci]
        unit = self._unit(ci, rep)
        rec = await self._answer(case, unit, model)
        if self._stopping and rec.status == "cancelled":
            return  # stopped by the user: recorded in the session, not scored as a failure
        cell = self._score(case, rep, rec)
        if self.judge is not None and rec.status in ("done", "cut") and rec.text.strip():
            self.progress.judge_queued += 1
            self._judge_q.put_nowait(("grade", case, rep, rec, cell))
        elif self.on_result is not None:
            self.on_result(cell)
        unit.remaining -= 1
        if self.pairwise and rep == 0:
            unit.records[model] = rec
        if unit.remaining == 0:
            self._units.pop((ci, rep), None)
            if self.pairwise and rep == 0:
                self._judge_q.put_nowait(("pair", case, dict(unit.records)))
                unit.records.clear()

    def _score(self, case: Case, rep: int, rec: ResponseDone) -> CellResult:
        failed = rec.status in ("error", "cancelled")
        json_checked = any(c["type"] in JSON_CHECKS for c in case.checks)
        if failed:
            passed: bool | None = False
            score: float | None = 0.0
            reason = f"{rec.status}: {rec.error_kind or ''}: {rec.error or ''}".replace(": : ", ": ").rstrip(": ")
            detail: dict[str, Any] = {"case_id": case.id, "repeat": rep, "checks": []}
        else:
            cs = score_case(case.checks, rec.text, CheckContext(case.expected, rec), case.pass_threshold)
            passed, score, reason = cs.passed, cs.score, cs.reason()
            detail = {
                "case_id": case.id,
                "repeat": rep,
                "checks": [
                    {"name": check_label(s), "type": s["type"], "passed": r.passed, "score": round(r.score, 4), "reason": r.reason, "weight": s.get("weight", 1)}
                    for s, r in cs.results
                ],
            }
        if case.checks or failed:
            self.runner.emit(ScoreGiven(response_id=rec.response_id, run_id=rec.run_id, scorer="checks",
                                        passed=passed, score=score, reason=reason, detail=detail))
        sample = make_sample(case.id, case.category, case.weight, rep, rec, passed, score, json_checked)
        self.agg.add(sample)
        p = self.progress
        p.done += 1
        p.passed += passed is True
        p.failed += passed is False
        p.errors += failed
        p.cached += rec.cached
        p.cost_usd += rec.cost_usd or 0.0
        p.last_model, p.last_case = rec.model, case.id
        if self.progress_cb is not None:
            self.progress_cb(p)
        return CellResult(case.id, rep, rec.model, rec.run_id, rec.response_id, rec.status, passed, score, reason)

    async def _pairwise(self, case: Case, records: dict[str, ResponseDone]) -> None:
        recs = [records[m] for m in self.models if m in records and records[m].status in ("done", "cut")]
        for x, y in itertools.combinations(recs, 2):
            if self._stopping:
                return
            _score, verdict = await self.judge.compare(case.messages, x, y, case_id=case.id)  # type: ignore[union-attr]
            if self._stopping:
                return  # the verdict of a cancelled comparison says nothing
            prompt = next((str(m.get("content", "")) for m in reversed(case.messages) if m.get("role") == "user"), "")
            self.agg.add_pairwise(PairRecord(x.response_id, y.response_id, x.model, y.model, verdict.winner,
                                             verdict.consistent, prompt))


def make_sample(case_id: str, category: str, weight: float, rep: int, rec: ResponseDone, passed: bool | None,
                score: float | None, json_checked: bool, *, refused: bool | None = None,
                json_valid: bool | None = None) -> Sample:
    """The numbers of one scored answer (live, and again when a saved suite session is reopened).
    ``refused`` and ``json_valid``, when given, were read from the text already (a record without it)."""
    failed = rec.status in ("error", "cancelled")
    if refused is None:
        refused = not failed and detect_refusal(rec.text, rec.finish_reason) is not None
    if json_valid is None and json_checked and not failed:
        json_valid = parse_json_answer(rec.text)[0]
    return Sample(
        model=rec.model, case_id=case_id, category=category, repeat=rep, status=rec.status,
        passed=passed, score=score, weight=weight,
        ttft_ms=rec.ttft_answer_ms if rec.ttft_answer_ms is not None else rec.ttft_ms,
        total_ms=rec.total_ms, tokens_per_s=rec.tokens_per_s, prompt_tokens=rec.prompt_tokens,
        completion_tokens=rec.completion_tokens, cost_usd=rec.cost_usd,
        refused=not failed and refused,
        incomplete=rec.status == "cut" or rec.finish_reason == "length",
        json_checked=json_checked and not failed,
        json_valid=not (json_checked and not failed) or bool(json_valid),
        cached=rec.cached, itl_p50_ms=rec.itl_p50_ms, itl_p95_ms=rec.itl_p95_ms,
        tokens_per_chunk=rec.tokens_per_chunk, connect_ms=rec.connect_ms,
    )


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
