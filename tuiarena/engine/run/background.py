"""The engine on its own event loop, in its own thread (:class:`EngineThread`), for the app.

:class:`ThreadedRunner` has the :class:`Runner` API for callers on another thread; events are
handed over through a thread-safe sink (:class:`EventInbox`) that the caller drains on its own loop.
Why: docs/decisions/0003-engine-thread.md.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from tuiarena.engine.run.runner import Runner
from tuiarena.model import Event, Message, Params, ResponseDone, RunStarted

T = TypeVar("T")
P = ParamSpec("P")


class EngineThread:
    """An asyncio event loop running forever in a daemon thread."""

    def __init__(self, name: str = "tuiarena-engine") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def on_engine_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a quick synchronous function on the engine loop and return its result."""
        if self.on_engine_thread:
            return fn(*args, **kwargs)
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed back to the caller
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result()

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await, from another loop, a coroutine that runs on the engine loop."""
        return await asyncio.wrap_future(self.submit(coro))

    async def call_async(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a slow synchronous function (an import, a client build) on the engine thread."""

        async def wrapper() -> T:
            return fn(*args)

        return await self.run_async(wrapper())

    def stop(self, timeout: float = 5.0) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()


class EventInbox:
    """A thread-safe hand-over of events from the engine thread to a consumer's loop.

    ``put`` (engine thread) appends and, when the consumer has no wake-up pending, schedules one
    ``drain`` on the consumer's loop: bursts of tokens cost one wake-up, not one per token.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, deliver: Callable[[Event], Any]) -> None:
        self.loop = loop
        self.deliver = deliver
        self._queue: collections.deque[Event] = collections.deque()
        self._wake_pending = False

    def put(self, event: Event) -> None:
        self._queue.append(event)
        if not self._wake_pending:
            self._wake_pending = True
            try:
                self.loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # the consumer's loop is closed: nobody is listening any more
                pass

    def drain(self) -> None:
        """Deliver every queued event, in order (consumer's thread)."""
        self._wake_pending = False
        queue = self._queue
        while queue:
            self.deliver(queue.popleft())


class ThreadedRunner:
    """The :class:`Runner` API for callers on another thread; the runner lives on ``engine``.

    ``after_call`` runs on the caller's thread after each call that emits events (start_run), so a
    caller that needs the ``RunStarted`` folded at once (to show its columns) gets it.
    """

    def __init__(self, engine: EngineThread, registry: Any, pricing: Any, sinks: list[Callable[[Event], Any]],
                 after_call: Callable[[], Any] | None = None) -> None:
        self.engine = engine
        self.registry = registry
        self.pricing = pricing
        self.runner: Runner = engine.call(Runner, registry, pricing, sinks)
        self._after_call = after_call or (lambda: None)

    @property
    def sinks(self) -> list[Callable[[Event], Any]]:
        return self.runner.sinks

    @property
    def active(self) -> list[str]:
        return self.engine.call(lambda: self.runner.active)

    def start_run(self, models: list[str], messages: list[Message], params: Params | None = None, **kw: Any
                  ) -> tuple[RunStarted, list[asyncio.Task[ResponseDone]]]:
        run, tasks = self.engine.call(self.runner.start_run, models, messages, params, **kw)
        self._after_call()
        return run, tasks

    async def run(self, models: list[str], messages: list[Message], params: Params | None = None, **kw: Any) -> list[ResponseDone]:
        return await self.engine.run_async(self.runner.run(models, messages, params, **kw))

    async def respond_one(self, run_id: str, response_id: str, model: str, messages: list[Message], params: Params) -> ResponseDone:
        return await self.engine.run_async(self.runner.respond_one(run_id, response_id, model, messages, params))

    def cancel(self, response_id: str | None = None) -> int:
        return self.engine.call(self.runner.cancel, response_id)

    async def aclose(self) -> None:
        """Cancel everything in flight and close the registry's clients, on the engine loop."""

        async def close() -> None:
            self.runner.cancel()
            await asyncio.sleep(0)
            await self.registry.aclose()

        await self.engine.run_async(close())
