"""Sockets on the asyncio loop for endpoints reached directly: each piece of data with the time it
reached the socket, and the time each request went on the wire.

:class:`AsyncioStream` is the byte pipe under :mod:`tuiarena.providers.net.http11` (and, with TLS
over it, :class:`~tuiarena.providers.net.tls.TLSStream`), read by a
:class:`~tuiarena.providers.net.sockread.SocketReader`. ``read()`` hands out one received piece at a
time and sets ``arrived`` to its time; a write puts the socket in CLOSE mode until the caller
``settle()``s it (first answer token in), and records on the caller's
:data:`~tuiarena.providers.net.wire.WIRE` the moment the request was handed to the kernel. Read
timeouts use one watchdog timer per stream. See docs/decisions/0024-socket-timing.md.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import TypeVar

import httpx2

from tuiarena.providers.net.sockread import (
    CLOSE,
    NORMAL,
    TICK,
    SocketReader,
    poll_close,
)
from tuiarena.providers.net.wire import WIRE

_perf = time.perf_counter


def _expire(fut: asyncio.Future, exc_type: type[Exception]) -> None:
    if not fut.done():
        fut.set_exception(exc_type("timed out"))


class AsyncioStream:
    """A connected non-blocking socket read by a :class:`SocketReader`: ``read()`` pieces with
    their arrival time in ``arrived``; ``write()`` a request (timed); ``send()`` raw bytes."""

    __slots__ = ("_deadline", "_loop", "_p", "_watchdog", "arrived")

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self._p = SocketReader(sock, loop)
        self._loop = loop
        self.arrived = 0.0  # perf_counter time at which the data last returned by read() came in
        # Read timeouts: one long-lived timer per stream that checks a deadline, instead of a timer
        # made and cancelled for every wait (a wait per tick per stream: measured 6% of the CPU).
        self._deadline = 0.0
        self._watchdog: asyncio.TimerHandle | None = None

    def _watch(self) -> None:
        self._watchdog = None
        fut = self._p.waiter
        if fut is None or fut.done():
            return  # not waiting: the next wait starts the watch again
        if self._loop.time() >= self._deadline:
            _expire(fut, httpx2.ReadTimeout)
        else:
            self._watchdog = self._loop.call_at(self._deadline, self._watch)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._p
        while not p.chunks:
            if p.eof:
                if p.exc is not None:
                    raise httpx2.ReadError(str(p.exc) or type(p.exc).__name__)
                return b""
            fut = p.waiter = self._loop.create_future()
            if timeout:
                self._deadline = deadline = self._loop.time() + timeout
                watchdog = self._watchdog
                if watchdog is None or watchdog.when() > deadline:
                    if watchdog is not None:
                        watchdog.cancel()
                    self._watchdog = self._loop.call_at(deadline, self._watch)
            else:
                self._deadline = float("inf")
            try:
                await fut
            finally:
                if p.waiter is fut:
                    p.waiter = None
        data, self.arrived = p.take(max_bytes)
        return data

    def settle(self, lowat: int = 0) -> None:
        """The bytes that needed exact times are in: read the rest of the answer on the loop's
        tick, and at once when ``lowat`` bytes wait (see sockread)."""
        self._p.set_mode(TICK, lowat)

    def relax(self) -> None:
        """The answer is in: read as any idle connection (at once, for a server closing it)."""
        self._p.set_mode(NORMAL)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send a request: the socket is then read closely (CLOSE mode) until ``settle()``, and the
        moment its bytes went to the kernel is recorded on the caller's :data:`WIRE`."""
        if not buffer:
            return
        self._p.set_mode(CLOSE)  # until settle(): the answer's first bytes are to be timed exactly
        t = await self.send(buffer, timeout)
        wire = WIRE.get()
        if wire is not None:
            wire.sent.append(t)
        poll_close()

    async def send(self, buffer: bytes, timeout: float | None = None) -> float:
        """Send bytes as they are; the time they went to the kernel (perf_counter)."""
        p = self._p
        if p.exc is not None or p.sock.fileno() < 0:
            raise httpx2.WriteError(str(p.exc) if p.exc else "connection closed")
        # The time is taken just before the send: the syscall runs at once, whereas the time after
        # it could be late by a wait for the GIL (a UI thread holding it). The caller writes a
        # request's head and body in one buffer: one segment, one wake-up of the server.
        t = _perf()
        try:
            n = p.sock.send(buffer)  # a request fits the socket's buffer: all of it, at once
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError as e:
            raise httpx2.WriteError(str(e)) from e
        if n < len(buffer):
            try:
                async with asyncio.timeout(timeout):
                    await self._loop.sock_sendall(p.sock, memoryview(buffer)[n:])
            except TimeoutError as e:
                raise httpx2.WriteTimeout("timed out sending the request") from e
            except OSError as e:
                raise httpx2.WriteError(str(e)) from e
            t = _perf()
        return t

    @property
    def reusable(self) -> bool:
        """Idle and sound: open, nothing unread, not closed by the server (an idle socket is read
        at once, NORMAL mode, so a close or stray bytes have been seen)."""
        p = self._p
        return not p.chunks and not p.eof and p.registered and p.sock.fileno() >= 0

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._p.close()


S = TypeVar("S", bound=AsyncioStream)


async def connect(host: str, port: int, timeout: float | None,
                  stream: Callable[[socket.socket, asyncio.AbstractEventLoop], S] = AsyncioStream) -> S:  # type: ignore[assignment]
    """A TCP connection to ``host:port`` (each resolved address in turn), TCP_NODELAY set, as
    ``stream(sock, loop)`` (an :class:`AsyncioStream` or a subclass)."""
    loop = asyncio.get_running_loop()
    errors: list[str] = []
    try:
        async with asyncio.timeout(timeout):
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as e:
                raise httpx2.ConnectError(f"cannot resolve {host}: {e}") from e
            for family, _type, _proto, _name, address in infos:  # in resolver order
                sock = socket.socket(family, socket.SOCK_STREAM)
                try:
                    sock.setblocking(False)
                    await loop.sock_connect(sock, address)
                except OSError as e:
                    sock.close()
                    errors.append(str(e))
                    continue
                except BaseException:
                    sock.close()
                    raise
                if family in (socket.AF_INET, socket.AF_INET6):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return stream(sock, loop)
    except TimeoutError as e:
        raise httpx2.ConnectTimeout(f"timed out connecting to {host}:{port}") from e
    raise httpx2.ConnectError("; ".join(dict.fromkeys(errors)) or f"no address for {host}")


__all__ = ["AsyncioStream", "connect", "poll_close"]
