"""Per-model history across sessions (tuiarena.engine.sessions.history) and `tuiarena history`."""

from __future__ import annotations

import json

import pytest

from tests.replay_helpers import done, run, write_session
from tuiarena.cli import main
from tuiarena.engine.sessions.history import model_history
from tuiarena.model import ScoreGiven, SessionHeader


def make_session(home, sid: str, created: float, rows: list[tuple], kind: str = "suite", name: str = ""):
    """rows: (model, case, passed, total_ms, cost, judge_total or None)."""
    events = []
    for i, (model, case, passed, total_ms, cost, judge) in enumerate(rows):
        r = run(f"{sid}-r{i}", [model], f"prompt {case}", case_id=case)
        d = done(r, model, "answer", total_ms=total_ms, cost_usd=cost)
        events += [r, d, ScoreGiven(response_id=d.response_id, run_id=r.run_id, scorer="checks", passed=passed,
                                    score=1.0 if passed else 0.0)]
        if judge is not None:
            jr = run(f"{sid}-j{i}", ["demo/judge"], "grade", case_id=case, label="judge:rubric")
            events += [jr, done(jr, "demo/judge", "{}", total_ms=50_000.0, cost_usd=5.0),
                       ScoreGiven(response_id=d.response_id, run_id=r.run_id, scorer="judge:rubric", score=judge,
                                  detail={"correctness": judge / 3, "clarity": judge / 3, "conciseness": judge / 3,
                                          "total": judge})]
    header = SessionHeader(session_id=sid, name=name or sid, kind=kind, created=created)
    return write_session(home / "sessions" / f"{sid}.jsonl", events, header)


@pytest.fixture
def sessions(tuiarena_home):
    make_session(tuiarena_home, "s1", 1_700_000_000, [
        ("demo/swift", "c1", True, 100.0, 0.001, 12.0), ("demo/swift", "c2", True, 200.0, 0.001, 9.0),
        ("demo/swift", "c3", False, 300.0, 0.003, None), ("demo/steady", "c1", True, 1000.0, None, None)])
    make_session(tuiarena_home, "s2", 1_700_100_000, [
        ("demo/swift", "c1", False, 1000.0, 0.002, None), ("demo/swift", "c2", True, 2000.0, 0.004, None)])
    make_session(tuiarena_home, "s3", 1_700_200_000, [("demo/terse", "c1", True, 10.0, 0.0, None)], kind="compare")
    return tuiarena_home


def test_history_numbers_per_model_oldest_first(sessions):
    [swift] = model_history(["demo/swift"])
    assert [p.session_id for p in swift.points] == ["s1", "s2"]
    p1, p2 = swift.points
    assert (p1.responses, p1.passed, p1.failed) == (3, 2, 1)
    assert p1.pass_rate == pytest.approx(2 / 3) and p2.pass_rate == pytest.approx(0.5)
    assert p1.judge_score == pytest.approx((12 / 3 + 9 / 3) / 2) and p2.judge_score is None
    assert p1.latency_p95_ms == pytest.approx(290.0)  # linear interpolation of 100, 200, 300
    assert p2.latency_p95_ms == pytest.approx(1950.0)
    assert p1.cost_usd == pytest.approx(0.005) and p1.cost_per_response == pytest.approx(0.005 / 3)
    assert swift.series("pass_rate") == [p1.pass_rate, p2.pass_rate]


def test_judge_runs_are_not_a_model_and_unknown_cost_stays_unknown(sessions):
    histories = {h.model: h for h in model_history()}
    assert "demo/judge" not in histories
    assert set(histories) == {"demo/swift", "demo/steady", "demo/terse"}
    [steady] = histories["demo/steady"].points
    assert steady.cost_usd is None and steady.cost_per_response is None
    assert list(histories)[0] == "demo/terse"  # most recently used first


def test_history_is_cached_and_refreshed_when_a_session_changes(sessions, monkeypatch):
    import tuiarena.store.sessions as store

    model_history()
    reads = []
    real = store.read_session
    monkeypatch.setattr(store, "read_session", lambda p: reads.append(p) or real(p))
    again = model_history(["demo/swift"])
    assert reads == [] and len(again[0].points) == 2
    store.rename_session(sessions / "sessions" / "s2.jsonl", "renamed run")
    again = model_history(["demo/swift"])
    assert [p.name for p in again[0].points] == ["s1", "renamed run"]
    assert [p.name for p in reads] == ["s2.jsonl"]


def test_cli_history_json_and_table(sessions, capsys):
    assert main(["history", "demo/swift", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["model"] for d in data] == ["demo/swift"]
    assert data[0]["sessions"] == 2 and data[0]["points"][1]["pass_rate"] == 0.5
    assert main(["history", "--last", "1"]) == 0
    out = capsys.readouterr().out
    assert "demo/swift · 1 session" in out and "p95 s" in out and "50%" in out


def test_cli_history_without_sessions(capsys):
    assert main(["history"]) == 0
    assert "no saved sessions" in capsys.readouterr().out
