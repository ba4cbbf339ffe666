"""Running suites through the Runner with a deterministic scripted provider: events, scoring,
aggregates, flaky cases, cache, pairwise, requirements, recommendation and routing."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.suite_helpers import make_runner, server_error
from tuiarena.engine.suite import requirements as rq
from tuiarena.engine.suite.aggregate import PairRecord, judge_agreement, percentile
from tuiarena.engine.suite.cache import ResponseCache, cache_key
from tuiarena.engine.suite.load import Case, JudgeSpec, Suite
from tuiarena.engine.suite.run import SuiteRun
from tuiarena.model import Params, ResponseDone, RunStarted, ScoreGiven, VoteCast
from tuiarena.reports.suite import build_report, exit_code, render
from tuiarena.scoring.checks import validate_check
from tuiarena.scoring.judge import Judge


def make_suite(n=4, checks=({"type": "contains", "value": "ok"},), categories=("a", "b"), requirements=None):
    specs = [validate_check(c) for c in checks]
    cases = [
        Case(id=f"c{i}", messages=[{"role": "user", "content": f"question {i}"}], params=Params(temperature=0),
             checks=specs, category=categories[i % len(categories)])
        for i in range(n)
    ]
    return Suite(name="t", path=__import__("pathlib").Path("t.toml"), cases=cases, requirements=requirements or {})


def answers(model, messages, n):
    if model == "s/good":
        return "ok, here you go"
    if model == "s/bad":
        return "no idea"
    if model == "s/broken":
        return server_error()
    if model == "s/flaky":  # passes on odd calls of each case, fails on even ones
        return "ok" if n % 2 else "nope"
    return "ok"


async def test_events_scores_and_aggregates():
    events: list = []
    runner, provider = make_runner(answers, events)
    suite = make_suite(4)
    job = SuiteRun(suite, ["s/good", "s/bad", "s/broken"], runner, concurrency=2)
    agg = await job.run()

    runs = [e for e in events if isinstance(e, RunStarted)]
    assert sorted(r.case_id for r in runs) == ["c0", "c1", "c2", "c3"]  # one run per case, all models
    assert all(r.models == ["s/good", "s/bad", "s/broken"] and r.label == "t" for r in runs)
    done = [e for e in events if isinstance(e, ResponseDone)]
    assert len(done) == 12
    run_of = {r.run_id: r for r in runs}
    assert all(d.response_id == run_of[d.run_id].response_ids[d.model] for d in done)
    scores = [e for e in events if isinstance(e, ScoreGiven)]
    assert len(scores) == 12 and all(s.scorer == "checks" for s in scores)
    bad = next(s for s in scores if s.passed is False and s.detail["checks"])
    assert "missing 'ok'" in bad.reason and bad.detail["checks"][0]["type"] == "contains"

    g, b, x = (agg.by_model[m].summary() for m in ("s/good", "s/bad", "s/broken"))
    assert g["pass_rate"] == 1.0 and b["pass_rate"] == 0.0 and x["pass_rate"] == 0.0
    assert x["error_rate"] == 1.0 and g["error_rate"] == 0.0
    assert g["cost_usd"] == pytest.approx(sum(d.cost_usd for d in done if d.model == "s/good"))
    assert g["cost_per_acceptable"] == pytest.approx(g["cost_usd"] / 4)
    assert g["latency_p95_ms"] is not None and g["prompt_tokens"] == 40
    assert set(agg.by_category) == {"a", "b"} and agg.by_category["a"]["s/good"].n == 2
    assert job.progress.done == 12 and job.progress.errors == 4
    assert not job._units  # nothing kept once every model has answered a case


async def test_lanes_respect_the_concurrency_limit():
    import asyncio

    in_flight = peak = 0

    runner, provider = make_runner(answers)
    orig = provider.stream

    async def stream(model, messages, params):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.005)
        try:
            async for ev in orig(model, messages, params):
                yield ev
        finally:
            in_flight -= 1

    provider.stream = stream
    runner._per_endpoint = 3
    await SuiteRun(make_suite(10), ["s/good", "s/bad"], runner, concurrency=3).run()
    assert peak == 3


async def test_flaky_cases_with_repeats():
    runner, _p = make_runner(answers)
    agg = await SuiteRun(make_suite(3), ["s/good", "s/flaky"], runner, repeat=4).run()
    flaky = agg.flaky()
    assert [(d["model"], d["case_id"], d["passed"], d["runs"]) for d in flaky] == [
        ("s/flaky", "c0", 2, 4), ("s/flaky", "c1", 2, 4), ("s/flaky", "c2", 2, 4)]
    assert flaky[0]["score_stdev"] == pytest.approx(0.5)
    assert agg.by_model["s/flaky"].summary()["pass_rate"] == 0.5


async def test_cache_hit_is_marked_cached_and_skips_the_model(tmp_path):
    cache = ResponseCache(tmp_path / "cache")
    runner, provider = make_runner(answers)
    await SuiteRun(make_suite(3), ["s/good"], runner, cache=cache).run()
    assert len(provider.requests) == 3 and cache.stored == 3
    events: list = []
    runner2, provider2 = make_runner(answers, events)
    agg = await SuiteRun(make_suite(3), ["s/good"], runner2, cache=ResponseCache(tmp_path / "cache")).run()
    assert provider2.requests == []
    done = [e for e in events if isinstance(e, ResponseDone)]
    assert len(done) == 3 and all(d.cached and d.text == "ok, here you go" for d in done)
    assert agg.by_model["s/good"].summary()["cached"] == 3
    assert agg.by_model["s/good"].summary()["pass_rate"] == 1.0
    # errors are never cached; a different parameter is a different key
    assert cache_key("s/m", [], Params(temperature=0)) != cache_key("s/m", [], Params(temperature=1))


async def test_judge_and_pairwise_in_a_suite():
    def reply(model, messages, n):
        if model == "s/judge":
            body = messages[-1]["content"]
            if "Response A:" in body:
                a = body.split("Response A:\n", 1)[1].split("\n\nResponse B:", 1)[0]
                return json.dumps({"winner": "A" if a.startswith("ok") else "B"})
            good = "Candidate response:\nok" in body
            return json.dumps({"correctness": 5 if good else 1, "clarity": 4, "conciseness": 3, "verdict": "v"})
        return answers(model, messages, n)

    events: list = []
    runner, _p = make_runner(reply, events)
    judge = Judge(runner, "s/judge")
    agg = await SuiteRun(make_suite(2), ["s/good", "s/bad"], runner, judge=judge, pairwise=True).run()
    g = agg.by_model["s/good"].summary()
    assert g["judge_correctness"] == 5 and g["judge_total"] == 12 and g["judge_score"] == pytest.approx(4)
    assert agg.by_model["s/bad"].summary()["judge_score"] == pytest.approx(8 / 3)
    pw = agg.pairwise_summary()
    assert pw["pairs"] == 2 and pw["consistent"] == 2 and pw["wins"]["s/good"]["wins"] == 2
    scorers = sorted({e.scorer for e in events if isinstance(e, ScoreGiven)})
    assert scorers == ["checks", "judge:pairwise", "judge:rubric"]


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


async def test_requirements_recommendation_routing_and_report():
    runner, _p = make_runner(answers)
    suite = make_suite(4, requirements={"min_pass_rate": 0.9, "max_cost_per_request": 1.0, "requests_per_month": 1000})
    models = ["s/good", "s/bad", "s/unpriced"]
    agg = await SuiteRun(suite, models, runner).run()
    report = build_report(suite, agg, models=models, repeat=1, judge=None)
    v = report["verdicts"]
    assert v["s/good"]["meets"] and not v["s/bad"]["meets"]
    assert v["s/bad"]["failures"] == ["passed no case", "min_pass_rate: pass rate 0.0% < 90.0%"]
    assert v["s/unpriced"]["failures"][0].startswith("max_cost_per_request: cost unknown")
    assert report["recommendation"]["cheapest"] == "s/good" and report["recommendation"]["best"] == "s/good"
    assert report["recommendation"]["monthly_cost"]["s/good"] == pytest.approx(report["summary"]["s/good"]["cost_per_request"] * 1000)
    assert exit_code(report) == 0
    # only s/good qualifies: no fallback to a model that failed the category
    assert report["routing"]["a"]["model"] == "s/good" and "fallback" not in report["routing"]["a"]
    routes = tomllib.loads(rq.routing_toml(report["routing"], "t", "0"))
    assert routes["routes"]["b"]["model"] == "s/good" and routes["suite"] == "t"
    md = render(report, "markdown")
    # no judge: no grade columns of dashes, the pass rate instead
    assert md.splitlines()[4] == "| Model | Latency (s) | Pass | Verdict |"
    assert "| s/good |" in md.splitlines()[6] and "| 100.0% |" in md.splitlines()[6]
    assert "fails passed no case" in md and "## Recommendation" in md and "## By category" in md
    assert json.loads(render(report, "json"))["verdicts"]["s/good"]["meets"] is True
    assert render(report, "csv").splitlines()[0].startswith("category,model,responses")
    report["verdicts"]["s/good"]["meets"] = False
    assert exit_code(report) == 1


def test_missing_figures_fail_requirements():
    summary = {"judge_score": None, "pass_rate": 0.95, "latency_p95_ms": 100.0, "cost_per_request": None}
    fails = rq.evaluate(summary, {"min_judge_score": 3.5, "min_pass_rate": 0.9, "max_p95_latency_ms": 50})
    assert fails[0].startswith("min_judge_score: no judge scores")
    assert fails[1] == "max_p95_latency_ms: p95 latency 100 ms > 50 ms"
    assert rq.evaluate(summary, {"requests_per_month": 10}) == []


def test_judge_agreement_with_votes():
    pairs = [PairRecord("r1", "r2", "m/a", "m/b", "m/a", True), PairRecord("r3", "r4", "m/a", "m/b", None, False),
             PairRecord("r5", "r6", "m/a", "m/b", "tie", True)]
    votes = [VoteCast(model_a="m/b", model_b="m/a", response_a="r2", response_b="r1", outcome="b"),  # human: m/a
             VoteCast(model_a="m/a", model_b="m/b", response_a="r3", response_b="r4", outcome="a"),
             VoteCast(model_a="m/a", model_b="m/b", response_a="r5", response_b="r6", outcome="a"),
             VoteCast(model_a="m/a", model_b="m/b", response_a="r9", response_b="r8", outcome="a")]
    assert judge_agreement(votes, pairs) == {"compared": 2, "agree": 1, "agreement": 0.5, "judge_undecided": 1}


def test_suite_judge_spec_default():
    assert JudgeSpec().pairwise is False


def test_judge_agreement_matches_blind_votes_by_models_and_prompt():
    pairs = [PairRecord("r1", "r2", "m/a", "m/b", "m/b", True, "What is 2+2?")]
    votes = [VoteCast(model_a="m/b", model_b="m/a", response_a="x9", response_b="x8", outcome="a", prompt="What is 2+2? "),
             VoteCast(model_a="m/a", model_b="m/b", response_a="x7", response_b="x6", outcome="a", prompt="other prompt")]
    assert judge_agreement(votes, pairs) == {"compared": 1, "agree": 1, "agreement": 1.0, "judge_undecided": 0}


def test_suite_report_shows_agreement_with_saved_blind_votes(capsys, monkeypatch):
    from tuiarena.cli import main
    from tuiarena.store.sessions import SessionWriter

    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "500")
    prompt = "What is the capital of France?"
    with SessionWriter.create(kind="blind", name="votes") as w:
        w.write(VoteCast(model_a="demo/swift", model_b="demo/terse", response_a="p", response_b="q", outcome="a",
                         prompt=prompt))
    code = main(["suite", "tests/data/suite_tiny.toml", "-m", "demo/swift", "-m", "demo/terse", "--judge",
                 "demo/thinker", "--pairwise", "--format", "markdown"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    # the saved vote is found: either compared with a consistent verdict, or counted as undecided
    assert "Agreement with blind votes on the same pairs: 1/1" in out or "0/1" in out \
        or "1 blind vote(s) on these pairs, but the judge was inconsistent" in out


async def test_judge_sharing_a_backend_waits_for_every_candidate_answer():
    """The judge's calls start only once every candidate has answered, so they never share the wire."""
    from tuiarena.scoring.judge import Judge

    order: list[str] = []

    def track(ev) -> None:
        if type(ev).__name__ == "RunStarted":
            order.append("judge" if (ev.label or "").startswith("judge:") else "case")
        elif type(ev).__name__ == "ResponseDone" and order and order[-1] != "judge":
            order.append("answer")

    def reply(model, messages, n):
        if "Candidate response" in str(messages):
            return '{"correctness": 4, "clarity": 4, "conciseness": 4, "verdict": "fine"}'
        return "ok"

    runner, _p = make_runner(reply, [])
    runner.sinks.append(track)
    suite = make_suite(4)
    job = SuiteRun(suite, ["s/good", "s/bad"], runner, judge=Judge(runner, "s/good"))
    assert job.judge_shares_backend() == ["s/good", "s/bad"]
    await job.run()
    first_judge = order.index("judge")
    assert order.count("case") == 4 and order[:first_judge].count("answer") == 8  # every candidate answer first


async def test_progress_counts_the_judge_work_too():
    """Progress is reported for each graded answer as well, so a judge phase is not a frozen 8/8."""
    from tuiarena.scoring.judge import Judge

    def reply(model, messages, n):
        if "Candidate response" in str(messages):
            return '{"correctness": 4, "clarity": 4, "conciseness": 4, "verdict": "fine"}'
        return "ok"

    seen: list[tuple[int, int, int]] = []
    runner, _p = make_runner(reply, [])
    job = SuiteRun(make_suite(4), ["s/good", "s/bad"], runner, judge=Judge(runner, "s/good"),
                   progress=lambda p: seen.append((p.done, p.judge_queued, p.judged)))
    await job.run()
    assert seen[-1] == (8, 8, 8) and len(seen) == 16  # one call per answer, one per grade
    assert [j for _d, _q, j in seen] == sorted(j for _d, _q, j in seen)
