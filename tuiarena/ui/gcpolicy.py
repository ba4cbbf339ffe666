"""Garbage collection that stays out of the way of frames and tokens (:class:`QuietCollector`).

Nothing is collected while the first screen is built; then what exists is frozen, the young
generations are collected as usual and full passes wait for a quiet moment (or a large backlog).
``restore()`` puts everything back. Why: docs/decisions/0004-quiet-collector.md.
"""

from __future__ import annotations

import gc
import time

from tuiarena.runtime import freeze_long_lived

FULL_PASS_DUE = 10  # middle-generation collections before a full pass (CPython's own default)
FULL_PASS_FORCED = 500  # ... after which one runs even while events flow
QUIET_S = 1.0  # no event for this long: a quiet moment


class QuietCollector:
    def __init__(self) -> None:
        self._saved: tuple[tuple[int, int, int], bool] | None = None
        self.last_activity = 0.0  # time.monotonic() of the latest event (the app sets it)

    def start_up(self) -> None:
        """No collection until :meth:`settle` (the first frame is being built)."""
        if self._saved is None:
            self._saved = (gc.get_threshold(), gc.isenabled())
        gc.disable()

    def settle(self) -> None:
        """Freeze what exists now and collect from here on, full passes only when quiet."""
        if self._saved is None:
            self._saved = (gc.get_threshold(), gc.isenabled())
        young, middle, _full = self._saved[0]
        freeze_long_lived()
        gc.set_threshold(young, middle, 1_000_000)  # automatic full passes: practically never
        gc.enable()

    def tick(self) -> None:
        """Called on a timer: run a full pass if one is due and nothing is streaming."""
        if self._saved is None:
            return
        due = gc.get_count()[2]
        quiet = time.monotonic() - self.last_activity > QUIET_S
        if (quiet and due >= FULL_PASS_DUE) or due >= FULL_PASS_FORCED:
            gc.collect()

    def restore(self) -> None:
        if self._saved is None:
            return
        threshold, enabled = self._saved
        self._saved = None
        gc.set_threshold(*threshold)
        gc.unfreeze()
        if enabled:
            gc.enable()
        else:
            gc.disable()
