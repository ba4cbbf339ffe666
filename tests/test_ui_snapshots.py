"""Snapshot tests of the compare screen: empty, streaming, done and error, at 80x24 and 160x45,
with 2, 4 and 8 models.

The pictures must not depend on the clock: the events are a fixed script (real demo answers, with
fixed timing figures) fed through the same fold as live events, and streaming snapshots mask the
clock-dependent figures. The cursor does not blink and no clock is drawn.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tests.ui_helpers import make_app
from tuiarena.engine.run.runner import Runner
from tuiarena.model import Params, ResponseDelta, ResponseDone, RunStarted
from tuiarena.providers.registry import Registry
from tuiarena.store.pricing import PricingTable

DEMO = ["demo/swift", "demo/thinker", "demo/steady", "demo/verbose", "demo/terse"]
PROMPT = "Explain python generators"
SIZES = [(80, 24), (160, 45)]
COUNTS = [2, 4, 8]


def model_names(n: int) -> list[str]:
    """n distinct column names; past the five well-behaved demo models, a second of each."""
    return [DEMO[i % len(DEMO)] + ("" if i < len(DEMO) else "-b") for i in range(n)]


def _demo_answers() -> dict[str, ResponseDone]:
    events: list = []

    async def go():
        runner = Runner(Registry([], demo_speed=1000.0), PricingTable({}), sinks=[events.append])
        await runner.run(DEMO, [{"role": "user", "content": PROMPT}], Params(seed=1), run_id="r-snap")

    asyncio.run(go())
    return {e.model: e for e in events if type(e) is ResponseDone}


_ANSWERS: dict[str, ResponseDone] = {}


def scripted_events(models: list[str], *, finished: bool = True, error: bool = False) -> list:
    """One run of ``models`` with real demo answers and fixed timings; unfinished: the columns after
    the first show half their text; error: the last column failed (a 401 naming the key variable)."""
    if not _ANSWERS:
        _ANSWERS.update(_demo_answers())
    rids = {m: f"x{n}" for n, m in enumerate(models)}
    out: list = [RunStarted(run_id="r-snap", models=list(models), messages=[{"role": "user", "content": PROMPT}],
                            params={"seed": 1}, response_ids=rids)]
    for n, model in enumerate(models):
        base = _ANSWERS[model.removesuffix("-b")]
        ev = dataclasses.replace(base, model=model, response_id=rids[model], run_id="r-snap",
                                 ttft_ms=120.0 + 90 * n, total_ms=1500.0 + 400 * n, tokens_per_s=180.0 - 15 * n)
        ev.ttft_answer_ms = ev.ttft_ms + (600.0 if ev.reasoning else 0.0)
        if error and n == len(models) - 1:
            ev = dataclasses.replace(ev, status="error", text="", reasoning="", error_kind="auth",
                                     error="401 Unauthorized: set OPENAI_API_KEY", finish_reason=None,
                                     completion_tokens=None, cost_usd=None)
        elif not finished and n > 0:  # still streaming: half of the text as deltas
            if ev.reasoning:
                out.append(ResponseDelta(response_id=ev.response_id, text=ev.reasoning, ms=100, reasoning=True))
            out.append(ResponseDelta(response_id=ev.response_id, text=ev.text[: len(ev.text) // 2], ms=200))
            continue
        out.append(ev)
    return out


def feed(events):
    """run_before for snap_compare: load the events and draw them, waiting on the app's own signals
    (discovery's ``discovered`` event, the mount messages, the Markdown workers), never on the clock."""

    async def run_before(pilot):
        app = pilot.app
        await asyncio.wait_for(app.discovered.wait(), 30)  # not a speed limit: see ui_helpers.ready
        await pilot.pause()
        screen = app.compare_screen
        screen.load_events(events)
        await pilot.pause()  # the columns mount (their messages are processed before this returns)
        screen.layout_columns()
        for _ in range(2):  # draw every column on the page (a column mounted late is drawn by the second)
            screen.frame()
            await pilot.pause()
        await app.workers.wait_for_complete()  # Markdown renders of the finished columns
        await pilot.pause()
        for column in screen.query("OutputColumn"):  # the follow position depends on frame timing
            column.body.action_scroll_to(0)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    return run_before


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("size", SIZES)
def test_compare_done(snap_compare, size, count):
    app = make_app(mask_timings=False)
    assert snap_compare(app, run_before=feed(scripted_events(model_names(count))), terminal_size=size)


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("size", SIZES)
def test_compare_streaming(snap_compare, size, count):
    app = make_app(mask_timings=True)
    events = scripted_events(model_names(count), finished=False)
    assert snap_compare(app, run_before=feed(events), terminal_size=size)


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("size", SIZES)
def test_compare_error(snap_compare, size, count):
    app = make_app(mask_timings=False)
    assert snap_compare(app, run_before=feed(scripted_events(model_names(count), error=True)), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_compare_empty(snap_compare, size):
    assert snap_compare(make_app(), run_before=feed([]), terminal_size=size)
