"""An asyncio-native network backend for httpcore2 (the socket layer under httpx2 / openai).

Only the byte pipe is replaced: HTTP stays httpcore2 + h11, requests / auth / retries / errors stay
the openai SDK. httpcore2's documented extension point is ``AsyncConnectionPool(network_backend=)``;
httpx2's transport does not expose it, so :func:`install` sets it on the transport's pool (and
does nothing if the library's layout changes: the default backend is then used). It is installed
for plain-HTTP endpoints reached without a proxy (local servers), never for TLS.

Why, for CPU: the default backend goes through anyio, which per read enters an anyio cancel scope
(two generator context managers, task-state bookkeeping, a timer) and resumes / pauses reading on
the transport. Here the socket is read by :class:`~tuiarena.providers.sockread.SocketReader`: one
non-blocking ``recvmsg`` per readable event, and, once a stream's first answer token is in
(``settle()``), on the loop's shared tick instead of on every token (see sockread). A read with
data waiting returns at once; one that has to wait is one future plus a ``call_later`` timeout.

Why, for honest numbers: every piece of data carries the time it reached the socket (the kernel's
receive stamp on Linux, see sockread); ``read()`` hands out one received piece at a time and sets
``stream.arrived`` to its time. A request written puts the socket in CLOSE mode until the caller
settles it, so the answer's first bytes are read (and so stamped) as soon as they can be.

And :data:`SENT`: a caller that sets it to a list gets, appended, the ``perf_counter`` time at which
each write of its requests was handed to the kernel (the request went on the wire), so latency can
be measured from there rather than from before the client library built the request.
"""

from __future__ import annotations

import asyncio
import contextvars
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore2

from tuiarena.providers.sockread import CLOSE, NORMAL, TICK, SocketReader, poll_close

try:
    from httpcore2._utils import is_socket_readable
except ImportError:  # pragma: no cover - a later httpcore2 layout

    def is_socket_readable(sock: Any) -> bool:
        import select

        fd = sock.fileno() if sock is not None else -1
        return fd < 0 or bool(select.select([fd], [], [], 0)[0])

SENT: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("aionet_sent", default=None)

_perf = time.perf_counter
_MSG_MORE = getattr(socket, "MSG_MORE", 0)  # Linux


def _expire(fut: asyncio.Future, exc_type: type[Exception]) -> None:
    if not fut.done():
        fut.set_exception(exc_type("timed out"))


class AsyncioStream(httpcore2.AsyncNetworkStream):
    __slots__ = ("_p", "_loop", "arrived", "at_body", "_head", "_tail", "_deadline", "_watchdog")

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self._p = SocketReader(sock, loop)
        self._loop = loop
        self.arrived = 0.0  # perf_counter time at which the data last returned by read() came in
        # After a request is written, read() hands out the response head on its own (it stops at
        # the blank line that ends it), so h11 never buffers body bytes: ``at_body`` is True while
        # the last read() ended exactly there, and the caller may then read the body itself (see
        # providers.body) and give the unread rest back with ``unread()``.
        self.at_body = False
        self._head = False
        self._tail = b""
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
            _expire(fut, httpcore2.ReadTimeout)
        else:
            self._watchdog = self._loop.call_at(self._deadline, self._watch)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._p
        while not p.chunks:
            if p.eof:
                if p.exc is not None:
                    raise httpcore2.ReadError(str(p.exc) or type(p.exc).__name__)
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
        if not self._head:
            self.at_body = False
            return data
        seen = self._tail + data
        end = seen.find(b"\r\n\r\n")
        if end < 0:
            self._tail = seen[-3:]
            self.at_body = False
            return data
        end += 4 - len(self._tail)  # just past the head, in data
        if end < len(data):
            p.unread(data[end:], self.arrived)
            data = data[:end]
        self._head = False
        self._tail = b""
        self.at_body = True
        return data

    def settle(self) -> None:
        """The bytes that needed exact times are in: read the rest of the answer on the loop's
        tick (see sockread)."""
        self._p.set_mode(TICK)

    def relax(self) -> None:
        """The answer is in: read as any idle connection (at once, for a server closing it)."""
        self._p.set_mode(NORMAL)

    def unread(self, data: bytes, t: float) -> None:
        """Put bytes read off this stream back in front of what comes next."""
        if data:
            self._p.unread(data, t)
        self.at_body = False

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._p
        if p.exc is not None or p.sock.fileno() < 0:
            raise httpcore2.WriteError(str(p.exc) if p.exc else "connection closed")
        self._head, self._tail, self.at_body = True, b"", False
        p.set_mode(CLOSE)  # until settle(): the answer's first bytes are to be timed exactly
        # The time is taken just before the send: the syscall runs at once, whereas the time after
        # it could be late by a wait for the GIL (a UI thread holding it).
        # httpcore2 writes a request's head and its body separately: the head goes with MSG_MORE,
        # so the kernel sends both in one segment (one transmit, one wake-up of the server).
        more = _MSG_MORE if self._request_head_with_body(buffer) else 0
        t = _perf()
        try:
            n = p.sock.send(buffer, more)  # a request fits the socket's buffer: all of it, at once
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError as e:
            raise httpcore2.WriteError(str(e)) from e
        if n < len(buffer):
            try:
                async with asyncio.timeout(timeout):
                    await self._loop.sock_sendall(p.sock, memoryview(buffer)[n:])
            except TimeoutError as e:
                raise httpcore2.WriteTimeout("timed out sending the request") from e
            except OSError as e:
                raise httpcore2.WriteError(str(e)) from e
            t = _perf()
        if more:
            return  # not on the wire yet: the body's write sends it
        sent = SENT.get()
        if sent is not None:
            sent.append(t)
        poll_close()

    @staticmethod
    def _request_head_with_body(buffer: bytes) -> bool:
        if not buffer.endswith(b"\r\n\r\n") or len(buffer) > 16384:
            return False
        head = buffer.lower()
        return b"\r\ncontent-length: " in head and b"\r\ncontent-length: 0\r\n" not in head

    async def aclose(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
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
            if p.chunks or p.eof:
                return True
            # Read on the loop at once (NORMAL): a close or stray bytes would have been seen. The pool
            # asks this of every idle connection for every request: no syscall for each.
            return False if p.mode == NORMAL and p.registered else is_socket_readable(sock)
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


__all__ = ["AsyncioBackend", "AsyncioStream", "SENT", "install", "poll_close"]
