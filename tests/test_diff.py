"""diff_sessions: matching runs by case or prompt, models by name or position, and the deltas."""

from __future__ import annotations

from tests.replay_helpers import done, run, score, write_session
from tuiarena.engine.sessions.diff import diff_sessions, summarise
from tuiarena.store.sessions import read_session


def _log(tmp_path, name, events):
    return read_session(write_session(tmp_path / name, events))


def test_same_models_by_prompt_with_deltas(tmp_path):
    r = run("o1", ["m/a", "m/b"], "What is 2+2?")
    old = [r, done(r, "m/a", "4", total_ms=1000.0, completion_tokens=1, cost_usd=0.001),
           done(r, "m/b", "four", total_ms=500.0, completion_tokens=2, cost_usd=None)]
    r2 = run("n1", ["m/b", "m/a"], "What is 2+2?")  # same prompt, other roster order, new run id
    new = [r2, done(r2, "m/a", "4", total_ms=1500.0, completion_tokens=3, cost_usd=0.0025),
           done(r2, "m/b", "It is 4.", total_ms=400.0, completion_tokens=4, cost_usd=0.001)]
    diffs = diff_sessions(_log(tmp_path, "o.jsonl", old), _log(tmp_path, "n.jsonl", new))
    assert len(diffs) == 1 and diffs[0].status == "matched" and diffs[0].prompt == "What is 2+2?"
    by = {m.label: m for m in diffs[0].models}
    assert set(by) == {"m/a", "m/b"}
    a = by["m/a"]
    assert a.d_total_ms == 500.0 and a.d_tokens == 2 and abs(a.d_cost_usd - 0.0015) < 1e-12
    assert not a.text_changed
    b = by["m/b"]
    assert b.text_changed and b.d_total_ms == -100.0 and b.d_cost_usd is None  # unknown old cost
    assert b.old.text == "four" and b.new.text == "It is 4."


def test_suite_cases_match_by_case_id_and_flag_regressions(tmp_path):
    o1 = run("o1", ["m/a"], "prompt v1", case_id="c1")
    o2 = run("o2", ["m/a"], "other", case_id="c2")
    oa, ob = done(o1, "m/a", "ok"), done(o2, "m/a", "meh")
    old = [o1, oa, score(oa, "check:contains", True, 1.0), o2, ob, score(ob, "check:contains", False, 0.0),
           score(ob, "rouge-l", None, 0.2)]
    n2 = run("n2", ["m/a"], "other (reworded)", case_id="c2")  # matched by case id despite the new wording
    n1 = run("n1", ["m/a"], "prompt v1", case_id="c1")
    na, nb = done(n1, "m/a", "nope"), done(n2, "m/a", "good")
    new = [n2, nb, score(nb, "check:contains", True, 1.0), score(nb, "rouge-l", None, 0.5),
           n1, na, score(na, "check:contains", False, 0.0)]
    diffs = diff_sessions(_log(tmp_path, "o.jsonl", old), _log(tmp_path, "n.jsonl", new))
    assert [d.case_id for d in diffs] == ["c1", "c2"]
    c1, c2 = diffs[0].models[0], diffs[1].models[0]
    assert c1.regressed and not c1.improved and diffs[0].regressed
    assert c2.improved and not c2.regressed
    rouge = next(s for s in c2.scores if s.scorer == "rouge-l")
    assert abs(rouge.delta - 0.3) < 1e-9 and rouge.old_passed is None
    assert summarise(diffs)["regressions"] == 1 and summarise(diffs)["improvements"] == 1


def test_a_response_that_now_errors_is_a_regression(tmp_path):
    r = run("o", ["m/a"], "p")
    r2 = run("n", ["m/a"], "p")
    diffs = diff_sessions(_log(tmp_path, "o.jsonl", [r, done(r, "m/a", "fine")]),
                          _log(tmp_path, "n.jsonl", [r2, done(r2, "m/a", "", status="error", error="boom")]))
    assert diffs[0].models[0].regressed


def test_different_models_pair_in_roster_order_and_leftovers_show(tmp_path):
    r = run("o", ["m/shared", "m/old1", "m/old2"], "p")
    r2 = run("n", ["m/new1", "m/shared"], "p")
    old = [r, done(r, "m/shared", "s"), done(r, "m/old1", "x"), done(r, "m/old2", "y")]
    new = [r2, done(r2, "m/new1", "z"), done(r2, "m/shared", "s")]
    models = diff_sessions(_log(tmp_path, "o.jsonl", old), _log(tmp_path, "n.jsonl", new))[0].models
    assert [(m.old_model, m.new_model) for m in models] == [("m/shared", "m/shared"), ("m/old1", "m/new1"), ("m/old2", None)]
    assert models[1].label == "m/old1 → m/new1" and models[2].new is None and models[2].d_total_ms is None


def test_repeated_prompts_pair_in_order_and_unmatched_runs_are_added_or_removed(tmp_path):
    a1, a2, gone = run("o1", ["m/a"], "same"), run("o2", ["m/a"], "same"), run("o3", ["m/a"], "only old")
    b1, fresh = run("n1", ["m/a"], "same"), run("n2", ["m/a"], "only new")
    old = [a1, done(a1, "m/a", "first"), a2, done(a2, "m/a", "second"), gone, done(gone, "m/a", "g")]
    new = [b1, done(b1, "m/a", "first"), fresh, done(fresh, "m/a", "f")]
    diffs = diff_sessions(_log(tmp_path, "o.jsonl", old), _log(tmp_path, "n.jsonl", new))
    assert [d.status for d in diffs] == ["matched", "removed", "removed", "added"]
    assert diffs[0].old_run.run_id == "o1" and diffs[0].new_run.run_id == "n1"
    assert diffs[3].prompt == "only new" and diffs[3].models[0].old is None
    counts = summarise(diffs)
    assert (counts["matched"], counts["added"], counts["removed"]) == (1, 1, 2)


def test_a_rerun_column_uses_the_latest_answer_and_keeps_its_scores(tmp_path):
    r = run("o", ["m/a"], "p")
    first = done(r, "m/a", "bad", status="error", error="x")
    second = done(r, "m/a", "good")
    old = [r, first, second, score(second, "judge:rubric", None, 4.0)]
    r2 = run("n", ["m/a"], "p")
    new = [r2, done(r2, "m/a", "good")]
    m = diff_sessions(_log(tmp_path, "o.jsonl", old), _log(tmp_path, "n.jsonl", new))[0].models[0]
    assert m.old.text == "good" and m.old.status == "done" and not m.regressed
    assert m.scores[0].scorer == "judge:rubric" and m.scores[0].new_score is None
