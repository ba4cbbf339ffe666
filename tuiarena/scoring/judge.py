"""LLM-as-judge: a rubric grade of one answer, and pairwise A-vs-B with the positions swapped.

A judge call is an ordinary run with one model through the same :class:`~tuiarena.engine.run.runner.Runner`
(so it is timed, priced and logged like any other), always at temperature 0. The result is a
``ScoreGiven`` event whose ``detail`` keeps the judge prompt, the raw reply, the judge's cost and
response id, so a grade can always be traced back to what the judge actually said.

Rubric replies must be JSON ``{"correctness": 1-5, "clarity": 1-5, "conciseness": 1-5, "total":
.., "verdict": "one line"}``. :func:`parse_judge_json` finds the object through code fences, a
prefix ("Here is my evaluation:") and trailing prose, but never repairs broken JSON (single quotes,
missing braces): such a reply is recorded as "unparseable judge reply" with no score.
``total`` is recomputed as the sum of the three axes (3..15); the judge's own figure is kept in
the detail as ``total_given``.

Pairwise: the judge sees (A=x, B=y) and then (A=y, B=x). Both verdicts are kept; the pair is
*consistent* when they name the same model (or both say tie), otherwise *inconsistent* (position
bias) and no winner is recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from tuiarena.model import Event, Message, Params, ResponseDone, ScoreGiven
from tuiarena.scoring.answers import parse_json_answer


class JudgeRunner(Protocol):
    """What a judge needs of the engine's runner: one run to the end, and a way to emit a score."""

    async def run(self, models: list[str], messages: list[Message], params: Params | None = None,
                  **kw: Any) -> list[ResponseDone]: ...

    def emit(self, event: Event) -> None: ...

AXES = ("correctness", "clarity", "conciseness")
MAX_TOTAL = 15
UNPARSEABLE = "unparseable judge reply"

DEFAULT_RUBRIC = """You are an impartial expert reviewer. You will receive a user request, possibly a \
reference answer, and a candidate response. Score the response on three axes from 1 (poor) to 5 (excellent):
1. Correctness: is it accurate, and does it do what was asked?
2. Clarity: is it well organised and easy to follow?
3. Conciseness: is it free of padding and unnecessary detail?
Judge the content, not the length or the style of the writing."""

RUBRIC_FORMAT = (
    'Return ONLY a JSON object, with no other text: {"correctness": <1-5>, "clarity": <1-5>, '
    '"conciseness": <1-5>, "total": <sum of the three>, "verdict": "<one sentence>"}'
)

PAIRWISE_SYSTEM = """You are an impartial expert reviewer. You will receive a user request and two \
candidate responses, A and B. Decide which response better fulfils the request: correctness first, \
then clarity, then conciseness. Do not let the order of the responses or their length influence you."""

PAIRWISE_FORMAT = 'Return ONLY a JSON object, with no other text: {"winner": "A" | "B" | "tie", "reason": "<one sentence>"}'


def parse_judge_json(text: str) -> dict[str, Any] | None:
    """The JSON object in a judge reply (fenced, prefixed or followed by prose), or None."""
    ok, value = parse_json_answer(text or "", lenient=True)
    return value if ok and isinstance(value, dict) else None


@dataclass(slots=True)
class RubricGrade:
    correctness: float
    clarity: float
    conciseness: float
    verdict: str
    total_given: Any = None

    @property
    def total(self) -> float:
        return self.correctness + self.clarity + self.conciseness


def parse_rubric(text: str) -> RubricGrade | None:
    """A rubric grade from a judge reply; None when the reply does not carry a valid one."""
    obj = parse_judge_json(text)
    if obj is None:
        return None
    lowered = {str(k).strip().lower(): v for k, v in obj.items()}
    axes = []
    for axis in AXES:
        v = lowered.get(axis)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 1 <= v <= 5:
            return None
        axes.append(float(v))
    verdict = lowered.get("verdict", lowered.get("one_sentence_verdict", ""))
    total = lowered.get("total", lowered.get("total_score"))
    return RubricGrade(axes[0], axes[1], axes[2], verdict=str(verdict or "").strip(), total_given=total)


def parse_pairwise(text: str) -> str | None:
    """"A", "B" or "tie" from a pairwise reply; None when unparseable."""
    obj = parse_judge_json(text)
    if obj is None:
        return None
    winner = {str(k).strip().lower(): v for k, v in obj.items()}.get("winner")
    if not isinstance(winner, str):
        return None
    w = winner.strip().strip(".").lower()
    return {"a": "A", "b": "B", "tie": "tie", "draw": "tie", "equal": "tie"}.get(w)


def render_conversation(messages: list[Message]) -> str:
    """The candidate's prompt as the judge reads it (system prompt labelled, roles kept)."""
    users = [m for m in messages if m.get("role") != "system"]
    system = [m for m in messages if m.get("role") == "system"]
    parts = [f"[system prompt]\n{m.get('content', '')}" for m in system]
    if len(users) == 1:
        parts.append(str(users[0].get("content", "")))
    else:
        parts.extend(f"[{m.get('role', 'user')}]\n{m.get('content', '')}" for m in users)
    return "\n\n".join(parts)


def rubric_messages(prompt: list[Message], answer: str, rubric: str | None = None, expected: Any = None) -> list[Message]:
    body = f"User request:\n{render_conversation(prompt)}\n\n"
    if expected is not None:
        body += f"Reference answer:\n{expected}\n\n"
    body += f"Candidate response:\n{answer}\n\nScore the candidate response and return the JSON object."
    return [
        {"role": "system", "content": f"{(rubric or DEFAULT_RUBRIC).strip()}\n\n{RUBRIC_FORMAT}"},
        {"role": "user", "content": body},
    ]


def pairwise_messages(prompt: list[Message], answer_a: str, answer_b: str, rubric: str | None = None) -> list[Message]:
    system = PAIRWISE_SYSTEM if rubric is None else f"{rubric.strip()}\n\nYou will compare two candidate responses, A and B."
    body = (
        f"User request:\n{render_conversation(prompt)}\n\n"
        f"Response A:\n{answer_a}\n\nResponse B:\n{answer_b}\n\n"
        "Which response is better? Return the JSON object."
    )
    return [{"role": "system", "content": f"{system}\n\n{PAIRWISE_FORMAT}"}, {"role": "user", "content": body}]


@dataclass(slots=True)
class PairwiseVerdict:
    model_x: str
    model_y: str
    first: str | None  # verdict with A = x, B = y
    second: str | None  # verdict with A = y, B = x
    winner: str | None  # model id, "tie", or None (inconsistent / unparseable)
    consistent: bool | None  # None when a reply was unparseable


def combine_pairwise(model_x: str, model_y: str, first: str | None, second: str | None) -> PairwiseVerdict:
    if first is None or second is None:
        return PairwiseVerdict(model_x, model_y, first, second, None, None)
    one = {"A": model_x, "B": model_y, "tie": "tie"}[first]
    two = {"A": model_y, "B": model_x, "tie": "tie"}[second]
    if one == two:
        return PairwiseVerdict(model_x, model_y, first, second, one, True)
    return PairwiseVerdict(model_x, model_y, first, second, None, False)


def _cost(*records: ResponseDone) -> float | None:
    costs = [r.cost_usd for r in records]
    return None if any(c is None for c in costs) else sum(costs)  # type: ignore[arg-type]


class Judge:
    """Grades answers with one judge model through a Runner; emits and returns ``ScoreGiven``."""

    def __init__(self, runner: JudgeRunner, model: str, rubric: str | None = None, *, pass_total: float | None = None, max_tokens: int = 400):
        self.runner = runner
        self.model = model
        self.rubric = rubric
        self.pass_total = pass_total
        self.params = Params(temperature=0, max_tokens=max_tokens)

    async def _ask(self, messages: list[Message], case_id: str | None, label: str) -> ResponseDone:
        [rec] = await self.runner.run([self.model], messages, self.params, case_id=case_id, label=label)
        return rec

    async def grade(self, prompt: list[Message], target: ResponseDone, *, expected: Any = None, case_id: str | None = None) -> ScoreGiven:
        messages = rubric_messages(prompt, target.text, self.rubric, expected)
        rec = await self._ask(messages, case_id, "judge:rubric")
        detail: dict[str, Any] = {
            "judge_model": self.model,
            "judge_response_id": rec.response_id,
            "prompt": messages,
            "raw": rec.text,
            "cost_usd": rec.cost_usd,
            "max_total": MAX_TOTAL,
        }
        score = ScoreGiven(response_id=target.response_id, run_id=target.run_id, scorer="judge:rubric", detail=detail)
        if rec.status != "done":
            score.reason = f"judge failed: {rec.error or rec.status}"
        elif (grade := parse_rubric(rec.text)) is None:
            score.reason = UNPARSEABLE
        else:
            detail.update({axis: getattr(grade, axis) for axis in AXES})
            detail.update(total=grade.total, total_given=grade.total_given, verdict=grade.verdict)
            score.score = grade.total
            score.reason = grade.verdict or f"total {grade.total:g}/{MAX_TOTAL}"
            if self.pass_total is not None:
                score.passed = grade.total >= self.pass_total
        self.runner.emit(score)
        return score

    async def compare(self, prompt: list[Message], x: ResponseDone, y: ResponseDone, *, case_id: str | None = None) -> tuple[ScoreGiven, PairwiseVerdict]:
        """Judge x against y twice (x first, then y first); the score is from x's side (1, 0.5, 0)."""
        m1 = pairwise_messages(prompt, x.text, y.text, self.rubric)
        m2 = pairwise_messages(prompt, y.text, x.text, self.rubric)
        r1, r2 = await asyncio.gather(self._ask(m1, case_id, "judge:pairwise"), self._ask(m2, case_id, "judge:pairwise"))
        v1 = parse_pairwise(r1.text) if r1.status == "done" else None
        v2 = parse_pairwise(r2.text) if r2.status == "done" else None
        verdict = combine_pairwise(x.model, y.model, v1, v2)
        if verdict.consistent is None:
            failed = [r for r in (r1, r2) if r.status != "done"]
            reason = f"judge failed: {failed[0].error or failed[0].status}" if failed else UNPARSEABLE
            value = None
        elif not verdict.consistent:
            reason, value = f"inconsistent: {v1} won with x first, {v2} with y first (position bias)", None
        else:
            value = 0.5 if verdict.winner == "tie" else float(verdict.winner == x.model)
            reason = "consistent: tie" if verdict.winner == "tie" else f"consistent: {verdict.winner} wins"
        detail = {
            "judge_model": self.model,
            "model_a": x.model,
            "model_b": y.model,
            "response_a": x.response_id,
            "response_b": y.response_id,
            "winner": verdict.winner,
            "consistent": verdict.consistent,
            "cost_usd": _cost(r1, r2),
            "orders": [
                {"a": x.model, "verdict": v1, "prompt": m1, "raw": r1.text, "judge_response_id": r1.response_id},
                {"a": y.model, "verdict": v2, "prompt": m2, "raw": r2.text, "judge_response_id": r2.response_id},
            ],
        }
        score = ScoreGiven(response_id=x.response_id, run_id=x.run_id, scorer="judge:pairwise", score=value, reason=reason, detail=detail)
        self.runner.emit(score)
        return score, verdict
