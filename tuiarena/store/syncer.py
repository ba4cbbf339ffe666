"""Making a session file durable without making the event loop wait on the disk."""

from __future__ import annotations

import os
import threading
import time

SYNC_EVERY_S = 0.25  # at most one fsync per this long: a power loss loses at most this much


class Syncer:
    """A daemon thread that fsyncs one file descriptor when asked, at most once per ``SYNC_EVERY_S``.

    A write is in the kernel as soon as ``os.write`` returns, so a crash or a kill of tuiarena
    loses nothing written; fsync only guards against the machine itself going down. One per event
    (a burst of ~30 a second in a big suite) cost ~0.5 ms of CPU each here, and its thread woke to
    take the GIL from the event loop every time: requests that come while one is pending are folded
    into the next, which starts ``SYNC_EVERY_S`` after the last began.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._cond = threading.Condition()
        self._pending = False
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="tuiarena-fsync", daemon=True)
        self._thread.start()

    def request(self) -> None:
        if self._pending:  # already due: the next fsync covers this write too (no lock, no wake-up)
            return
        with self._cond:
            self._pending = True
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if not self._pending and self._stopping:
                    return
                self._pending = False
            started = time.monotonic()
            try:
                os.fsync(self._fd)
            except OSError:
                return
            with self._cond:  # pace: the next fsync no sooner than SYNC_EVERY_S after this one began
                left = SYNC_EVERY_S - (time.monotonic() - started)
                if left > 0 and not self._stopping:
                    self._cond.wait(left)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join()


__all__ = ["SYNC_EVERY_S", "Syncer"]
