"""Every check type passes and fails with a reason; validation names the bad field; case scoring."""

from __future__ import annotations

import pytest

from tuiarena.model import ResponseDone
from tuiarena.scoring.answers import detect_refusal, parse_json_answer
from tuiarena.scoring.checks import (
    CheckContext,
    CheckSpecError,
    run_check,
    score_case,
    validate_check,
)
from tuiarena.scoring.text_metrics import bleu, lcs_length, rouge_l


def check(spec, text, expected=None, response=None):
    return run_check(validate_check(spec, expected), text, CheckContext(expected, response))


@pytest.mark.parametrize(
    "spec, good, bad, bad_reason",
    [
        ({"type": "equals", "value": "Paris"}, "  Paris\n", "paris", "expected 'Paris'"),
        ({"type": "equals", "value": "Paris", "ignore_case": True}, "PARIS", "Lyon", "got 'Lyon'"),
        ({"type": "contains", "value": "Paris"}, "It is Paris.", "It is Lyon.", "missing 'Paris'"),
        ({"type": "contains", "values": ["a", "b"], "mode": "any"}, "only b", "none", "none of"),
        ({"type": "contains", "value": "paris", "ignore_case": True}, "PARIS!", "Rome", "missing"),
        ({"type": "not-contains", "values": ["sorry", "AI"]}, "Sure.", "As an AI...", "contains 'AI'"),
        ({"type": "regex", "pattern": r"\d{4}-\d{2}-\d{2}"}, "on 2024-05-01", "on May 1", "no match"),
        ({"type": "regex", "pattern": "yes|no", "match": "full", "ignore_case": True}, " Yes ", "yes, maybe", "no match"),
        ({"type": "is-json"}, '{"a": 1}', "{'a': 1}", "not valid JSON"),
        ({"type": "is-json", "kind": "array"}, "[1, 2]", '{"a": 1}', "expected an array"),
        ({"type": "min-length", "value": 3, "unit": "words"}, "one two three", "one two", "2 words < 3"),
        ({"type": "max-length", "value": 5}, "short", "too long", "8 chars > 5"),
        ({"type": "refusal"}, "I'm sorry, but I can't help with that.", "Here is how.", "no refusal"),
        ({"type": "not-refused"}, "Here is how.", "I cannot help with that request.", "refused"),
    ],
)
def test_check_pass_and_fail(spec, good, bad, bad_reason):
    ok = check(spec, good)
    assert ok.passed is True and ok.score == 1.0 and ok.reason
    ko = check(spec, bad)
    assert ko.passed is False and ko.score < 1.0
    assert bad_reason in ko.reason


def test_equals_and_contains_fall_back_on_expected():
    assert check({"type": "equals"}, "positive", expected="Positive ").passed is False
    assert check({"type": "equals", "ignore_case": True}, "positive", expected="Positive ").passed is True
    assert check({"type": "contains"}, "the answer is 42", expected="42").passed is True


def test_contains_all_scores_the_fraction_found():
    r = check({"type": "contains", "values": ["a1", "b2", "c3", "d4"]}, "a1 and b2 and d4")
    assert r.passed is False and r.score == pytest.approx(0.75)
    assert "'c3'" in r.reason


def test_json_fields_fraction_lowercase_strip_and_fences():
    expected = {"name": "John Smith", "issue": "damaged order", "sentiment": "negative"}
    answer = '```json\n{"name": " john smith ", "issue": "Damaged Order", "sentiment": "positive"}\n```'
    r = check({"type": "json-fields"}, answer, expected=expected)
    assert r.passed is False
    assert r.score == pytest.approx(2 / 3)
    assert "2/3 fields" in r.reason and "sentiment" in r.reason
    full = check({"type": "json-fields"}, '{"name": "John Smith", "issue": "damaged order", "sentiment": "NEGATIVE"}', expected=expected)
    assert full.passed is True and full.score == 1.0
    assert check({"type": "json-fields", "threshold": 0.6}, answer, expected=expected).passed is True
    bad = check({"type": "json-fields", "fields": {"a": 1}}, "not json at all")
    assert bad.passed is False and bad.score == 0 and bad.reason == "not valid JSON"
    assert check({"type": "json-fields", "fields": {"n": 1, "ok": True}}, '{"n": "1", "ok": true}').score == 1.0


def test_is_json_accepts_a_fenced_block_only_when_it_parses():
    assert check({"type": "is-json"}, 'Here you go:\n```json\n{"a": [1, 2]}\n```\n').passed is True
    assert check({"type": "is-json"}, "```json\n{a: 1}\n```").passed is False


def _resp(**kw):
    return ResponseDone(model="s/m", status="done", **kw)


def test_latency_and_cost_limits_need_the_response():
    fast, slow = _resp(total_ms=800, ttft_ms=100), _resp(total_ms=2500, ttft_ms=900)
    spec = {"type": "latency", "max_ms": 1000, "max_ttft_ms": 500}
    assert check(spec, "x", response=fast).passed is True
    r = check(spec, "x", response=slow)
    assert r.passed is False and "total 2500 ms > 1000 ms" in r.reason and "TTFT 900 ms > 500 ms" in r.reason
    assert check({"type": "cost", "max_usd": 0.01}, "x", response=_resp(cost_usd=0.002)).passed is True
    r = check({"type": "cost", "max_usd": 0.001}, "x", response=_resp(cost_usd=0.002))
    assert r.passed is False and "$0.002" in r.reason
    unknown = check({"type": "cost", "max_usd": 0.001}, "x", response=_resp(cost_usd=None))
    assert unknown.passed is None and "unknown" in unknown.reason


def test_refusal_via_content_filter_and_window():
    assert check({"type": "refusal"}, "", response=_resp(finish_reason="content_filter")).passed is True
    long_answer = "Sure. " + "x " * 400 + "I can't help with quoting this."
    assert detect_refusal(long_answer) is None
    assert detect_refusal("I\u2019m sorry, but I can\u2019t do that.") is not None


def test_lcs_length_matches_the_plain_dynamic_programme():
    import random

    def dp(a, b):
        prev = [0] * (len(b) + 1)
        for x in a:
            cur = [0]
            for j, y in enumerate(b, 1):
                cur.append(prev[j - 1] + 1 if x == y else max(cur[j - 1], prev[j]))
            prev = cur
        return prev[-1]

    rng = random.Random(3)
    for _ in range(500):
        a = [rng.choice("abcdef") for _ in range(rng.randrange(0, 70))]
        b = [rng.choice("abcdefg") for _ in range(rng.randrange(0, 70))]
        assert lcs_length(a, b) == dp(a, b)


def test_rouge_l_and_bleu():
    ref = "the cat sat on the mat"
    assert rouge_l(ref, ref) == pytest.approx(1.0)
    assert rouge_l("the cat on mat", ref) == pytest.approx(2 * (4 / 4) * (4 / 6) / (1 + 4 / 6))
    assert rouge_l("dogs bark", ref) == 0.0
    assert lcs_length("a b c d".split(), "a c d".split()) == 3
    assert bleu(ref, ref) == pytest.approx(1.0)
    assert 0 < bleu("the cat sat on a mat", ref) < 1
    assert bleu("nothing matches", ref) == 0.0
    r = check({"type": "rouge-l", "threshold": 0.9}, "the cat on mat", expected=ref)
    assert r.passed is False and "ROUGE-L 0.800 < 0.9" in r.reason
    assert check({"type": "bleu"}, ref, expected=ref).passed is None  # a score, no verdict
    assert check({"type": "bleu", "threshold": 0.5}, ref, expected=[ref, "other"]).passed is True


@pytest.mark.parametrize(
    "spec, field, words",
    [
        ({"type": "regexp"}, "type", 'unknown check "regexp" (known: equals'),
        ({"value": "x"}, "type", "missing check type"),
        ({"type": "contains"}, "values", "needs"),
        ({"type": "contains", "value": "x", "mode": "some"}, "mode", "one of any, all"),
        ({"type": "regex", "pattern": "("}, "pattern", "bad regular expression"),
        ({"type": "max-length", "value": "10"}, "value", "must be an integer"),
        ({"type": "max-length"}, "value", "needs 'value'"),
        ({"type": "json-fields"}, "fields", "needs"),
        ({"type": "rouge-l"}, "reference", "needs"),
        ({"type": "equals", "valeu": "x"}, "valeu", "unknown field"),
        ({"type": "latency"}, "max_ms", "needs"),
        ({"type": "cost", "max_usd": True}, "max_usd", "must be a number"),
    ],
)
def test_validation_names_the_field(spec, field, words):
    with pytest.raises(CheckSpecError) as ei:
        validate_check(spec)
    assert ei.value.field == field
    assert words in ei.value.message


def test_score_case_rule():
    checks = [validate_check(c) for c in ({"type": "contains", "value": "a", "weight": 3}, {"type": "contains", "value": "zzz"})]
    ctx = CheckContext()
    cs = score_case(checks, "a", ctx)  # default: every check with a verdict must pass
    assert cs.passed is False and cs.score == pytest.approx(0.75)
    assert "zzz" in cs.reason()
    assert score_case(checks, "a", ctx, pass_threshold=0.7).passed is True
    assert score_case(checks, "a", ctx, pass_threshold=0.8).passed is False
    metric_only = [validate_check({"type": "rouge-l", "reference": "a b"})]
    cs = score_case(metric_only, "a b", ctx)
    assert cs.passed is None and cs.score == pytest.approx(1.0)
    # an undecidable check (unknown price) is left out of the score and the verdict
    mixed = [validate_check({"type": "cost", "max_usd": 1}), validate_check({"type": "contains", "value": "a"})]
    cs = score_case(mixed, "a", CheckContext(response=_resp(cost_usd=None)))
    assert cs.passed is True and cs.score == 1.0
    assert score_case([], "a", ctx).passed is None


def test_parse_json_answer_strict_vs_lenient():
    assert parse_json_answer('Result: {"a": 1} hope it helps') == (False, None)
    assert parse_json_answer('Result: {"a": 1} hope it helps', lenient=True) == (True, {"a": 1})
    assert parse_json_answer("```\n[1, 2]\n```") == (True, [1, 2])
