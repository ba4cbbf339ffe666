"""Fan one prompt out to several models, measure every response, and emit events.

The runner is the only place that measures. Times come from ``time.perf_counter`` (monotonic) and
are taken at the socket side wherever the provider can: ``t0`` is when the request went on the wire
(a ``RequestSent`` from the provider; else just before the provider was called, after waiting for a
concurrency slot, so queueing is never latency), each token's time is the ``t`` at which its bytes
arrived, and the end is when the stream's last bytes arrived (``StreamEnd``, else when the
provider's iterator finished).

Figures per response (all in ``ResponseDone``):
- ``ttft_ms``: first token of any kind (reasoning included); ``ttft_answer_ms``: first answer token.
- ``total_ms``: until the stream ended (``[DONE]`` or EOF).
- ``tokens_per_s``: decode rate, ``(completion_tokens - 1) / (last token - first token)``: the
  first token's own latency belongs to TTFT, so it is not in the rate. ``None`` (shown as "—") when
  the tokens after the first arrived within ``MIN_DECODE_MS`` of it: one chunk, or a burst of reads
  microseconds apart, measures delivery, not decoding (a 2-token answer read 70 µs apart read as
  28,000 tok/s). A guess must never look like a measurement.
- token counts and their source (``tokens_source``, see ``tokens.completion_count``).
- ``itl_p50_ms`` / ``itl_p95_ms``: gaps between text chunks (a read carrying k chunks after a gap g
  counts as k gaps of g/k); ``tokens_per_chunk``; ``connect_ms``, ``timed_by``, ``streamed`` and the
  server's own figures (``server_*``) as the provider reported them.
- ``cost_usd`` from the pricing table, else the server's own charge; ``None`` when unknown.

Every event goes to every sink, in order, synchronously: a sink is a plain callable. The session
writer is a sink (it keeps only persisted events), the UI's buffers are another.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from tuiarena.engine.run.timeline import Timeline
from tuiarena.engine.run.tokens import (
    completion_count,
    estimate_prompt_tokens,
    estimate_tokens,
)
from tuiarena.fmt import visible
from tuiarena.model import (
    Event,
    Message,
    ModelRef,
    Params,
    ProviderError,
    RequestSent,
    ResponseDelta,
    ResponseDone,
    ResponseRetry,
    ResponseStarted,
    RetryNotice,
    RunStarted,
    ServerTimings,
    StreamEnd,
    StreamFinish,
    StreamInfo,
    TextDelta,
    UsageInfo,
    new_id,
)
from tuiarena.providers.failures import past_deadline
from tuiarena.secrets import MASK, redact, secret_values

Sink = Callable[[Event], Any]
MIN_DECODE_MS = 20.0  # a decode rate needs the tokens after the first spread over at least this long
# A sink with ``persisted_only = True`` (as ``SessionWriter.write``) ignores transient events: when
# every sink is one, no ResponseDelta is built per piece of text (headless runs with no live view).


def build_messages(shared: list[Message], history: list[Message] | None) -> list[Message]:
    """System messages first, then this model's earlier turns, then the new turn."""
    system = [m for m in shared if m.get("role") == "system"]
    rest = [m for m in shared if m.get("role") != "system"]
    return system + list(history or ()) + rest


class Runner:
    """Streams runs through a provider registry and reports every step as events."""

    def __init__(
        self,
        registry: Any,
        pricing: Any = None,
        sinks: Iterable[Sink] = (),
        per_endpoint: dict[str, int] | int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.registry = registry
        self.pricing = pricing
        self.sinks: list[Sink] = list(sinks)
        self._per_endpoint = per_endpoint
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._tasks: dict[str, asyncio.Task[ResponseDone]] = {}
        self._clock = clock

    # -- plumbing -------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink(event)

    def _semaphore(self, endpoint: str, provider: Any) -> asyncio.Semaphore:
        sem = self._sems.get(endpoint)
        if sem is None:
            limit = self._per_endpoint
            if isinstance(limit, dict):
                limit = limit.get(endpoint)
            limit = limit or getattr(provider, "max_concurrency", 4) or 4
            sem = self._sems[endpoint] = asyncio.Semaphore(limit)
        return sem

    @property
    def active(self) -> list[str]:
        return [rid for rid, task in self._tasks.items() if not task.done()]

    def cancel(self, response_id: str | None = None) -> int:
        """Cancel one response, or every one in flight when ``response_id`` is None."""
        ids = [response_id] if response_id else list(self._tasks)
        n = 0
        for rid in ids:
            task = self._tasks.get(rid)
            if task is not None and not task.done():
                task.cancel()
                n += 1
        return n

    # -- runs -----------------------------------------------------------------------------
    def start_run(
        self,
        models: list[str],
        messages: list[Message],
        params: Params | None = None,
        *,
        history: dict[str, list[Message]] | None = None,
        case_id: str | None = None,
        repeat: int = 0,
        label: str = "",
        run_id: str | None = None,
        response_ids: dict[str, str] | None = None,
    ) -> tuple[RunStarted, list[asyncio.Task[ResponseDone]]]:
        """Emit ``RunStarted`` and start one task per model; the tasks return ``ResponseDone``.

        ``response_ids`` (model -> id) lets a caller prepare its display before the requests go out.
        """
        params = params or Params()
        history = {m: h for m, h in (history or {}).items() if m in models and h}
        run = RunStarted(
            run_id=run_id or new_id("r"),
            models=list(models),
            messages=list(messages),
            params=params.to_dict(),
            response_ids={m: (response_ids or {}).get(m) or new_id("x") for m in models},
            history=history,
            case_id=case_id,
            repeat=repeat,
            label=label,
        )
        self.emit(run)
        tasks = []
        for model in models:
            rid = run.response_ids[model]
            full = build_messages(messages, history.get(model))
            tasks.append(self._track(rid, self._respond(run.run_id, rid, model, full, params)))
        return run, tasks

    async def run(self, models: list[str], messages: list[Message], params: Params | None = None, **kw: Any) -> list[ResponseDone]:
        """Run to the end and return every model's record (in the order of ``models``)."""
        _run, tasks = self.start_run(models, messages, params, **kw)
        return list(await asyncio.gather(*tasks))

    async def respond_one(self, run_id: str, response_id: str, model: str, messages: list[Message], params: Params) -> ResponseDone:
        """Re-run one column of an existing run (or any single request) under a given id.

        It runs in the calling task (a suite makes thousands of these: a task of its own was a
        wait for the loop at each start and end); ``cancel(response_id)`` cancels it there, and
        the record says cancelled."""
        task = asyncio.current_task()
        assert task is not None  # always awaited inside a task
        self._tasks[response_id] = task
        try:
            return await self._respond(run_id, response_id, model, messages, params)
        finally:
            if self._tasks.get(response_id) is task:
                del self._tasks[response_id]

    def _track(self, response_id: str, coro: Coroutine[Any, Any, ResponseDone]) -> asyncio.Task[ResponseDone]:
        """Start a response's task, known by its id (for ``cancel``) until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks[response_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(response_id, None))
        return task

    async def _respond(self, run_id: str, rid: str, model_id: str, messages: list[Message], params: Params) -> ResponseDone:
        rec = ResponseDone(run_id=run_id, response_id=rid, model=model_id)
        self.emit(ResponseStarted(run_id=run_id, response_id=rid, model=model_id))
        m = _Measure(self._clock)
        # Deltas are made only for a sink that takes them (a session writer stores none of them).
        m.deltas = any(not getattr(sink, "persisted_only", False) for sink in self.sinks)
        if m.deltas:
            m.secrets = secret_values()
        try:
            ref = ModelRef.parse(model_id)
            provider = self.registry.get(ref.endpoint)
            async with self._semaphore(ref.endpoint, provider):
                m.t0 = self._clock()
                deadline = _deadline_s(provider)
                limit = asyncio.timeout(deadline)
                try:
                    async with limit, contextlib.aclosing(provider.stream(ref.model, messages, params)) as stream:
                        async for ev in stream:
                            m.on(ev, rid, self.emit)
                except TimeoutError:
                    if deadline is None or not limit.expired():
                        raise  # not ours: some other timeout inside
                    raise past_deadline(getattr(provider, "spec", None), ref.endpoint, deadline,
                                        m.answer_chars + m.reasoning_chars, len(m.retries)) from None
                if m.t_end is None:
                    m.t_end = self._clock()
            rec.status = "done"
        except asyncio.CancelledError:
            rec.status, rec.error_kind, rec.error = "cancelled", "cancelled", "cancelled by the user"
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except ProviderError as exc:
            rec.status = "cut" if exc.kind == "cut" else "error"
            rec.error_kind, rec.error = exc.kind, visible(exc.message)  # a server's words: shown, never obeyed
        except ValueError as exc:  # a malformed model ref
            rec.status, rec.error_kind, rec.error = "error", "config", str(exc)
        except Exception as exc:  # never let one column take the others down
            rec.status, rec.error_kind, rec.error = "error", "internal", f"{type(exc).__name__}: {exc}"
        m.finish(rec, messages, self.pricing, params.max_tokens)
        _redact_record(rec)
        self.emit(rec)
        return rec


def _deadline_s(provider: Any) -> float | None:
    """The provider's overall deadline per response (``spec.deadline_s``), if it has one."""
    value = getattr(getattr(provider, "spec", None), "deadline_s", None)
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _redact_record(rec: ResponseDone) -> None:
    """Blank known keys and URL credentials in what a server sent, before it is stored or shown."""
    rec.text = redact(rec.text)
    rec.reasoning = redact(rec.reasoning)
    if rec.error:
        rec.error = redact(rec.error)


class _Measure:
    """Per-response accumulators; turned into the figures of a ``ResponseDone`` at the end."""

    __slots__ = (
        "clock", "t0", "t_end", "t_first", "t_first_answer", "t_last", "answer", "reasoning",
        "answer_chars", "reasoning_chars", "timeline", "reasoning_timeline", "usage", "finish_reason", "retries",
        "sent", "deltas", "gaps", "t_prev", "info", "timings", "secrets",
    )

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.t0: float | None = None
        self.t_end: float | None = None
        self.t_first: float | None = None
        self.t_first_answer: float | None = None
        self.t_last: float | None = None
        self.answer: list[str] = []
        self.reasoning: list[str] = []
        self.answer_chars = 0
        self.reasoning_chars = 0
        self.timeline = Timeline()
        self.reasoning_timeline = Timeline()
        self.usage: UsageInfo | None = None
        self.finish_reason: str | None = None
        self.retries: list[dict[str, Any]] = []
        self.sent = False
        self.deltas = True  # emit a ResponseDelta per piece of text
        self.gaps: list[float] = []  # seconds between text chunks (inter-token latency)
        self.t_prev: float | None = None
        self.info: StreamInfo | None = None
        self.timings: ServerTimings | None = None
        self.secrets: list[str] = []  # known key values, blanked in each delta

    def on(self, ev: Any, rid: str, emit: Sink) -> None:
        if type(ev) is TextDelta:
            if not ev.text:
                return
            t = ev.t
            ms = (t - self.t0) * 1000.0  # type: ignore[operator]  # t0 is set before the stream starts
            if self.t_first is None:
                self.t_first = t
            elif ev.chunks > 0 and self.t_prev is not None:
                k = ev.chunks
                self.gaps.extend([(t - self.t_prev) / k] * k)
            self.t_prev = self.t_last = t
            if ev.reasoning:
                self.reasoning.append(ev.text)
                self.reasoning_chars += len(ev.text)
                self.reasoning_timeline.add(ms, self.reasoning_chars)
            else:
                if self.t_first_answer is None:
                    self.t_first_answer = t
                self.answer.append(ev.text)
                self.answer_chars += len(ev.text)
                self.timeline.add(ms, self.answer_chars)
            if self.deltas:
                text = ev.text
                for secret in self.secrets:  # a key echoed in one piece never reaches the screen
                    if secret in text:
                        text = text.replace(secret, MASK)
                emit(ResponseDelta(response_id=rid, text=text, ms=ms, reasoning=ev.reasoning))
        elif type(ev) is UsageInfo:
            self.usage = ev
        elif type(ev) is StreamFinish:
            self.finish_reason = ev.reason
        elif type(ev) is RequestSent:
            if not self.sent and self.t_first is None and not self.retries:
                self.sent = True
                self.t0 = ev.t
        elif type(ev) is StreamEnd:
            self.t_end = ev.t
        elif type(ev) is StreamInfo:
            self.info = ev
        elif type(ev) is ServerTimings:
            self.timings = ev
        elif type(ev) is RetryNotice:
            ms = (ev.t - self.t0) * 1000.0  # type: ignore[operator]  # as above
            self.retries.append({"attempt": ev.attempt, "status": ev.status, "wait_s": ev.wait_s, "ms": round(ms, 1)})
            emit(ResponseRetry(response_id=rid, attempt=ev.attempt, status=ev.status, wait_s=ev.wait_s))

    def finish(self, rec: ResponseDone, messages: list[Message], pricing: Any, max_tokens: int | None = None) -> None:
        def ms(t: float | None) -> float | None:
            return None if t is None or self.t0 is None else round((t - self.t0) * 1000.0, 2)

        rec.text = "".join(self.answer)
        rec.reasoning = "".join(self.reasoning)
        rec.ttft_ms = ms(self.t_first)
        rec.ttft_answer_ms = ms(self.t_first_answer)
        end = self.t_end if self.t_end is not None else (self.clock() if self.t0 is not None else None)
        rec.total_ms = ms(end)
        rec.finish_reason = self.finish_reason
        rec.retries = self.retries
        rec.timeline = self.timeline.points
        rec.reasoning_timeline = self.reasoning_timeline.points
        info, timings = self.info, self.timings
        if info is not None:
            rec.connect_ms, rec.timed_by, rec.streamed = info.connect_ms, info.timed_by, info.streamed
        if timings is not None:
            rec.server_prompt_ms = timings.prompt_ms
            rec.server_decode_ms = timings.predicted_ms
            rec.server_tokens_per_s = timings.predicted_per_second

        usage = self.usage or UsageInfo()
        rec.server_cost_usd = usage.cost_usd
        produced = bool(rec.text or rec.reasoning)
        chunks = info.chunks if info is not None else 0
        completion_tokens, source = completion_count(
            usage.completion_tokens, timings.predicted_n if timings is not None else None, chunks,
            rec.text, rec.reasoning, max_tokens, info.streamed if info is not None else True,
            info.even if info is not None else False)
        prompt_tokens = usage.prompt_tokens
        if prompt_tokens is None and timings is not None:
            prompt_tokens = timings.prompt_n
        estimated = source in ("chunks", "estimate")
        if prompt_tokens is None and produced:  # a request that failed before any output is not billed
            prompt_tokens, estimated = estimate_prompt_tokens(messages), True
        rec.prompt_tokens = prompt_tokens
        rec.completion_tokens = completion_tokens
        rec.tokens_source = source
        rec.reasoning_tokens = usage.reasoning_tokens
        if usage.reasoning_tokens is None and rec.reasoning:
            rec.reasoning_tokens = min(estimate_tokens(rec.reasoning), completion_tokens or 0) or None
        rec.tokens_estimated = estimated

        if completion_tokens and completion_tokens > 1 and self.t_first is not None and self.t_last is not None:
            decode_s = self.t_last - self.t_first
            if decode_s * 1000.0 >= MIN_DECODE_MS:
                rec.tokens_per_s = round((completion_tokens - 1) / decode_s, 2)
        gaps = self.gaps
        if gaps:
            rec.itl_p50_ms = round(statistics.median(gaps) * 1000.0, 2)
            p95 = statistics.quantiles(gaps, n=20, method="inclusive")[18] if len(gaps) > 1 else gaps[0]
            rec.itl_p95_ms = round(p95 * 1000.0, 2)
        if completion_tokens and chunks and (info is None or info.streamed):
            rec.tokens_per_chunk = round(completion_tokens / chunks, 2)
        if pricing is not None and prompt_tokens is not None:
            rec.cost_usd = pricing.cost(rec.model, prompt_tokens, completion_tokens or 0)
        if rec.cost_usd is None and usage.cost_usd is not None:
            rec.cost_usd = usage.cost_usd
