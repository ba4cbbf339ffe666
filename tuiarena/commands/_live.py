"""A one-line live progress display on stderr for headless commands (only when it is a tty)."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable
from typing import TextIO

from tuiarena.commands._term import control
from tuiarena.engine.run.state import ViewState, apply


class Progress:
    """A sink: folds events into view state and redraws one status line at most 10 times a second."""

    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self.stream = stream
        self.state = ViewState()
        self.interval = interval
        self._last = 0.0

    def __call__(self, event) -> None:
        apply(self.state, event)
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.draw()

    def line(self) -> str:
        run = self.state.current_run
        if run is None:
            return ""
        parts = []
        for col in self.state.columns_of(run.run_id):
            parts.append(f"{col.model.split('/', 1)[-1]}:{col.status}({col.answer_chars + col.reasoning_chars})")
        return " ".join(parts)

    def draw(self) -> None:
        control(self.stream, "\r\x1b[2K")
        self.stream.write(self.line()[:200])
        self.stream.flush()

    def close(self) -> None:
        control(self.stream, "\r\x1b[2K")
        self.stream.flush()


class Interrupt:
    """Ctrl-C as a request to stop: while active, the first SIGINT calls ``on_stop`` (stop sending,
    cancel what is in flight) and sets :attr:`hit`; the command then reports what it has and exits
    130. A second Ctrl-C raises KeyboardInterrupt as usual (quit at once)."""

    def __init__(self, on_stop: Callable[[], object]) -> None:
        self.on_stop = on_stop
        self.hit = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> Interrupt:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, self._handle)
            self._loop = loop
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals
            self._loop = None
        return self

    def _handle(self) -> None:
        self.hit = True
        self._release()  # the next Ctrl-C is the default one: KeyboardInterrupt
        control(sys.stderr, "\r\x1b[2K")
        print("tuiarena: interrupted: stopping, keeping what has finished (Ctrl-C again to quit at once)",
              file=sys.stderr)
        self.on_stop()

    def _release(self) -> None:
        if self._loop is not None:
            self._loop.remove_signal_handler(signal.SIGINT)
            self._loop = None

    def __exit__(self, *exc: object) -> None:
        self._release()
