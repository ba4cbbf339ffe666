"""The live tokens/s figure of the view-state fold: a burst in the first delta (a replayed timeline
is coalesced to ~20 ms) must not inflate it."""

from __future__ import annotations

from tuiarena.engine.run.state import ViewState, apply
from tuiarena.model import ResponseDelta, RunStarted


def test_first_burst_does_not_inflate_the_live_rate():
    state = ViewState()
    apply(state, RunStarted(run_id="r", models=["m"], messages=[{"role": "user", "content": "x"}],
                            response_ids={"m": "x1"}))
    apply(state, ResponseDelta(response_id="x1", text="a" * 80, ms=100.0))  # 20 tokens at once at TTFT
    col = state.columns["x1"]
    assert col.live_tokens_per_s is None  # too early to say
    for i in range(1, 26):  # then 2 tokens (8 chars) every 20 ms: 100 tok/s
        apply(state, ResponseDelta(response_id="x1", text="b" * 8, ms=100.0 + 20 * i))
    assert abs(col.live_tokens_per_s - 100.0) < 1.0
