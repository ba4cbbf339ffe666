"""A one-line live progress display on stderr for headless commands (only when it is a tty)."""

from __future__ import annotations

import time
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
