"""Reading a non-blocking socket on an asyncio loop, each piece with the time it reached the socket.

A :class:`SocketReader` queues ``(data, arrival time)``; the time is the kernel's receive stamp on
Linux (``SO_TIMESTAMPNS``, moved onto ``perf_counter``), else ``perf_counter()`` when read. Its
mode says what the next bytes are worth:

* ``NORMAL``: read whenever the loop sees the socket readable.
* ``CLOSE``: a request is out, its first token not yet in: also read by :func:`poll_close`, which
  busy code calls between pieces of work.
* ``TICK``: the first answer token is in: read with every other ticking socket of the loop every
  ``TICK_S``, and at once when ``lowat`` bytes wait (``set_mode(TICK, lowat)``, ``SO_RCVLOWAT``;
  the mark doubles when early reads keep coming). A piece then carries the newest stamp read
  with it; the stream's last bytes keep their own.

Why each of these: docs/decisions/0024-socket-timing.md.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
import struct
import sys
import time
import weakref
from collections import deque

HIGH = 1 << 20  # stop reading the socket past this many unread bytes...
LOW = 1 << 18  # ...and start again below this
_RECV = 1 << 16
TICK_S = 0.02
_POLL_EVERY = 0.0002  # seconds: poll_close() does nothing if it last looked more recently
_MAX_LOWAT = 1 << 16
_SO_RCVLOWAT = getattr(socket, "SO_RCVLOWAT", None)

NORMAL, CLOSE, TICK = "normal", "close", "tick"

_perf = time.perf_counter
_realtime = time.time
if sys.platform.startswith("linux"):
    _SO_TIMESTAMPNS = 35  # asm-generic/socket.h (SO_TIMESTAMPNS_OLD); SCM_TIMESTAMPNS has the same value
    _ANC = socket.CMSG_SPACE(16)  # struct timespec: two 64-bit fields
    _TIMESPEC = struct.Struct("qq")
else:  # pragma: no cover - no kernel receive stamps: time by the reader callback
    _SO_TIMESTAMPNS = None
    _ANC = 0
    _TIMESPEC = None


def _arrival(ancdata: list, now: float) -> float:
    """The kernel's receive stamp of the data, on the perf_counter clock; ``now`` if there is none."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = _TIMESPEC.unpack_from(data)
            t = now - (_realtime() - (sec + nsec * 1e-9))
            # A stamp in the future or from long ago means the wall clock was stepped: use now.
            return t if now - 5.0 < t <= now else now
    return now


class _Group:
    """The CLOSE or TICK readers of one loop. CLOSE keeps a selector over just its sockets, so a
    poll that finds nothing is one syscall; TICK needs none: at a tick nearly every socket has
    data (a token every few ms, a tick every 20), so each is simply read."""

    __slots__ = ("loop", "selector", "readers", "last", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, tick: bool) -> None:
        self.loop = loop
        self.selector = None if tick else selectors.DefaultSelector()
        self.readers: dict[int, SocketReader] = {}
        self.last = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def add(self, fd: int, reader: SocketReader) -> None:
        if self.selector is not None:
            self.selector.register(fd, selectors.EVENT_READ)
        elif self.timer is None:
            self.timer = self.loop.call_later(TICK_S, self.tick)
        self.readers[fd] = reader

    def remove(self, fd: int, reader: SocketReader) -> None:
        if self.readers.get(fd) is reader:
            del self.readers[fd]
            if self.selector is not None:
                self.selector.unregister(fd)
        if not self.readers and self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def read_ready(self) -> None:
        readers = self.readers
        for key, _mask in self.selector.select(0):  # type: ignore[union-attr]  # set while readers wait
            reader = readers.get(key.fd)
            if reader is not None:
                reader.readable()

    def tick(self) -> None:
        # On a fixed cadence (not TICK_S after this one's work): a stream's end waits half a tick
        # on average, not more.
        due = self.timer.when() + TICK_S if self.timer is not None else self.loop.time() + TICK_S
        self.timer = None
        for reader in list(self.readers.values()):  # a reader that ends leaves the group
            reader.readable()
        if self.readers and self.timer is None:
            self.timer = self.loop.call_at(max(due, self.loop.time()), self.tick)


_GROUPS: dict[str, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group]] = {
    CLOSE: weakref.WeakKeyDictionary(), TICK: weakref.WeakKeyDictionary(),
}
_close_cache: list = [None, None]  # (loop, its CLOSE group): poll_close() runs between every piece of work


def poll_close() -> None:
    """Read now whatever has come in on this loop's CLOSE sockets."""
    loop = asyncio.get_running_loop()
    if loop is _close_cache[0]:
        group = _close_cache[1]
    else:
        group = _GROUPS[CLOSE].get(loop)
        if group is None:
            return
        _close_cache[0], _close_cache[1] = loop, group
    if not group.readers:
        return
    now = _perf()
    if now - group.last >= _POLL_EVERY:
        group.last = now
        group.read_ready()


class SocketReader:
    """Reads a non-blocking socket on the event loop into a queue of (data, arrival time)."""

    __slots__ = ("sock", "loop", "chunks", "times", "size", "eof", "exc", "waiter", "paused", "stamped",
                 "mode", "lowat", "_fd", "_on", "_marked", "_early_at", "_streak")

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self.loop = loop
        self.chunks: deque[bytes] = deque()
        self.times: deque[float] = deque()
        self.size = 0
        self.eof = False
        self.exc: BaseException | None = None
        self.waiter: asyncio.Future | None = None
        self.paused = False  # flow control: too much unread
        self.stamped = False
        self.mode = NORMAL
        self.lowat = 0  # TICK mode: wake early once this many bytes wait (0: never)
        self._fd = sock.fileno()
        self._on = False  # registered somewhere
        self._marked = False  # SO_RCVLOWAT is set on the socket (above 1)
        self._early_at = float("-inf")  # when _early() last read
        self._streak = 0  # early reads since, each within a few ticks of the one before
        if _SO_TIMESTAMPNS is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                self.stamped = True
            except OSError:
                pass
        self._register()

    # -------------------------------------------------------------- registration
    def _register(self) -> None:
        if self._on or self.paused or self.eof or self.loop.is_closed():
            return
        mode, fd = self.mode, self._fd
        if mode != TICK:
            self.loop.add_reader(fd, self.readable)
        elif self._marked:
            self.loop.add_reader(fd, self._early)
        if mode != NORMAL:
            self._group(mode).add(fd, self)
        self._on = True

    def _deregister(self) -> None:
        if not self._on:
            return
        self._on = False
        mode, fd = self.mode, self._fd
        if mode != NORMAL:
            group = _GROUPS[mode].get(self.loop)
            if group is not None:
                group.remove(fd, self)
        if (mode != TICK or self._marked) and not self.loop.is_closed():
            self.loop.remove_reader(fd)

    @property
    def registered(self) -> bool:
        """Watched (by the loop or a group): not paused, not ended."""
        return self._on

    def _group(self, mode: str) -> _Group:
        groups = _GROUPS[mode]
        group = groups.get(self.loop)
        if group is None:
            group = groups[self.loop] = _Group(self.loop, mode == TICK)
        return group

    def set_mode(self, mode: str, lowat: int = 0) -> None:
        """Change how the socket is read (see the module's docstring). ``lowat``: for TICK, the
        bytes waiting that wake the loop before the tick (0: none)."""
        old = self.mode
        if mode == old:
            return
        self.mode = mode
        on = self._on
        fd = self._fd
        if on and old != NORMAL:
            self._group(old).remove(fd, self)
        if old == TICK and self._marked:  # back to reading on every arrival: a mark of 1
            self._mark(0)
        if mode == TICK and lowat > 1:
            self._mark(lowat)
            self._early_at, self._streak = float("-inf"), 0
        if not on:  # paused or ended: takes effect when registered again
            return
        if mode == TICK:
            if self._marked:
                self.loop.add_reader(fd, self._early)
            else:
                self.loop.remove_reader(fd)
        elif old == TICK:
            self.loop.add_reader(fd, self.readable)
        if mode != NORMAL:
            self._group(mode).add(fd, self)

    def _mark(self, lowat: int) -> None:
        """Set the socket's low-water mark (0 or 1: none). Where it cannot be set, the tick alone."""
        try:
            if _SO_RCVLOWAT is not None:
                self.sock.setsockopt(socket.SOL_SOCKET, _SO_RCVLOWAT, max(lowat, 1))
                self.lowat, self._marked = lowat, lowat > 1
                return
        except OSError:
            pass
        self.lowat, self._marked = 0, False

    def _early(self) -> None:
        """A TICK socket has ``lowat`` bytes waiting: read them now. Four early reads, each a few
        ticks after the last, mean tokens come faster than the mark allows: the mark is doubled
        and they wait for the tick again (an early read now and then, after a late tick, is left be)."""
        now = _perf()
        self._streak = self._streak + 1 if now - self._early_at < 4 * TICK_S else 0
        self._early_at = now
        if self._streak >= 3 and self.lowat < _MAX_LOWAT:  # (only TICK sockets read here)
            self._mark(self.lowat * 2)
            self._streak = 0
        self.readable()

    # -------------------------------------------------------------- reading
    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def readable(self) -> None:
        try:
            if self.stamped:
                data, anc, _flags, _addr = self.sock.recvmsg(_RECV, _ANC)
                t = _arrival(anc, _perf())
            else:
                data = self.sock.recv(_RECV)
                t = _perf()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._stop(e)
            return
        if not data:
            self._stop(None)
            return
        self.chunks.append(data)
        self.times.append(t)
        self.size += len(data)
        if self.size > HIGH and not self.paused:
            self._deregister()
            self.paused = True
        if self.waiter is not None:
            self._wake()

    def _stop(self, exc: BaseException | None) -> None:
        self.eof = True
        self.exc = exc
        self._deregister()
        self._wake()

    def take(self, max_bytes: int) -> tuple[bytes, float]:
        data = self.chunks.popleft()
        if len(data) > max_bytes:
            data, rest = data[:max_bytes], data[max_bytes:]
            self.chunks.appendleft(rest)
            t = self.times[0]
        else:
            t = self.times.popleft()
        self.size -= len(data)
        if self.paused and self.size < LOW:
            self.paused = False
            self._register()
        return data, t

    def unread(self, data: bytes, t: float) -> None:
        self.chunks.appendleft(data)
        self.times.appendleft(t)
        self.size += len(data)

    def close(self) -> None:
        self._deregister()
        self.eof = True
        self.sock.close()
        self._wake()


__all__ = ["CLOSE", "HIGH", "LOW", "NORMAL", "TICK", "TICK_S", "SocketReader", "poll_close"]
