"""A saved suite session, folded back into what the suite had when it ended.

:func:`fold_suite_log` reads the events of a session of kind "suite" and rebuilds the
:class:`~tuiarena.engine.suite.aggregate.Aggregator` exactly as :class:`~tuiarena.engine.suite.run.SuiteRun`
filled it (same samples from the same answers and check verdicts), plus what a report needs beyond
the figures: every answer with its checks and judge grade, and the judge's own calls kept apart.

Judge runs (label ``judge:...``) are never candidates: their answers are counted as judge calls
(``judge_calls``, ``judge_failures``, ``judge_cost_usd``). The suite's cases come from the suite file
named in the header when it still has the same case ids, else from the runs themselves (prompt and
parameters), with the categories and weights the header recorded (``case_info``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuiarena.engine.suite.aggregate import Aggregator, PairRecord
from tuiarena.engine.suite.cases import Case
from tuiarena.engine.suite.load import JudgeSpec, Suite
from tuiarena.engine.suite.run import JSON_CHECKS, make_sample
from tuiarena.model import Params, ResponseDone, RunStarted, ScoreGiven


@dataclass(slots=True)
class Answer:
    """One candidate's answer to one case and repeat, with its verdicts."""

    case_id: str
    repeat: int
    model: str
    record: ResponseDone
    checks: ScoreGiven | None = None
    judge: ScoreGiven | None = None


@dataclass(slots=True)
class SuiteResult:
    suite: Suite
    models: list[str]
    repeat: int
    judge: str | None
    agg: Aggregator
    answers: list[Answer] = field(default_factory=list)
    judge_calls: int = 0
    judge_failures: int = 0
    judge_cost_usd: float | None = 0.0
    expected: int = 0  # answers the suite was to produce (cases x repeats x models)
    session: str = ""
    planned_cases: int = 0  # the suite's cases (a stopped run reached fewer)

    @property
    def answered(self) -> int:
        """Answers recorded, those cancelled by a stop left out (they say nothing about the model)."""
        return sum(1 for a in self.answers if a.record.status != "cancelled")

    @property
    def complete(self) -> bool:
        return self.answered >= self.expected


def case_info(suite: Suite) -> dict[str, list[Any]]:
    """What a session header keeps about each case so the session can be reopened as a suite."""
    return {c.id: [c.category, c.weight] for c in suite.cases}


def _cases(meta: dict[str, Any], runs: list[RunStarted]) -> tuple[list[Case], Suite | None]:
    ids = list(dict.fromkeys(r.case_id for r in runs if r.case_id is not None))
    loaded: Suite | None = None
    path = meta.get("path")
    if path and Path(str(path)).is_file():
        try:
            from tuiarena.engine.suite.load import load_suite

            loaded = load_suite(str(path))
        except Exception:  # noqa: BLE001 - the file changed or broke since: fall back on the runs
            loaded = None
    info = meta.get("case_info") or {}
    by_id = {c.id: c for c in loaded.cases} if loaded is not None else {}
    first = {r.case_id: r for r in reversed(runs) if r.case_id is not None}
    cases = []
    for cid in ids:
        if cid in by_id:
            cases.append(by_id[cid])
            continue
        run = first[cid]
        cat, weight = (info.get(cid) or ["", 1.0])[:2]
        cases.append(Case(id=cid, messages=list(run.messages), params=Params.from_dict(run.params),
                          category=str(cat or ""), weight=float(weight or 1.0)))
    for c in cases:  # the header's categories are what the run used
        if c.id in info:
            c.category, c.weight = str(info[c.id][0] or ""), float(info[c.id][1] or 1.0)
    return cases, loaded


def fold_suite_log(log: Any) -> SuiteResult:
    """Rebuild a suite's results from a session log (anything with ``header`` and ``events``)."""
    meta = dict(getattr(log.header, "meta", None) or {})
    events = list(log.events)
    runs = [ev for ev in events if type(ev) is RunStarted]
    cand_runs = [r for r in runs if not (r.label or "").startswith("judge:")]
    judge_runs = {r.run_id for r in runs if (r.label or "").startswith("judge:")}
    models = list(meta.get("models") or dict.fromkeys(m for r in cand_runs for m in r.models))
    repeat = int(meta.get("repeat") or (max((r.repeat for r in cand_runs), default=0) + 1))
    cases, loaded = _cases(meta, cand_runs)
    suite = Suite(
        name=str(meta.get("suite") or (loaded.name if loaded else "suite")),
        path=Path(str(meta.get("path") or "")),
        cases=cases,
        description=loaded.description if loaded is not None else "",
        models=models,
        judge=loaded.judge if loaded is not None else JudgeSpec(model=meta.get("judge")),
        requirements=dict(meta.get("requirements") or {}),
    )
    by_case = {c.id: c for c in cases}
    where: dict[str, tuple[RunStarted, str]] = {}
    for r in cand_runs:
        for model, rid in r.response_ids.items():
            where[rid] = (r, model)
    agg = Aggregator(models, track_cases=repeat > 1)
    planned = max(len(cases), int(meta.get("cases") or 0))
    result = SuiteResult(suite=suite, models=models, repeat=repeat, judge=meta.get("judge"), agg=agg,
                         expected=planned * repeat * len(models), session=str(getattr(log, "path", "")),
                         planned_cases=planned)
    answers: dict[str, Answer] = {}
    judge_cost: float | None = 0.0
    for ev in events:
        kind = type(ev)
        if kind is ResponseDone:
            if ev.run_id in judge_runs:
                result.judge_calls += 1
                result.judge_failures += ev.status != "done"
                judge_cost = None if judge_cost is None or ev.cost_usd is None else judge_cost + ev.cost_usd
                continue
            place = where.get(ev.response_id)
            if place is None or place[0].case_id is None:
                continue
            answers[ev.response_id] = Answer(place[0].case_id, place[0].repeat, ev.model, ev)
        elif kind is ScoreGiven:
            ans = answers.get(ev.response_id)
            if ans is None:
                continue
            if ev.scorer == "checks":
                ans.checks = ev
            elif ev.scorer == "judge:rubric":
                ans.judge = ev
            elif ev.scorer == "judge:pairwise":
                d = ev.detail or {}
                run = where.get(ev.response_id, (None, ""))[0]
                prompt = next((str(m.get("content", "")) for m in reversed(run.messages) if m.get("role") == "user"), "") if run else ""
                agg.add_pairwise(PairRecord(str(d.get("response_a", "")), str(d.get("response_b", "")),
                                            str(d.get("model_a", "")), str(d.get("model_b", "")), d.get("winner"),
                                            d.get("consistent"), prompt))
    result.judge_cost_usd = judge_cost if result.judge_calls else None
    for ans in answers.values():
        case = by_case.get(ans.case_id)
        if case is None:
            continue
        rec = ans.record
        if rec.status == "cancelled":
            continue  # stopped by the user: recorded, not scored (as SuiteRun does)
        failed = rec.status == "error"
        checks = ans.checks
        passed, score = (checks.passed, checks.score) if checks is not None else ((False, 0.0) if failed else (None, None))
        types = {c.get("type") for c in ((checks.detail or {}).get("checks") or [])} if checks is not None else set()
        json_checked = bool(types & JSON_CHECKS) or any(c["type"] in JSON_CHECKS for c in case.checks)
        agg.add(make_sample(case.id, case.category, case.weight, ans.repeat, rec, passed, score, json_checked))
        if ans.judge is not None and not (ans.judge.score is None and "cancelled" in (ans.judge.reason or "")):
            usable = ans.judge.detail if ans.judge.score is not None else None
            agg.add_judge(rec.model, case.category, usable, case.id, ans.repeat)
    result.answers = list(answers.values())
    return result


__all__ = ["Answer", "SuiteResult", "case_info", "fold_suite_log"]
