"""Replay: the events rebuilt from a session file, their pace (on a fake clock), controls, and the CLI."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.replay_helpers import compare_session, done, run, score, write_session
from tuiarena.cli import main
from tuiarena.engine.run.state import fold
from tuiarena.engine.sessions.replay import (
    ReplayControl,
    deltas_for,
    replay_events,
    replay_to_list,
)
from tuiarena.model import (
    ResponseDelta,
    ResponseDone,
    ResponseRetry,
    ResponseStarted,
    RunStarted,
    SessionHeader,
)
from tuiarena.store.sessions import read_session


class FakeClock:
    """``clock`` and ``sleep`` for replay_events: sleeping advances time, nothing really waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def two_model_log(tmp_path):
    r = run("r1", ["demo/swift", "demo/slow"], "Count")
    fast = done(r, "demo/swift", "one two three", ttft=10, step=10, chunk=5)
    slow = done(r, "demo/slow", "uno dos tres cuatro", ttft=200, step=100, chunk=4, reasoning="hmm, Spanish")
    return read_session(write_session(tmp_path / "two.jsonl", [r, slow, fast])), fast, slow


# ------------------------------------------------------------------ deltas from timelines


def test_deltas_rebuild_the_text_exactly_at_the_recorded_times():
    r = run("r", ["m/a"], "p")
    d = done(r, "m/a", "abcdefghij", ttft=100, step=20, chunk=4, reasoning="think")
    pieces = deltas_for(d)
    answer = [ev for _, ev in pieces if not ev.reasoning]
    reasoning = [ev for _, ev in pieces if ev.reasoning]
    assert "".join(ev.text for ev in answer) == d.text
    assert "".join(ev.text for ev in reasoning) == d.reasoning
    assert [ev.ms for ev in answer] == [p[0] for p in d.timeline]
    assert [ms for ms, _ in pieces] == sorted(ms for ms, _ in pieces)
    assert pieces[0][1].reasoning  # reasoning came first


def test_text_past_the_timeline_and_no_timeline_at_all():
    r = run("r", ["m/a"], "p")
    d = done(r, "m/a", "hello world")
    d.timeline = [[50.0, 5], [70.0, 3], [90.0, 999]]  # a non-monotonic point and an overshoot
    assert "".join(ev.text for _, ev in deltas_for(d)) == "hello world"
    cached = done(r, "m/a", "cached answer", timeline=False, cached=True, ttft_answer_ms=None, ttft_ms=None)
    pieces = deltas_for(cached)
    assert len(pieces) == 1 and pieces[0][1].text == "cached answer"
    assert deltas_for(done(r, "m/a", "", timeline=False)) == []


def test_retries_are_replayed_at_their_time():
    r = run("r", ["m/a"], "p")
    d = done(r, "m/a", "ok", ttft=500, retries=[{"attempt": 1, "status": 429, "wait_s": 0.2, "ms": 10.0}])
    first = deltas_for(d)[0][1]
    assert isinstance(first, ResponseRetry) and first.status == 429


# ------------------------------------------------------------------ the event stream


async def test_replay_feeds_the_same_fold_as_the_log(tmp_path):
    log = read_session(compare_session(tmp_path))
    events = await replay_to_list(log, instant=False, speed=1000)
    assert isinstance(events[0], SessionHeader)
    live = fold(events)
    stored = fold([log.header, *log.events])
    assert live.run_order == stored.run_order == ["r1", "r2"]
    for rid, col in stored.columns.items():
        assert live.columns[rid].text == col.text
        assert live.columns[rid].status == col.status
        assert live.columns[rid].record == col.record
    assert [v.outcome for v in live.votes] == ["b"]
    assert sum(len(v) for v in live.scores.values()) == 2
    # deltas for r1 reproduce each answer on their own, before its ResponseDone
    for rid in ("r1-swift", "r1-thinker"):
        idx = next(i for i, ev in enumerate(events) if isinstance(ev, ResponseDone) and ev.response_id == rid)
        text = "".join(ev.text for ev in events[:idx] if isinstance(ev, ResponseDelta) and ev.response_id == rid and not ev.reasoning)
        assert text == events[idx].text


async def test_order_within_a_run_interleaves_models_by_time(tmp_path):
    log, fast, slow = two_model_log(tmp_path)
    events = await replay_to_list(log, speed=1000)
    kinds = [type(ev).__name__ for ev in events]
    assert kinds[:4] == ["SessionHeader", "RunStarted", "ResponseStarted", "ResponseStarted"]
    order = [ev.response_id for ev in events if isinstance(ev, ResponseDone)]
    assert order == [fast.response_id, slow.response_id]  # logged slow-first, finished fast-first
    ms = [ev.ms for ev in events if isinstance(ev, ResponseDelta)]
    assert ms == sorted(ms)
    last_fast = max(i for i, ev in enumerate(events) if getattr(ev, "response_id", "") == fast.response_id)
    first_slow = min(i for i, ev in enumerate(events) if isinstance(ev, ResponseDelta) and ev.response_id == slow.response_id)
    assert last_fast < first_slow  # the fast model was done before the slow one said anything


async def test_pace_follows_the_timeline_divided_by_speed(tmp_path):
    log, fast, slow = two_model_log(tmp_path)
    for speed in (1.0, 4.0):
        clock = FakeClock()
        await replay_to_list(log, speed=speed, clock=clock, sleep=clock.sleep)
        assert clock.now == pytest.approx(slow.total_ms / 1000 / speed, abs=0.002)
        assert max(clock.sleeps) <= 0.1 + 1e-9  # long waits are taken in short naps


async def test_instant_emits_records_without_waiting_or_deltas(tmp_path):
    log, fast, slow = two_model_log(tmp_path)
    clock = FakeClock()
    events = await replay_to_list(log, instant=True, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []
    assert not any(isinstance(ev, ResponseDelta) for ev in events)
    assert {ev.text for ev in events if isinstance(ev, ResponseDone)} == {fast.text, slow.text}


async def test_rerun_of_a_column_restarts_it_and_the_latest_answer_wins(tmp_path):
    r = run("r1", ["m/a", "m/b"], "p")
    first = done(r, "m/a", "first try", status="error", error="boom", error_kind="server")
    other = done(r, "m/b", "fine")
    again = done(r, "m/a", "second try")
    log = read_session(write_session(tmp_path / "x.jsonl", [r, first, other, again]))
    events = await replay_to_list(log, speed=1000)
    starts = [ev.response_id for ev in events if isinstance(ev, ResponseStarted)]
    assert starts.count(first.response_id) == 2
    assert fold(events).columns[first.response_id].text == "second try"


async def test_events_outside_runs_pass_through_and_torn_lines_are_tolerated(tmp_path):
    path = compare_session(tmp_path)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"type":"response","run_id":"r2","respo')  # a crash mid-write
    log = read_session(path)
    assert log.skipped
    events = await replay_to_list(log, instant=True)
    assert sum(isinstance(ev, RunStarted) for ev in events) == 2


# ------------------------------------------------------------------ controls


async def test_pause_holds_the_next_run_until_resumed(tmp_path):
    log = read_session(compare_session(tmp_path))
    control = ReplayControl(instant=True)
    control.pause()
    got: list = []

    async def consume():
        async for ev in replay_events(log, control=control):
            got.append(ev)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(control.held.wait(), 2)  # the replay waits for resume() (held says so)
    assert [type(ev) for ev in got] == [SessionHeader]
    control.resume()
    assert not control.held.is_set()
    await asyncio.wait_for(task, 2)
    assert sum(isinstance(ev, ResponseDone) for ev in got) == 4


async def test_skip_finishes_the_current_run_at_once(tmp_path):
    log, fast, slow = two_model_log(tmp_path)
    clock = FakeClock()
    control = ReplayControl(speed=1.0)
    events = []
    async for ev in replay_events(log, control=control, clock=clock, sleep=clock.sleep):
        events.append(ev)
        if isinstance(ev, ResponseDelta):
            control.skip()
    deltas = [ev for ev in events if isinstance(ev, ResponseDelta)]
    assert len(deltas) == 1
    state = fold(events)
    assert state.columns[slow.response_id].text == slow.text and state.columns[slow.response_id].status == "done"
    assert clock.now < slow.total_ms / 1000


async def test_step_pauses_before_the_next_run(tmp_path):
    log = read_session(compare_session(tmp_path))
    control = ReplayControl(speed=1.0)
    clock = FakeClock()
    got: list = []

    async def consume():
        async for ev in replay_events(log, control=control, clock=clock, sleep=clock.sleep):
            got.append(ev)
            if isinstance(ev, ResponseStarted) and len(got) == 3:
                control.step()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(control.held.wait(), 2)
    assert control.paused
    runs = [ev for ev in got if isinstance(ev, RunStarted)]
    assert [r.run_id for r in runs] == ["r1"]
    assert sum(isinstance(ev, ResponseDone) for ev in got) == 2
    control.step()  # the next (last) run at once; the pause it asks for has nothing left to hold
    assert not control.held.is_set()
    await asyncio.wait_for(task, 2)
    assert control.paused and control.run_index == 2 and not control.held.is_set()
    assert sum(isinstance(ev, ResponseDone) for ev in got) == 4


async def test_speed_change_mid_run_takes_effect(tmp_path):
    log, fast, slow = two_model_log(tmp_path)
    clock = FakeClock()
    control = ReplayControl(speed=1.0)
    async for ev in replay_events(log, control=control, clock=clock, sleep=clock.sleep):
        if isinstance(ev, ResponseDone) and ev.response_id == fast.response_id:
            at = clock.now
            control.set_speed(10.0)
    assert clock.now == pytest.approx(at + (slow.total_ms / 1000 - at) / 10, abs=0.002)


def test_bad_speed_is_refused():
    with pytest.raises(ValueError):
        ReplayControl(speed=0)


# ------------------------------------------------------------------ the command


def test_cli_replay_prints_prompt_answers_and_table(tmp_path, capsys):
    path = compare_session(tmp_path)
    assert main(["replay", str(path), "--instant"]) == 0
    out = capsys.readouterr().out
    assert "> Name a prime | between 10 and 20." in out and "system> Be brief." in out
    assert "swift   | 13 is prime." in out
    assert "thinker | ~ Primes: 11, 13, 17, 19." in out
    assert out.index("thinker | ~ Primes") < out.index("thinker | **17** | is prime")
    assert "TTFT (ms)" in out and "Tok/s" in out and "stop (cached)" in out and "error: rate_limit" in out
    assert "vote: A = demo/swift, B = demo/thinker -> demo/thinker wins" in out


def test_cli_replay_single_model_streams_text_and_escapes_control_chars(tmp_path, capsys):
    r = run("r1", ["m/solo"], "colour me")
    d = done(r, "m/solo", "plain \x1b[31mred\x1b[0m\nline two")
    path = write_session(tmp_path / "solo.jsonl", [r, d, score(d, "check:regex", True, 1.0)])
    assert main(["replay", str(path), "--speed", "1000"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out
    assert "plain \\x1b[31mred\\x1b[0m\nline two\n" in out
    assert "score: pass 1 m/solo check:regex" in out


def test_cli_replay_unknown_session_exits_2(capsys):
    assert main(["replay", "no-such-session"]) == 2
    assert "no session" in capsys.readouterr().err


def test_cli_replay_refuses_a_newer_format(tmp_path, capsys):
    path = tmp_path / "future.jsonl"
    path.write_text(json.dumps({"type": "header", "format": 99, "session_id": "x"}) + "\n")
    assert main(["replay", str(path)]) == 2
    assert "newer" in capsys.readouterr().err


def test_cli_replay_rejects_a_bad_speed(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["replay", "latest", "--speed", "0"])
    assert exc.value.code == 2
