"""An asyncio-native network backend for httpcore2 (the socket layer under httpx2 / openai).

Only the byte pipe is replaced: HTTP stays httpcore2 + h11, requests / auth / retries / errors stay
the openai SDK. httpcore2's documented extension point is ``AsyncConnectionPool(network_backend=)``;
httpx2's transport does not expose it, so :func:`install` sets it on the transport's pool (and
does nothing if the library's layout changes: the default backend is then used).

Why: the default backend goes through anyio, which per read enters an anyio cancel scope for the
timeout (two generator context managers, task-state bookkeeping, a timer) and resumes / pauses
reading on the transport (two epoll_ctl calls and selector bookkeeping). A streamed chat answer is
one small read per token; on the loopback bench (2 shared cores) this layer takes ~100-115 us
of CPU less per token than anyio's (realistic setting, 800 streams: 27.5 s -> 18.3 s of CPU).
Here the protocol keeps reading on (flow control only past ``_HIGH`` buffered bytes) and a read
with data waiting returns at once; a read that has to wait is one future plus one ``call_later``
for its timeout. Proxied connections (``HTTPS_PROXY``) keep httpx2's default backend.

Arrival times: the protocol notes ``time.perf_counter()`` as the event loop hands it each piece of
data, and ``read()`` returns one such piece at a time, setting ``stream.arrived`` to its arrival
time. A caller that finds the stream in ``response.extensions["network_stream"]`` can time tokens
by when their bytes came off the socket rather than when its task got round to them: under load
(many fast streams in one loop) the task can run tens of ms after the bytes came in. h11 may hand
out data from an earlier read later, so ``arrived`` is never earlier than the true arrival.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore2

try:
    from httpcore2._utils import is_socket_readable
except ImportError:  # pragma: no cover - a later httpcore2 layout

    def is_socket_readable(sock: Any) -> bool:
        import select

        fd = sock.fileno() if sock is not None else -1
        return fd < 0 or bool(select.select([fd], [], [], 0)[0])

_HIGH = 1 << 20  # pause the socket past this many unread bytes...
_LOW = 1 << 18  # ...and resume below this


class _Protocol(asyncio.Protocol):
    __slots__ = ("transport", "chunks", "times", "size", "eof", "exc", "waiter", "paused", "write_paused", "drain")

    def __init__(self) -> None:
        self.transport: Any = None
        self.chunks: deque[bytes] = deque()
        self.times: deque[float] = deque()  # arrival time of each chunk
        self.size = 0
        self.eof = False
        self.exc: BaseException | None = None
        self.waiter: asyncio.Future | None = None
        self.paused = False
        self.write_paused = False
        self.drain: asyncio.Future | None = None

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.times.append(_now())
        self.chunks.append(data)
        self.size += len(data)
        if self.size > _HIGH and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        if self.waiter is not None:
            self._wake()

    def eof_received(self) -> None:
        self.eof = True
        self._wake()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.eof = True
        self.exc = exc
        self._wake()
        self.write_paused = False
        drain, self.drain = self.drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        drain, self.drain = self.drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)


_now = time.perf_counter


def _expire(fut: asyncio.Future, exc_type: type[Exception]) -> None:
    if not fut.done():
        fut.set_exception(exc_type("timed out"))


class AsyncioStream(httpcore2.AsyncNetworkStream):
    __slots__ = ("_transport", "_p", "_loop", "arrived")

    def __init__(self, transport: Any, protocol: _Protocol, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._p = protocol
        self._loop = loop
        self.arrived = 0.0  # perf_counter when the data last returned by read() came in

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._p
        if not p.chunks:
            if p.eof:
                if p.exc is not None:
                    raise httpcore2.ReadError(str(p.exc) or type(p.exc).__name__)
                return b""
            fut = p.waiter = self._loop.create_future()
            timer = self._loop.call_later(timeout, _expire, fut, httpcore2.ReadTimeout) if timeout else None
            try:
                await fut
            finally:
                if p.waiter is fut:
                    p.waiter = None
                if timer is not None:
                    timer.cancel()
            if not p.chunks:
                return await self.read(max_bytes, timeout)  # woken by EOF / connection loss
        data = p.chunks.popleft()
        if len(data) > max_bytes:
            data, rest = data[:max_bytes], data[max_bytes:]
            p.chunks.appendleft(rest)
            self.arrived = p.times[0]
        else:
            self.arrived = p.times.popleft()
        p.size -= len(data)
        if p.paused and p.size < _LOW:
            p.paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._p
        if p.exc is not None or self._transport.is_closing():
            raise httpcore2.WriteError(str(p.exc) if p.exc else "connection closed")
        self._transport.write(buffer)
        if p.write_paused:
            fut = p.drain = self._loop.create_future()
            timer = self._loop.call_later(timeout, _expire, fut, httpcore2.WriteTimeout) if timeout else None
            try:
                await fut
            finally:
                if timer is not None:
                    timer.cancel()
            if p.exc is not None:
                raise httpcore2.WriteError(str(p.exc))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore2.AsyncNetworkStream:
        try:
            transport = await self._loop.start_tls(self._transport, self._p, ssl_context,
                                                   server_hostname=server_hostname,
                                                   ssl_handshake_timeout=timeout or None)
        except (TimeoutError, asyncio.TimeoutError) as e:
            self._transport.abort()
            raise httpcore2.ConnectTimeout(str(e) or "TLS handshake timed out") from e
        except (OSError, ssl.SSLError) as e:
            self._transport.abort()
            raise httpcore2.ConnectError(str(e)) from e
        if transport is None:  # the connection was closed during the handshake
            raise httpcore2.ConnectError("connection closed during the TLS handshake")
        return AsyncioStream(transport, self._p, self._loop)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        if info == "is_readable":  # asked of an idle pooled connection: has the server closed it?
            p = self._p
            return bool(p.chunks) or p.eof or is_socket_readable(self._transport.get_extra_info("socket"))
        return None


class AsyncioBackend(httpcore2.AsyncNetworkBackend):
    async def _connect(self, factory: Any, timeout: float | None, options: Iterable[Any] | None) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await factory(loop)
        except TimeoutError as e:
            raise httpcore2.ConnectTimeout("timed out connecting") from e
        except OSError as e:
            raise httpcore2.ConnectError(str(e)) from e
        sock = transport.get_extra_info("socket")
        for option in options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, protocol, loop)

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore2.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None

        def connect(loop: asyncio.AbstractEventLoop) -> Any:
            # Happy eyeballs (as anyio does) where the loop has it: asyncio's own does, uvloop doesn't.
            extra = {"happy_eyeballs_delay": 0.25} if isinstance(loop, asyncio.BaseEventLoop) else {}
            return loop.create_connection(_Protocol, host, port, local_addr=local, **extra)

        return await self._connect(connect, timeout, socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore2.AsyncNetworkStream:
        return await self._connect(lambda loop: loop.create_unix_connection(_Protocol, path), timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def install(transport: Any) -> bool:
    """Give an ``httpx2.AsyncHTTPTransport`` this backend; False (nothing changed) if it can't."""
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore2.AsyncConnectionPool) and hasattr(pool, "_network_backend"):
        pool._network_backend = AsyncioBackend()
        return True
    return False


__all__ = ["AsyncioBackend", "AsyncioStream", "install"]
