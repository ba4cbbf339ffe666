"""Judge replies parsed robustly but never guessed; pairwise runs both orders; all of it recorded."""

from __future__ import annotations

import json

import pytest

from tests.suite_helpers import make_runner
from tuiarena.model import ResponseDone, RunStarted, ScoreGiven
from tuiarena.scoring.judge import (
    UNPARSEABLE,
    Judge,
    combine_pairwise,
    parse_judge_json,
    parse_pairwise,
    parse_rubric,
)

GRADE = {"correctness": 5, "clarity": 4, "conciseness": 3, "total": 12, "verdict": "Correct, a bit long."}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(GRADE),
        "```json\n" + json.dumps(GRADE) + "\n```",
        "```\n" + json.dumps(GRADE) + "\n```",
        "Here is my evaluation:\n" + json.dumps(GRADE),
        json.dumps(GRADE) + "\n\nOverall the answer is fine; I deducted a point for {verbosity}.",
        "Sure! ```json\n" + json.dumps(GRADE, indent=2) + "\n``` Let me know.",
    ],
)
def test_parse_judge_json_fenced_prefixed_trailing(text):
    assert parse_judge_json(text) == GRADE
    grade = parse_rubric(text)
    assert grade is not None and grade.total == 12 and grade.verdict == "Correct, a bit long."


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The answer deserves a 4 out of 5.",
        "{'correctness': 5, 'clarity': 4, 'conciseness': 3}",  # single quotes: not repaired
        '{"correctness": 5, "clarity": 4, "conciseness": 3',  # truncated
        "[5, 4, 3]",
    ],
)
def test_unparseable_replies_are_not_guessed(text):
    assert parse_judge_json(text) is None
    assert parse_rubric(text) is None


def test_rubric_needs_the_three_axes_in_range():
    assert parse_rubric('{"correctness": 6, "clarity": 4, "conciseness": 3}') is None
    assert parse_rubric('{"correctness": "5", "clarity": 4, "conciseness": 3}') is None
    g = parse_rubric('{"Correctness": 4, "clarity": 4, "conciseness": 4, "total_score": 99, "one_sentence_verdict": "ok"}')
    assert g.total == 12 and g.total_given == 99 and g.verdict == "ok"  # the sum, not the judge's arithmetic


def test_parse_pairwise():
    assert parse_pairwise('{"winner": "A", "reason": "x"}') == "A"
    assert parse_pairwise('Verdict: {"winner": "b"}') == "B"
    assert parse_pairwise('{"winner": "tie"}') == "tie"
    assert parse_pairwise('{"winner": "both"}') is None
    assert parse_pairwise("A is better") is None


def test_combine_pairwise_swap_consistency():
    # first order A=x B=y, second order A=y B=x
    v = combine_pairwise("x", "y", "A", "B")
    assert v.consistent is True and v.winner == "x"
    v = combine_pairwise("x", "y", "B", "A")
    assert v.consistent is True and v.winner == "y"
    v = combine_pairwise("x", "y", "A", "A")  # always the first position: position bias
    assert v.consistent is False and v.winner is None
    assert combine_pairwise("x", "y", "tie", "tie").winner == "tie"
    assert combine_pairwise("x", "y", "A", None).consistent is None


PROMPT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}]


def _target(text="4"):
    return ResponseDone(run_id="r1", response_id="x1", model="s/cand", text=text)


async def test_grade_records_prompt_raw_reply_cost_at_temperature_zero():
    events: list = []
    runner, provider = make_runner(lambda m, msgs, n: "Evaluation: " + json.dumps(GRADE), events)
    judge = Judge(runner, "s/judge", pass_total=10)
    score = await judge.grade(PROMPT, _target(), expected="4", case_id="c1")
    assert score.scorer == "judge:rubric" and score.response_id == "x1" and score.run_id == "r1"
    assert score.score == 12 and score.passed is True and score.reason == "Correct, a bit long."
    d = score.detail
    assert d["judge_model"] == "s/judge" and d["raw"].startswith("Evaluation:")
    assert d["cost_usd"] is not None and d["correctness"] == 5
    assert "2+2?" in d["prompt"][1]["content"] and "Reference answer:\n4" in d["prompt"][1]["content"]
    [(_model, _msgs, params)] = provider.requests
    assert params.temperature == 0
    runs = [e for e in events if isinstance(e, RunStarted)]
    assert runs and runs[0].label == "judge:rubric" and runs[0].case_id == "c1"
    assert [e for e in events if isinstance(e, ScoreGiven)] == [score]


async def test_unparseable_judge_reply_is_recorded_as_such():
    runner, _p = make_runner(lambda m, msgs, n: "I'd give it a solid four.")
    score = await Judge(runner, "s/judge").grade(PROMPT, _target())
    assert score.passed is None and score.score is None
    assert score.reason == UNPARSEABLE
    assert score.detail["raw"] == "I'd give it a solid four."


async def test_pairwise_runs_both_orders():
    def fair(model, msgs, n):  # picks the response that says "good", whichever position it is in
        body = msgs[-1]["content"]
        a = body.split("Response A:\n", 1)[1].split("\n\nResponse B:", 1)[0]
        return json.dumps({"winner": "A" if "good" in a else "B", "reason": "r"})

    runner, provider = make_runner(fair)
    judge = Judge(runner, "s/judge")
    x = ResponseDone(run_id="r", response_id="xa", model="s/x", text="bad answer")
    y = ResponseDone(run_id="r", response_id="xb", model="s/y", text="good answer")
    score, verdict = await judge.compare(PROMPT, x, y)
    assert len(provider.requests) == 2
    assert verdict.consistent is True and verdict.winner == "s/y"
    assert score.score == 0.0 and "s/y wins" in score.reason
    orders = score.detail["orders"]
    assert orders[0]["a"] == "s/x" and orders[1]["a"] == "s/y"

    biased, _ = make_runner(lambda m, msgs, n: '{"winner": "A"}')
    score, verdict = await Judge(biased, "s/judge").compare(PROMPT, x, y)
    assert verdict.consistent is False and score.score is None and "inconsistent" in score.reason
