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

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuiarena.engine.suite.aggregate import Aggregator, PairRecord
from tuiarena.engine.suite.cases import Case
from tuiarena.engine.suite.load import JudgeSpec, Suite
from tuiarena.engine.suite.run import JSON_CHECKS, make_sample
from tuiarena.model import Params, ResponseDone, RunStarted, ScoreGiven
from tuiarena.runtime import collector_paused
from tuiarena.scoring.answers import detect_refusal, parse_json_answer


@dataclass(slots=True)
class Answer:
    """One candidate's answer to one case and repeat, with its verdicts."""

    case_id: str
    repeat: int
    model: str
    record: ResponseDone
    checks: ScoreGiven | None = None
    judge: ScoreGiven | None = None
    refused: bool | None = None  # read from the text before it was dropped (fold_suite_file); None: read record.text
    json_valid: bool | None = None
    offset: int = -1  # of the record's line in the session file (fold_suite_file)


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
    events = list(log.events)
    runs = [ev for ev in events if type(ev) is RunStarted]
    return _fold(log.header, str(getattr(log, "path", "")), runs, ((-1, ev) for ev in events), None)


def fold_suite_file(path: Path | str, skipped: list[tuple[int, str]] | None = None) -> SuiteResult:
    """:func:`fold_suite_log` of a session file read as a stream, for the reports that show figures
    only (every format but html): the file is read twice, first for its runs (response lines only
    glanced at), then event by event; each answer keeps its figures but not its text (the answers'
    records have ``text``, ``reasoning`` and timelines emptied), so memory does not grow with the
    answers' text. Lines skipped as unreadable are appended to ``skipped``, as ``read_session`` lists them."""
    from tuiarena.store.session_lines import event_at, iter_lines, parse_line
    from tuiarena.store.sessions import read_header

    path = Path(path)
    header = read_header(path)
    runs: list[RunStarted] = []
    with open(path, "rb") as fh:
        fh.readline()
        for line in fh:
            if not line.startswith(_NOT_RUNS):  # (answers and scores: most of the file, and never a run)
                ev = parse_line(line)
                if type(ev) is RunStarted:
                    runs.append(ev)
    sink = skipped if skipped is not None else []
    with open(path, "rb") as again:  # for the few answers whose text turns out to be needed after all

        def json_valid_at(offset: int) -> bool:
            rec = event_at(again, offset)
            return isinstance(rec, ResponseDone) and _json_valid(rec.text)

        with collector_paused():  # many kept objects and no cycles
            return _fold(header, str(path), runs, ((o, ev) for o, _n, ev in iter_lines(path, sink)), json_valid_at)


_NOT_RUNS = (b'{"type":"response",', b'{"type":"score",')  # how our writer starts those lines
_JSON_START = re.compile(r'\s*[-\[{"0-9tfnNI]')  # what json.loads may accept a text starting with


def _json_valid(text: str) -> bool:
    """``parse_json_answer(text)[0]``, without reading the text when it can be neither JSON nor hold a fence."""
    if "```" not in text and _JSON_START.match(text) is None:
        return False
    return parse_json_answer(text)[0]


def _slim_record(rec: ResponseDone) -> None:
    """Empty what the figures do not need, in place: a big suite keeps one record per answer."""
    rec.text = rec.reasoning = rec.run_id = rec.response_id = ""
    rec.timeline = rec.reasoning_timeline = ""
    rec.retries = _NO_RETRIES
    rec.error = None
    rec.model, rec.status = sys.intern(rec.model), sys.intern(rec.status)
    if rec.finish_reason is not None:
        rec.finish_reason = sys.intern(rec.finish_reason)


_NO_RETRIES: list[dict[str, Any]] = []  # shared by the slimmed records (read only)


def _slim_checks(ev: ScoreGiven) -> ScoreGiven:
    """A checks verdict with only what the fold reads (passed, score, which JSON checks it ran), in place."""
    checks = (ev.detail or {}).get("checks") or ()
    json_types = [t for t in JSON_CHECKS if any(isinstance(c, dict) and c.get("type") == t for c in checks)]
    ev.detail = {"checks": [{"type": t} for t in sorted(json_types)]} if json_types else {}
    ev.reason = ev.response_id = ev.run_id = ""
    return ev


def _fold(header: Any, session: str, runs: list[RunStarted], events: Iterable[tuple[int, Any]],
          json_valid_at: Callable[[int], bool] | None) -> SuiteResult:
    """The fold of :func:`fold_suite_log`, from the runs and the events with their byte offsets. With
    ``json_valid_at`` (a stream), each answer's text is read for what the figures need and dropped;
    whether an answer is valid JSON is read then only when its case has a JSON check, else later by
    offset when its check verdict turns out to have one."""
    slim = json_valid_at is not None
    meta = dict(getattr(header, "meta", None) or {})
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
                         expected=planned * repeat * len(models), session=session,
                         planned_cases=planned)
    answers: dict[str, Answer] = {}
    judge_cost: float | None = 0.0
    for offset, ev in events:
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
            new = answers[ev.response_id] = Answer(place[0].case_id, place[0].repeat, ev.model, ev)
            if slim:  # what the figures need from the text, then the text goes
                new.offset = offset
                if ev.status not in ("error", "cancelled"):
                    new.refused = detect_refusal(ev.text, ev.finish_reason) is not None
                    case = by_case.get(place[0].case_id)
                    if case is not None and any(c["type"] in JSON_CHECKS for c in case.checks):
                        new.json_valid = _json_valid(ev.text)
                _slim_record(ev)
        elif kind is ScoreGiven:
            ans = answers.get(ev.response_id)
            if ans is None:
                continue
            if ev.scorer == "checks":
                ans.checks = _slim_checks(ev) if slim else ev
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
        if json_checked and not failed and ans.json_valid is None and json_valid_at is not None:
            ans.json_valid = json_valid_at(ans.offset)
        agg.add(make_sample(case.id, case.category, case.weight, ans.repeat, rec, passed, score, json_checked,
                            refused=ans.refused, json_valid=ans.json_valid))
        if ans.judge is not None and not (ans.judge.score is None and "cancelled" in (ans.judge.reason or "")):
            usable = ans.judge.detail if ans.judge.score is not None else None
            agg.add_judge(rec.model, case.category, usable, case.id, ans.repeat)
    result.answers = list(answers.values())
    return result


__all__ = ["Answer", "SuiteResult", "case_info", "fold_suite_file", "fold_suite_log"]
