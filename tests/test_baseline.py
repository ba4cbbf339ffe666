"""Regression detection against a baseline session (tuiarena.engine.suite.baseline)."""

from __future__ import annotations

from types import SimpleNamespace

from tests.replay_helpers import done, run, score, write_session
from tuiarena.engine.suite.baseline import (
    Tolerances,
    compare_logs,
    find_regressions,
    render,
)
from tuiarena.model import ScoreGiven, SessionHeader

MODELS = ["demo/swift", "demo/steady"]


def suite_log(sid: str, cases: dict[str, dict[str, list]], *, total_ms: float = 1000.0, cost: float = 0.001,
              latency: dict[str, float] | None = None, costs: dict[str, float] | None = None, judge: bool = False):
    """cases: case id -> model -> list of (passed, score) per repeat."""
    events = []
    n = 0
    for case_id, per_model in cases.items():
        repeats = max(len(v) for v in per_model.values())
        for rep in range(repeats):
            n += 1
            models = [m for m in per_model if rep < len(per_model[m])]
            r = run(f"{sid}r{n}", models, f"prompt of {case_id}", case_id=case_id, repeat=rep, label="suite")
            events.append(r)
            for m in models:
                passed, value = per_model[m][rep]
                d = done(r, m, f"answer {value}", total_ms=(latency or {}).get(m, total_ms),
                         cost_usd=(costs or {}).get(m, cost), status="done" if passed is not None else "error")
                events.append(d)
                events.append(ScoreGiven(response_id=d.response_id, run_id=r.run_id, scorer="checks",
                                         passed=passed if passed is not None else False,
                                         score=value, detail={"case_id": case_id, "repeat": rep}))
                if judge:
                    # the judge's own run: it must never be compared as a candidate
                    jr = run(f"{sid}j{n}{m[-3:]}", ["demo/judge"], "grade this", case_id=case_id, label="judge:rubric")
                    jd = done(jr, "demo/judge", '{"correctness": 5}', total_ms=99_000.0, cost_usd=1.0)
                    events += [jr, jd, ScoreGiven(response_id=d.response_id, run_id=r.run_id, scorer="judge:rubric",
                                                  score=value * 15,
                                                  detail={"correctness": value * 5, "clarity": value * 5,
                                                          "conciseness": value * 5, "total": value * 15})]
    return SimpleNamespace(header=SessionHeader(session_id=sid, kind="suite"), events=events)


BASE = {"c1": {m: [(True, 1.0)] for m in MODELS}, "c2": {m: [(True, 0.9)] for m in MODELS},
        "c3": {m: [(False, 0.2)] for m in MODELS}}


def kinds(regs) -> list[tuple[str, str, str | None]]:
    return [(r.kind, r.model, r.case_id) for r in regs]


def test_identical_sessions_have_no_regressions():
    result = compare_logs(suite_log("a", BASE, judge=True), suite_log("b", BASE, judge=True))
    assert result.regressions == []
    assert result.ok and result.compared_models == MODELS and result.compared_cases == 3
    assert "no regressions" in render(result)


def test_case_that_passed_and_now_fails():
    new = {**BASE, "c1": {"demo/swift": [(False, 0.0)], "demo/steady": [(True, 1.0)]}}
    regs = find_regressions(suite_log("a", BASE), suite_log("b", new))
    assert kinds(regs) == [("case_failed", "demo/swift", "c1")]  # no duplicate score_drop for the same case
    assert regs[0].old == "1/1" and regs[0].new == "0/1"


def test_failed_request_counts_as_a_failed_case():
    new = {**BASE, "c2": {"demo/swift": [(None, 0.0)], "demo/steady": [(True, 0.9)]}}
    regs = find_regressions(suite_log("a", BASE), suite_log("b", new))
    assert kinds(regs) == [("case_failed", "demo/swift", "c2")]
    assert "(error)" in regs[0].detail


def test_fixed_case_is_not_a_regression():
    new = {**BASE, "c3": {m: [(True, 1.0)] for m in MODELS}}
    assert find_regressions(suite_log("a", BASE), suite_log("b", new)) == []


def test_score_drop_without_repeats_uses_the_small_tolerance():
    small = {**BASE, "c2": {m: [(True, 0.88)] for m in MODELS}}  # -0.02: within 0.05
    assert find_regressions(suite_log("a", BASE), suite_log("b", small)) == []
    big = {**BASE, "c2": {"demo/swift": [(True, 0.7)], "demo/steady": [(True, 0.9)]}}
    regs = find_regressions(suite_log("a", BASE), suite_log("b", big))
    assert kinds(regs) == [("score_drop", "demo/swift", "c2")]
    assert regs[0].old == 0.9 and regs[0].new == 0.7
    assert find_regressions(suite_log("a", BASE), suite_log("b", big), Tolerances(score=0.3)) == []


def test_score_drop_beyond_the_spread_seen_in_repeats():
    noisy = {"c1": {"demo/swift": [(True, 1.0), (True, 0.6), (True, 0.8)]}}
    within = {"c1": {"demo/swift": [(True, 0.7), (True, 0.8), (True, 0.6)]}}  # mean -0.1, spread 0.4
    assert find_regressions(suite_log("a", noisy), suite_log("b", within)) == []
    steady = {"c1": {"demo/swift": [(True, 0.9), (True, 0.9), (True, 0.92)]}}
    dropped = {"c1": {"demo/swift": [(True, 0.7), (True, 0.72), (True, 0.7)]}}  # mean -0.2, spread 0.02
    regs = find_regressions(suite_log("a", steady), suite_log("b", dropped))
    assert kinds(regs) == [("score_drop", "demo/swift", "c1")]
    assert "spread" in regs[0].detail


def test_flaky_case_failing_in_some_repeats_after_passing_in_all():
    old = {"c1": {"demo/swift": [(True, 1.0), (True, 1.0)]}}
    new = {"c1": {"demo/swift": [(True, 1.0), (False, 0.0)]}}
    regs = find_regressions(suite_log("a", old), suite_log("b", new))
    assert kinds(regs) == [("case_failed", "demo/swift", "c1")] and regs[0].new == "1/2"
    flaky_before = {"c1": {"demo/swift": [(True, 1.0), (False, 0.0)]}}
    assert find_regressions(suite_log("a", flaky_before), suite_log("b", new)) == []


def test_judge_grade_drop_is_a_score_drop():
    old = suite_log("a", {"c1": {"demo/swift": [(True, 1.0)]}}, judge=True)
    new_log = suite_log("b", {"c1": {"demo/swift": [(True, 1.0)]}}, judge=True)
    for ev in new_log.events:  # the judge now grades the answer 3/5 on every axis
        if isinstance(ev, ScoreGiven) and ev.scorer == "judge:rubric":
            ev.detail = {"correctness": 3, "clarity": 3, "conciseness": 3, "total": 9}
    regs = find_regressions(old, new_log)
    assert kinds(regs) == [("score_drop", "demo/swift", "c1")]
    assert "judge grade 5 -> 3" in regs[0].detail


def test_p95_latency_up_beyond_tolerance():
    slow = suite_log("b", BASE, latency={"demo/steady": 1500.0})
    regs = find_regressions(suite_log("a", BASE), slow)
    assert kinds(regs) == [("latency", "demo/steady", None)]
    assert regs[0].old == 1000.0 and regs[0].new == 1500.0 and "+50%" in regs[0].detail
    assert find_regressions(suite_log("a", BASE), suite_log("b", BASE, latency={"demo/steady": 1150.0})) == []
    assert find_regressions(suite_log("a", BASE), slow, Tolerances(latency=0.6)) == []


def test_cost_up_beyond_tolerance():
    dear = suite_log("b", BASE, costs={"demo/swift": 0.0013})
    regs = find_regressions(suite_log("a", BASE), dear)
    assert kinds(regs) == [("cost", "demo/swift", None)]
    assert find_regressions(suite_log("a", BASE), dear, Tolerances(cost=0.5)) == []
    cheaper = suite_log("b", BASE, costs={"demo/swift": 0.0005})
    assert find_regressions(suite_log("a", BASE), cheaper) == []


def test_error_without_verdicts_in_a_compare_session(tmp_path):
    from tuiarena.store.sessions import read_session

    r = run("r1", MODELS, "hello")
    old = write_session(tmp_path / "old.jsonl", [r, done(r, MODELS[0], "hi"), done(r, MODELS[1], "hello")])
    r2 = run("r9", MODELS, "hello")
    new = write_session(tmp_path / "new.jsonl", [r2, done(r2, MODELS[0], "hi"),
                                                  done(r2, MODELS[1], "", status="error", error="boom")],
                        header=SessionHeader(session_id="sess2", kind="compare"))
    regs = find_regressions(read_session(old), read_session(new))
    assert kinds(regs) == [("error", "demo/steady", None)]
    assert "answered before, error now" in regs[0].detail


def test_models_in_one_session_only_are_skipped_and_model_map_pairs_them():
    old = suite_log("a", {"c1": {"demo/swift": [(True, 1.0)]}})
    new = suite_log("b", {"c1": {"demo/terse": [(False, 0.0)]}})
    result = compare_logs(old, new)
    assert result.regressions == [] and set(result.skipped_models) == {"demo/swift", "demo/terse"}
    mapped = find_regressions(old, new, model_map={"demo/terse": "demo/swift"})
    assert kinds(mapped) == [("case_failed", "demo/terse", "c1")]


def test_plain_check_scores_count_when_there_is_no_suite_verdict():
    r = run("r1", ["demo/swift"], "name a prime")
    d = done(r, "demo/swift", "13")
    old = SimpleNamespace(header=SessionHeader(session_id="a"), events=[r, d, score(d, "check:contains", True, 1.0)])
    r2 = run("r2", ["demo/swift"], "name a prime")
    d2 = done(r2, "demo/swift", "12")
    new = SimpleNamespace(header=SessionHeader(session_id="b"), events=[r2, d2, score(d2, "check:contains", False, 0.0)])
    assert kinds(find_regressions(old, new)) == [("case_failed", "demo/swift", None)]


def test_tiny_latencies_growing_a_lot_in_percent_are_noise_not_a_regression():
    quick = suite_log("a", BASE, latency={"demo/steady": 1.1})
    noisy = suite_log("b", BASE, latency={"demo/steady": 1.9})  # +73%, but under a millisecond
    assert find_regressions(quick, noisy) == []
    assert find_regressions(quick, noisy, Tolerances(latency_floor_ms=0.5)) != []


def test_a_regression_is_decided_by_the_paired_test_not_by_one_flipped_case():
    old_cases = {f"k{i}": {"demo/swift": [(True, 1.0)]} for i in range(12)}
    one_flip = {**old_cases, "k0": {"demo/swift": [(False, 0.0)]}}
    result = compare_logs(suite_log("a", old_cases), suite_log("b", one_flip))
    assert [r.kind for r in result.regressions] == ["case_failed"]  # listed as a change...
    assert not result.regressed and result.paired["demo/swift"]["mcnemar"]["p"] == 1.0  # ...not a regression
    assert "not significant on their own" in render(result)
    many = {k: {"demo/swift": [(False, 0.0)]} if i < 8 else v for i, (k, v) in enumerate(old_cases.items())}
    result = compare_logs(suite_log("a", old_cases), suite_log("c", many))
    assert result.regressed and result.paired["demo/swift"]["mcnemar"]["now_fail"] == 8
    assert result.paired["demo/swift"]["mcnemar"]["p"] < 0.01 and "REGRESSION" in render(result)
    assert result.to_dict()["regressed"] is True
