"""Replay a saved session: re-emit its events for the same fold the live UI uses, at the recorded pace.

A session file stores each response once, at its end, with a compact pace record
(``timeline`` / ``reasoning_timeline``: ``[[ms, cumulative_chars], ...]``). :func:`replay_events`
turns that back into the event stream the runner produced live::

    header
    RunStarted                          for each run, in log order
      ResponseStarted x N               one per response of the run
      ResponseDelta / ResponseRetry ... every response of the run interleaved by ``ms``
      ResponseDone                      each at its own end time (fast models finish first)
    VoteCast / ScoreGiven / NoteTaken / SessionRenamed pass through where they were logged

Runs play one after another (the idle time between runs — a person typing — is not replayed); within
a run, the wall time between two events is their ``ms`` difference divided by ``speed``. A response
with no timeline (a cached answer, an old file) arrives all at once. Replay never calls a model.

Control from a UI goes through :class:`ReplayControl`: pause / resume, change the speed, ``skip()``
the rest of the current run, or ``step()`` (finish the current run, then pause before the next).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tuiarena.engine.run.timeline import points as timeline_points
from tuiarena.model import (
    Event,
    ResponseDelta,
    ResponseDone,
    ResponseRetry,
    ResponseStarted,
    RunStarted,
)

MIN_SLEEP_S = 0.001  # closer events are emitted together
TICK_S = 0.1  # longest single sleep, so a pause or a speed change takes effect quickly


class ReplayControl:
    """Pause, speed and step for a replay in progress; safe to drive from UI callbacks (same loop)."""

    def __init__(self, speed: float = 1.0, instant: bool = False) -> None:
        if speed <= 0:
            raise ValueError("replay speed must be > 0")
        self._speed = float(speed)
        self.instant = instant
        self._playing = asyncio.Event()
        self._playing.set()
        # set while the replay waits for resume() or step() (a UI, or a test, can await the hold)
        self.held = asyncio.Event()
        self._skip = False
        self._pause_after_run = False
        self.changed = 0  # bumped on every control change; the replay re-anchors its clock
        self.run_index = 0  # runs started so far (1-based index of the current run)
        self.run_count = 0

    # -- state -----------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return not self._playing.is_set()

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("replay speed must be > 0")
        self._speed = float(speed)
        self.changed += 1

    # -- commands --------------------------------------------------------------------------
    def pause(self) -> None:
        self._playing.clear()
        self.changed += 1

    def resume(self) -> None:
        self._playing.set()
        self.held.clear()
        self.changed += 1

    def toggle_pause(self) -> bool:
        """Pause or resume; returns True when now paused."""
        self.resume() if self.paused else self.pause()
        return self.paused

    def skip(self) -> None:
        """Finish the current run at once (its ResponseDone events carry the full text); play on."""
        self._skip = True
        self.changed += 1

    def step(self) -> None:
        """Finish the current run at once and pause before the next one (works while paused)."""
        self._skip = True
        self._pause_after_run = True
        self._playing.set()
        self.held.clear()
        self.changed += 1

    # -- used by replay_events -------------------------------------------------------------
    def take_skip(self) -> bool:
        hit, self._skip = self._skip, False
        return hit

    def end_of_run(self) -> None:
        self._skip = False
        if self._pause_after_run:
            self._pause_after_run = False
            self._playing.clear()

    async def wait_playing(self) -> None:
        """Return at once when playing; otherwise wait for resume() or step() (``held`` is set
        meanwhile)."""
        if not self._playing.is_set():
            self.held.set()
            try:
                await self._playing.wait()
            finally:
                self.held.clear()


@dataclass(slots=True)
class _Scheduled:
    ms: float
    event: Event


@dataclass(slots=True)
class _RunPlan:
    run: RunStarted
    responses: list[ResponseDone] = field(default_factory=list)  # in log order


def deltas_for(done: ResponseDone) -> list[tuple[float, ResponseDelta | ResponseRetry]]:
    """The events one stored response produced live, rebuilt from its timelines, with their ``ms``.

    Reasoning and answer points are merged by time; retries (``done.retries`` with ``ms``) come in at
    their time. Text not covered by a timeline (no timeline at all, or a tail past its last point) is
    emitted in one piece at the last known time.
    """
    out: list[tuple[float, Any]] = []
    rid = done.response_id
    for text, points, reasoning, first in (
        (done.reasoning or "", timeline_points(done.reasoning_timeline), True, done.ttft_ms),
        (done.text or "", timeline_points(done.timeline), False, done.ttft_answer_ms if done.ttft_answer_ms is not None else done.ttft_ms),
    ):
        if not text:
            continue
        sent = 0
        last_ms = 0.0
        for point in points:
            try:
                ms, chars = float(point[0]), int(point[1])
            except (TypeError, ValueError, IndexError):
                continue
            chars = min(chars, len(text))
            ms = max(ms, last_ms)
            if chars > sent:
                out.append((ms, ResponseDelta(response_id=rid, text=text[sent:chars], ms=ms, reasoning=reasoning)))
                sent = chars
            last_ms = ms
        if sent < len(text):
            at = last_ms if points else float(first or 0.0)
            out.append((at, ResponseDelta(response_id=rid, text=text[sent:], ms=at, reasoning=reasoning)))
    for retry in done.retries or []:
        if isinstance(retry, dict):
            ms = float(retry.get("ms") or 0.0)
            out.append((ms, ResponseRetry(response_id=rid, attempt=int(retry.get("attempt") or 0),
                                          status=retry.get("status"), wait_s=retry.get("wait_s"))))
    out.sort(key=lambda pair: pair[0])  # stable: a response's own order is kept
    return out


def _plan(events: Iterable[Event]) -> list[Event | _RunPlan]:
    """Group each run with its responses; other events stay where they were logged."""
    plans: dict[str, _RunPlan] = {}
    items: list[Event | _RunPlan] = []
    for ev in events:
        if isinstance(ev, RunStarted):
            plan = plans.get(ev.run_id)
            if plan is None:
                plan = plans[ev.run_id] = _RunPlan(ev)
                items.append(plan)
            else:  # a repeated run line: keep the latest description
                plan.run = ev
        elif isinstance(ev, ResponseDone) and ev.run_id in plans:
            plans[ev.run_id].responses.append(ev)
        elif isinstance(ev, (ResponseStarted, ResponseDelta, ResponseRetry)):
            continue  # transient: never in a file, ignore if someone feeds them
        else:
            items.append(ev)  # votes, scores, notes, renames, orphan responses
    return items


def _waves(plan: _RunPlan) -> list[list[ResponseDone]]:
    """First answer of each response id together, then any later re-runs of a column as a new wave."""
    waves: list[list[ResponseDone]] = []
    seen: dict[str, int] = {}
    for done in plan.responses:
        n = seen.get(done.response_id, 0)
        seen[done.response_id] = n + 1
        if n == len(waves):
            waves.append([])
        waves[n].append(done)
    return waves


def _schedule(wave: list[ResponseDone]) -> list[_Scheduled]:
    items: list[_Scheduled] = []
    for done in wave:
        pieces = deltas_for(done)
        for ms, ev in pieces:
            items.append(_Scheduled(ms, ev))
        end = done.total_ms if done.total_ms is not None else 0.0
        last = pieces[-1][0] if pieces else 0.0
        items.append(_Scheduled(max(float(end), last), done))
    items.sort(key=lambda s: s.ms)  # stable: deltas before their own ResponseDone
    return items


Sleep = Callable[[float], Awaitable[Any]]


async def replay_events(
    log: Any,
    speed: float = 1.0,
    instant: bool = False,
    *,
    control: ReplayControl | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] | None = None,
    include_header: bool = True,
) -> AsyncIterator[Event]:
    """Re-emit a session's events (``log`` is a :class:`~tuiarena.store.sessions.SessionLog`).

    ``instant=True`` (or ``control.instant``) plays without waiting and without deltas: each
    ResponseDone carries the full text. ``control`` (optional) wins over ``speed`` / ``instant``.
    ``sleep`` / ``clock`` (seconds) can be replaced together, e.g. by a fake clock in tests.
    """
    control = control or ReplayControl(speed=speed, instant=instant)
    clock = clock or asyncio.get_running_loop().time
    items = _plan(log.events)
    control.run_count = sum(1 for it in items if isinstance(it, _RunPlan))
    if include_header and getattr(log, "header", None) is not None:
        yield log.header
    for item in items:
        if not isinstance(item, _RunPlan):
            yield item
            continue
        await control.wait_playing()
        control.run_index += 1
        yield item.run
        started = set()
        for model, rid in item.run.response_ids.items():
            started.add(rid)
            yield ResponseStarted(run_id=item.run.run_id, response_id=rid, model=model)
        for n, wave in enumerate(_waves(item)):
            for done in wave:
                if n > 0 or done.response_id not in started:  # a re-run column starts afresh
                    started.add(done.response_id)
                    yield ResponseStarted(run_id=done.run_id, response_id=done.response_id, model=done.model)
            async for ev in _play_wave(wave, control, sleep, clock):
                yield ev
        control.end_of_run()
        if control.instant:
            await asyncio.sleep(0)  # let a UI breathe between runs


async def _play_wave(wave: list[ResponseDone], control: ReplayControl, sleep: Sleep,
                     clock: Callable[[], float]) -> AsyncIterator[Event]:
    schedule = _schedule(wave)
    anchor_wall, anchor_ms, anchor_speed = clock(), 0.0, control.speed
    seen = control.changed
    i = 0
    while i < len(schedule):
        item = schedule[i]
        if control.instant:
            if isinstance(item.event, ResponseDone):
                yield item.event
            i += 1
            continue
        if control.take_skip():  # the rest of the run at once: the records carry the full text
            for rest in schedule[i:]:
                if isinstance(rest.event, ResponseDone):
                    yield rest.event
            return
        if control.changed != seen or control.paused:
            # paused, resumed or re-speeded: carry on from where the recorded clock had got to
            virtual = min(item.ms, anchor_ms + (clock() - anchor_wall) * 1000.0 * anchor_speed)
            await control.wait_playing()
            seen = control.changed
            anchor_wall, anchor_ms, anchor_speed = clock(), virtual, control.speed
            continue
        wait = anchor_wall + (item.ms - anchor_ms) / 1000.0 / anchor_speed - clock()
        if wait >= MIN_SLEEP_S:
            await sleep(min(wait, TICK_S))  # short naps so pause / speed changes act at once
            continue
        yield item.event
        i += 1


async def replay_to_list(log: Any, **kw: Any) -> list[Event]:
    """Every replayed event in order (tests, exports)."""
    return [ev async for ev in replay_events(log, **kw)]


__all__ = ["ReplayControl", "deltas_for", "replay_events", "replay_to_list"]
