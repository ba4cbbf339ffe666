"""Snapshot tests of the compare screen at 80x24 and 160x48.

The pictures must not depend on the clock: the events are a fixed script (real demo answers, with
fixed timing figures) fed through the same fold as live events, and streaming snapshots mask the
clock-dependent figures.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.ui_helpers import make_app
from tuiarena.engine.run.runner import Runner
from tuiarena.model import (
    Params,
    ResponseDelta,
    ResponseDone,
    ResponseStarted,
    RunStarted,
)
from tuiarena.providers.registry import Registry
from tuiarena.store.pricing import PricingTable

MODELS = ["demo/swift", "demo/thinker", "demo/steady"]
PROMPT = "Explain python generators"


def scripted_events(models: list[str], *, finished: bool = True) -> list:
    """Run the demo models headless (fast), then fix every clock-dependent figure."""
    events: list = []

    async def go():
        runner = Runner(Registry([], demo_speed=1000.0), PricingTable({}), sinks=[events.append])
        await runner.run(models, [{"role": "user", "content": PROMPT}], Params(seed=1), run_id="r-snap")

    asyncio.run(go())
    out = []
    for ev in (e for e in events if type(e) in (RunStarted, ResponseStarted, ResponseDone)):
        if type(ev) is RunStarted:
            ev.response_ids = {m: f"x{n}" for n, m in enumerate(ev.models)}
        elif type(ev) in (ResponseStarted, ResponseDone):
            n = models.index(ev.model)
            ev.response_id = f"x{n}"
            if type(ev) is ResponseDone:
                ev.ttft_ms, ev.total_ms = 120.0 + 90 * n, 1500.0 + 400 * n
                ev.ttft_answer_ms = ev.ttft_ms + (600.0 if ev.reasoning else 0.0)
                ev.tokens_per_s = 180.0 - 50 * n
                if not finished and n > 0:  # still streaming: show half of the text as deltas
                    if ev.reasoning:
                        out.append(ResponseDelta(response_id=ev.response_id, text=ev.reasoning, ms=100, reasoning=True))
                    out.append(ResponseDelta(response_id=ev.response_id, text=ev.text[: len(ev.text) // 2], ms=200))
                    continue
        out.append(ev)
    return out


def _feed(events):
    async def run_before(pilot):
        app = pilot.app
        for _ in range(300):
            screen = app.compare_screen
            if app.runner is not None and screen is not None and screen.query("#columns"):
                break
            await pilot.pause(0.02)
        screen = app.compare_screen
        screen.load_events(events)
        for _ in range(300):  # every column mounted, drawn, and (when finished) in Markdown
            await pilot.pause(0.02)
            await app.workers.wait_for_complete()
            cols = list(screen.query("OutputColumn"))
            states = [screen.view.columns.get(c.response_id) for c in cols]
            if all(c.ready and s is not None and c.shown_version == s.version
                   and (not s.final or c.rendered) for c, s in zip(cols, states)):
                break
        await pilot.pause(0.2)
        screen.layout_columns()
        for column in screen.query("OutputColumn"):  # the follow position depends on frame timing
            column.body.action_scroll_to(0)
        await pilot.pause(0.2)
        await pilot.wait_for_scheduled_animations()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_compare_done(snap_compare, size):
    app = make_app(mask_timings=False)
    assert snap_compare(app, run_before=_feed(scripted_events(MODELS)), terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_compare_streaming(snap_compare, size):
    app = make_app(mask_timings=True)
    assert snap_compare(app, run_before=_feed(scripted_events(MODELS, finished=False)), terminal_size=size)


def test_compare_empty_80x24(snap_compare):
    assert snap_compare(make_app(), run_before=_feed([]), terminal_size=(80, 24))
