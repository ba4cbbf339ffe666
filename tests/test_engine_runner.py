"""The runner's measurements and events, against a scripted provider and a controlled clock."""

from __future__ import annotations

import asyncio

import pytest

from tuiarena.engine.run.runner import Runner, build_messages
from tuiarena.engine.run.state import ViewState, apply, fold
from tuiarena.engine.run.timeline import Timeline
from tuiarena.model import (
    Params,
    ProviderError,
    RequestSent,
    ResponseDelta,
    ResponseDone,
    ResponseStarted,
    RetryNotice,
    RunStarted,
    StreamEnd,
    StreamFinish,
    TextDelta,
    UsageInfo,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Script:
    """A provider whose streams follow a script: (seconds after request, event factory)."""

    name = "s"
    max_concurrency = 2

    def __init__(self, clock: Clock, scripts: dict, gate: asyncio.Event | None = None) -> None:
        self.clock = clock
        self.scripts = scripts
        self.gate = gate
        self.calls: list[tuple[str, list]] = []
        self.concurrent = 0
        self.max_seen = 0

    async def stream(self, model, messages, params):
        self.calls.append((model, messages))
        self.concurrent += 1
        self.max_seen = max(self.max_seen, self.concurrent)
        try:
            start = self.clock.now
            for dt, make in self.scripts[model]:
                if self.gate is not None:
                    await self.gate.wait()
                await asyncio.sleep(0)
                self.clock.now = start + dt
                ev = make(self.clock.now)
                if isinstance(ev, Exception):
                    raise ev
                yield ev
        finally:
            self.concurrent -= 1


class Registry:
    def __init__(self, provider) -> None:
        self.provider = provider
        self.endpoints = {"s": provider}

    def get(self, name):
        if name != "s":
            raise ProviderError("config", f"unknown endpoint {name!r}")
        return self.provider


class Pricing:
    def cost(self, model, prompt_tokens, completion_tokens):
        if model == "s/unpriced":
            return None
        return (prompt_tokens * 1.0 + completion_tokens * 2.0) / 1e6


def text(s, reasoning=False):
    return lambda t: TextDelta(s, t, reasoning)


FULL = [
    (0.200, text("Let me think", reasoning=True)),
    (0.300, text("Hello")),
    (0.400, text(" world")),
    (0.500, text("!")),
    (0.500, lambda t: StreamFinish("stop", t)),
    (0.510, lambda _t: UsageInfo(prompt_tokens=12, completion_tokens=21, reasoning_tokens=10)),
]


def make(scripts, gate=None):
    clock = Clock()
    provider = Script(clock, scripts, gate)
    events: list = []
    runner = Runner(Registry(provider), Pricing(), [events.append], clock=clock)
    return runner, provider, events, clock


async def test_no_decode_rate_from_a_burst():
    # two chunks 0.1 ms apart (one read, or a burst) and one chunk: delivery, not decoding: no rate
    burst = [(0.200, text("bill")), (0.2001, text("ing")), (0.2002, lambda t: StreamFinish("stop", t)),
             (0.2003, lambda _t: UsageInfo(prompt_tokens=5, completion_tokens=2))]
    one = [(0.200, text("billing")), (0.201, lambda t: StreamFinish("stop", t)),
           (0.202, lambda _t: UsageInfo(prompt_tokens=5, completion_tokens=3))]
    runner, _p, _e, _c = make({"burst": burst, "one": one})
    recs = await runner.run(["s/burst", "s/one"], [{"role": "user", "content": "hi"}])
    assert [r.status for r in recs] == ["done", "done"]
    assert [r.tokens_per_s for r in recs] == [None, None]


async def test_measures_ttft_total_rate_usage_and_cost():
    runner, _p, events, _c = make({"full": FULL})
    [rec] = await runner.run(["s/full"], [{"role": "user", "content": "hi"}])
    assert rec.status == "done"
    assert rec.text == "Hello world!" and rec.reasoning == "Let me think"
    assert rec.ttft_ms == pytest.approx(200.0)
    assert rec.ttft_answer_ms == pytest.approx(300.0)
    assert rec.total_ms == pytest.approx(510.0)
    # 21 tokens, first at 0.2 s, last at 0.5 s: 20 inter-token gaps over 0.3 s
    assert rec.tokens_per_s == pytest.approx(20 / 0.3, rel=1e-3)
    assert (rec.prompt_tokens, rec.completion_tokens, rec.reasoning_tokens) == (12, 21, 10)
    assert rec.tokens_estimated is False
    assert rec.cost_usd == pytest.approx((12 + 42) / 1e6)
    assert rec.finish_reason == "stop"
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[1] is ResponseStarted and kinds[-1] is ResponseDone
    assert sum(k is ResponseDelta for k in kinds) == 4
    assert rec.timeline[-1][1] == len("Hello world!") and rec.reasoning_timeline == [[200.0, 12]]


async def test_socket_side_times_from_the_provider_win():
    """RequestSent moves t0 to when the request went on the wire; StreamEnd ends total_ms."""
    script = [(0.040, lambda t: RequestSent(t)), *FULL, (0.520, lambda t: StreamEnd(t - 0.015))]
    runner, *_ = make({"full": script})
    [rec] = await runner.run(["s/full"], [{"role": "user", "content": "hi"}])
    assert rec.ttft_ms == pytest.approx(160.0)  # 200 - 40: building the request is not the model's time
    assert rec.ttft_answer_ms == pytest.approx(260.0)
    assert rec.total_ms == pytest.approx(465.0)  # last bytes at 505, not when the iterator wound up
    assert rec.timeline[0][0] == pytest.approx(260.0)


async def test_no_usage_is_estimated_and_flagged():
    script = [(0.1, text("x" * 40)), (0.2, text("y" * 40)), (0.2, lambda t: StreamFinish("stop", t))]
    runner, *_ = make({"m": script})
    [rec] = await runner.run(["s/m"], [{"role": "user", "content": "a" * 40}])
    assert rec.tokens_estimated is True
    assert rec.completion_tokens == 20
    assert rec.prompt_tokens == 14  # 10 content tokens + 4 framing


async def test_unknown_price_is_none_not_zero():
    runner, *_ = make({"unpriced": FULL})
    [rec] = await runner.run(["s/unpriced"], [{"role": "user", "content": "hi"}])
    assert rec.cost_usd is None


async def test_cut_stream_keeps_partial_text_and_error_isolated():
    cut = [(0.1, text("partial")), (0.2, lambda _t: ProviderError("cut", "stream ended after 7 chars without a finish"))]
    runner, *_ = make({"cut": cut, "full": FULL})
    recs = await runner.run(["s/cut", "s/full", "nope/model"], [{"role": "user", "content": "hi"}])
    by = {r.model: r for r in recs}
    assert by["s/cut"].status == "cut" and by["s/cut"].text == "partial"
    assert by["s/full"].status == "done"
    assert by["nope/model"].status == "error" and "unknown endpoint" in by["nope/model"].error


async def test_retries_are_recorded():
    script = [(0.05, lambda t: RetryNotice(1, 429, 0.2, t))] + FULL
    runner, _p, events, _c = make({"r": script})
    [rec] = await runner.run(["s/r"], [{"role": "user", "content": "hi"}])
    assert rec.retries == [{"attempt": 1, "status": 429, "wait_s": 0.2, "ms": 50.0}]


async def test_cancel_one_records_cancelled_and_others_finish():
    gate = asyncio.Event()
    runner, _p, events, _c = make({"full": FULL, "slow": FULL}, gate=gate)
    run, tasks = runner.start_run(["s/full", "s/slow"], [{"role": "user", "content": "hi"}])
    await asyncio.sleep(0)
    assert runner.cancel(run.response_ids["s/slow"]) == 1
    gate.set()
    recs = await asyncio.gather(*tasks)
    by = {r.model: r for r in recs}
    assert by["s/slow"].status == "cancelled"
    assert by["s/full"].status == "done"
    assert any(isinstance(e, ResponseDone) and e.status == "cancelled" for e in events)
    assert runner.active == []


async def test_concurrency_is_bounded_per_endpoint():
    runner, provider, *_ = make({f"m{i}": FULL for i in range(6)})
    await runner.run([f"s/m{i}" for i in range(6)], [{"role": "user", "content": "hi"}])
    assert provider.max_seen == 2


async def test_follow_up_history_is_per_model():
    runner, provider, *_ = make({"a": FULL, "b": FULL})
    history = {"s/a": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "A1"}]}
    await runner.run(["s/a", "s/b"], [{"role": "system", "content": "sys"}, {"role": "user", "content": "q2"}],
                     Params(temperature=0), history=history)
    calls = dict(provider.calls)
    assert [m["content"] for m in calls["a"]] == ["sys", "q1", "A1", "q2"]
    assert [m["content"] for m in calls["b"]] == ["sys", "q2"]


def test_build_messages_orders_system_first():
    msgs = build_messages([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                          [{"role": "user", "content": "h"}])
    assert [m["content"] for m in msgs] == ["s", "h", "u"]


def test_timeline_coalesces_to_windows():
    tl = Timeline()
    for ms in range(0, 100, 5):
        tl.add(float(ms), ms)
    assert len(tl.points) == 5
    assert tl.points[0] == [15.0, 15]
    assert tl.points[-1] == [95.0, 95]


async def test_fold_matches_live_and_final_state():
    runner, _p, events, _c = make({"full": FULL})
    await runner.run(["s/full"], [{"role": "user", "content": "hi"}])
    state = ViewState()
    statuses = []
    for ev in events:
        apply(state, ev)
        col = next(iter(state.columns.values()), None)
        if col is not None:
            statuses.append(col.status)
    assert statuses[1:4] == ["waiting", "thinking", "streaming"]
    col = next(iter(state.columns.values()))
    assert col.status == "done" and col.text == "Hello world!" and col.record is not None
    # replaying only the persisted events reaches the same final text
    persisted = fold([e for e in events if e.persisted])
    assert next(iter(persisted.columns.values())).text == "Hello world!"


def test_timeline_round_trips_through_the_stored_string():
    from tuiarena.engine.run.timeline import points
    from tuiarena.model import from_record

    rec = ResponseDone(response_id="x", timeline=[[12.5, 3], [40.0, 17]], reasoning_timeline=[])
    stored = rec.to_record()
    assert stored["timeline"] == "12.5,3 40,17" and stored["reasoning_timeline"] == ""
    back = from_record(stored)
    assert points(back.timeline) == [[12.5, 3], [40.0, 17]] and points(back.reasoning_timeline) == []
