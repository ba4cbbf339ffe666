"""One flat record per answer of a session, for history (``engine.sessions``) and baseline (``engine.suite``).

It sits below both so that neither imports the other for it (an import-linter contract keeps suites
from importing sessions: re-running a session runs a suite, never the other way round).

A session log holds runs, responses and scores as separate events; :func:`outcomes` joins them into
one :class:`Outcome` per response (the latest answer of each response id), with the verdict and the
scores a comparison needs. Runs made by the LLM judge itself (label ``judge:...``) are not answers
to the user's prompts and are left out.

Verdict (``passed``): the suite runner's overall ``checks`` score when there is one (it also marks
failed requests), otherwise every non-judge verdict given to the response (``check:*`` and the like);
``None`` when nothing judged it. ``check_score`` is the 0..1 score of that verdict; ``judge_score``
is the mean of the rubric judge's 1..5 grades (the suite report's "judge score").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tuiarena.model import ResponseDone, RunStarted, ScoreGiven

JUDGE_AXES = ("correctness", "clarity", "conciseness")


@dataclass(slots=True)
class Outcome:
    model: str
    run_id: str
    response_id: str
    key: str  # "case:<id>" for suite cases, else "prompt:<messages as JSON>"
    case_id: str | None
    repeat: int
    prompt: str
    status: str
    passed: bool | None
    check_score: float | None
    judge_score: float | None
    ttft_ms: float | None
    total_ms: float | None
    tokens_per_s: float | None
    completion_tokens: int | None
    cost_usd: float | None
    cached: bool
    t_wall: float

    @property
    def ok(self) -> bool:
        return self.status == "done"


def run_key(run: RunStarted) -> str:
    """How runs of two sessions are matched: suite case id, else the exact shared prompt."""
    if run.case_id is not None:
        return f"case:{run.case_id}"
    return "prompt:" + json.dumps(run.messages, sort_keys=True, ensure_ascii=False)


def is_judge_run(run: RunStarted) -> bool:
    return (run.label or "").startswith("judge:")


def _last_user(run: RunStarted) -> str:
    for m in reversed(run.messages):
        if m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def judge_value(score: ScoreGiven) -> float | None:
    """Mean 1..5 grade of a rubric verdict, or None when the judge's answer was unusable."""
    detail = score.detail or {}
    axes = [detail.get(a) for a in JUDGE_AXES]
    if all(isinstance(v, (int, float)) for v in axes):
        return sum(axes) / len(axes)  # type: ignore[arg-type]
    if score.score is not None:
        return float(score.score) / len(JUDGE_AXES)
    return None


def _verdict(scores: dict[str, ScoreGiven]) -> tuple[bool | None, float | None]:
    if "checks" in scores:
        s = scores["checks"]
        return s.passed, s.score
    others = [s for name, s in scores.items() if not name.startswith("judge:") and s.passed is not None]
    if not others:
        return None, None
    values = [s.score for s in others if s.score is not None]
    return all(s.passed for s in others), (sum(values) / len(values) if values else None)


def outcomes(events: Iterable[Any]) -> list[Outcome]:
    """Every answer of a session (latest per response id, in log order), judge runs left out."""
    runs: dict[str, RunStarted] = {}
    latest: dict[str, ResponseDone] = {}
    scores: dict[str, dict[str, ScoreGiven]] = {}
    for ev in events:
        kind = type(ev)
        if kind is RunStarted:
            runs.setdefault(ev.run_id, ev)
        elif kind is ResponseDone:
            latest.pop(ev.response_id, None)  # keep log order of the latest answer
            latest[ev.response_id] = ev
            scores.pop(ev.response_id, None)  # a re-run column: scores of the old answer no longer apply
        elif kind is ScoreGiven and ev.scorer:
            scores.setdefault(ev.response_id, {})[ev.scorer] = ev
    out: list[Outcome] = []
    for rec in latest.values():
        run = runs.get(rec.run_id)
        if run is not None and is_judge_run(run):
            continue
        given = scores.get(rec.response_id, {})
        passed, check_score = _verdict(given)
        judge = given.get("judge:rubric")
        out.append(Outcome(
            model=rec.model, run_id=rec.run_id, response_id=rec.response_id,
            key=run_key(run) if run is not None else f"run:{rec.run_id}",
            case_id=run.case_id if run is not None else None, repeat=run.repeat if run is not None else 0,
            prompt=_last_user(run) if run is not None else "", status=rec.status, passed=passed,
            check_score=check_score, judge_score=judge_value(judge) if judge is not None else None,
            ttft_ms=rec.ttft_answer_ms if rec.ttft_answer_ms is not None else rec.ttft_ms,
            total_ms=rec.total_ms, tokens_per_s=rec.tokens_per_s, completion_tokens=rec.completion_tokens,
            cost_usd=rec.cost_usd, cached=rec.cached, t_wall=rec.t_wall,
        ))
    return out


__all__ = ["JUDGE_AXES", "Outcome", "is_judge_run", "judge_value", "outcomes", "run_key"]
