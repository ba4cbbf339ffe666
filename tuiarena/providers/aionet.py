"""An asyncio-native network backend for httpcore2 (the socket layer under httpx2 / openai).

Only the byte pipe is replaced: HTTP stays httpcore2 + h11, requests / auth / retries / errors stay
the openai SDK. httpcore2's documented extension point is ``AsyncConnectionPool(network_backend=)``;
httpx2's transport does not expose it, so :func:`install` sets it on the transport's pool (and
does nothing if the library's layout changes: the default backend is then used). It is installed
for plain-HTTP endpoints reached without a proxy (local servers), never for TLS.

Why, for CPU: the default backend goes through anyio, which per read enters an anyio cancel scope
(two generator context managers, task-state bookkeeping, a timer) and resumes / pauses reading on
the transport. A streamed chat answer is one small read per token; this layer is one non-blocking
``recvmsg`` per readable event (``loop.add_reader``), a read with data waiting returns at once, and a
read that has to wait is one future plus one ``call_later`` for its timeout.

Why, for honest numbers: every piece of data carries the time it reached the socket.
* On Linux the kernel stamps each received segment (``SO_TIMESTAMPNS``); the stamp comes back with
  the data (``recvmsg`` ancillary data) and is moved from CLOCK_REALTIME onto ``perf_counter``. So a
  token's time does not depend on when a busy event loop (or a UI thread holding the GIL) got round
  to reading it. When several segments are read at once the kernel reports the last one: a time
  is never earlier than the true arrival.
* Elsewhere, ``perf_counter()`` as the reader callback runs.
``read()`` hands out one received piece at a time and sets ``stream.arrived`` to its time.

And :data:`SENT`: a caller that sets it to a list gets, appended, the ``perf_counter`` time at which
each write of its requests was handed to the kernel (the request went on the wire), so latency can
be measured from there rather than from before the client library built the request.
"""

from __future__ import annotations

import asyncio
import contextvars
import socket
import ssl
import struct
import sys
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

_HIGH = 1 << 20  # stop reading the socket past this many unread bytes...
_LOW = 1 << 18  # ...and start again below this
_RECV = 1 << 16

SENT: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("aionet_sent", default=None)

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


def _expire(fut: asyncio.Future, exc_type: type[Exception]) -> None:
    if not fut.done():
        fut.set_exception(exc_type("timed out"))


class _Reader:
    """Reads a non-blocking socket on the event loop into a queue of (data, arrival time)."""

    __slots__ = ("sock", "loop", "chunks", "times", "size", "eof", "exc", "waiter", "paused", "stamped")

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self.loop = loop
        self.chunks: deque[bytes] = deque()
        self.times: deque[float] = deque()
        self.size = 0
        self.eof = False
        self.exc: BaseException | None = None
        self.waiter: asyncio.Future | None = None
        self.paused = False
        self.stamped = False
        if _SO_TIMESTAMPNS is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                self.stamped = True
            except OSError:
                pass
        loop.add_reader(sock.fileno(), self._readable)

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _readable(self) -> None:
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
        if self.size > _HIGH and not self.paused:
            self.paused = True
            self.loop.remove_reader(self.sock.fileno())
        if self.waiter is not None:
            self._wake()

    def _unwatch(self) -> None:
        """Stop reading the socket for good (no reader registered any more)."""
        if not self.paused and self.sock.fileno() >= 0 and not self.loop.is_closed():
            self.loop.remove_reader(self.sock.fileno())
        self.paused = True

    def _stop(self, exc: BaseException | None) -> None:
        self.eof = True
        self.exc = exc
        self._unwatch()
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
        if self.paused and not self.eof and self.size < _LOW:
            self.paused = False
            self.loop.add_reader(self.sock.fileno(), self._readable)
        return data, t

    def close(self) -> None:
        self._unwatch()
        self.eof = True
        self.sock.close()
        self._wake()


class AsyncioStream(httpcore2.AsyncNetworkStream):
    __slots__ = ("_p", "_loop", "arrived")

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self._p = _Reader(sock, loop)
        self._loop = loop
        self.arrived = 0.0  # perf_counter time at which the data last returned by read() came in

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._p
        while not p.chunks:
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
        data, self.arrived = p.take(max_bytes)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._p
        if p.exc is not None or p.sock.fileno() < 0:
            raise httpcore2.WriteError(str(p.exc) if p.exc else "connection closed")
        try:
            async with asyncio.timeout(timeout):
                await self._loop.sock_sendall(p.sock, buffer)
        except TimeoutError as e:
            raise httpcore2.WriteTimeout("timed out sending the request") from e
        except OSError as e:
            raise httpcore2.WriteError(str(e)) from e
        sent = SENT.get()
        if sent is not None:
            sent.append(_perf())

    async def aclose(self) -> None:
        self._p.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore2.AsyncNetworkStream:
        # install() is only used for plain HTTP without a proxy, where TLS never starts.
        raise httpcore2.ConnectError("this connection does not support TLS (tuiarena's plain-HTTP socket layer)")

    def get_extra_info(self, info: str) -> Any:
        sock = self._p.sock
        if info == "socket":
            return sock
        if info == "client_addr":
            return sock.getsockname() if sock.fileno() >= 0 else None
        if info == "server_addr":
            return sock.getpeername() if sock.fileno() >= 0 else None
        if info == "is_readable":  # asked of an idle pooled connection: has the server closed it?
            p = self._p
            return bool(p.chunks) or p.eof or is_socket_readable(sock)
        return None


class AsyncioBackend(httpcore2.AsyncNetworkBackend):
    async def _connect(self, family_addrs: list[tuple[int, Any]], timeout: float | None,
                       options: Iterable[Any] | None, local: Any = None) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        errors: list[str] = []
        try:
            async with asyncio.timeout(timeout):
                for family, address in family_addrs:  # in resolver order, like a browser without happy eyeballs
                    sock = socket.socket(family, socket.SOCK_STREAM)
                    try:
                        sock.setblocking(False)
                        if local is not None:
                            sock.bind(local)
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
                    for option in options or ():
                        sock.setsockopt(*option)
                    return AsyncioStream(sock, loop)
        except TimeoutError as e:
            raise httpcore2.ConnectTimeout("timed out connecting") from e
        raise httpcore2.ConnectError("; ".join(dict.fromkeys(errors)) or "no address to connect to")

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore2.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            raise httpcore2.ConnectError(str(e)) from e
        local = (local_address, 0) if local_address else None
        return await self._connect([(family, addr) for family, _t, _p, _c, addr in infos], timeout, socket_options, local)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore2.AsyncNetworkStream:
        return await self._connect([(socket.AF_UNIX, path)], timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def install(transport: Any) -> bool:
    """Give an ``httpx2.AsyncHTTPTransport`` this backend; False (nothing changed) if it can't."""
    pool = getattr(transport, "_pool", None)
    if type(pool) is httpcore2.AsyncConnectionPool and hasattr(pool, "_network_backend"):
        pool._network_backend = AsyncioBackend()
        return True
    return False


__all__ = ["AsyncioBackend", "AsyncioStream", "SENT", "install"]
