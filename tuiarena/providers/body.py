"""The body of a streamed chat response, as (bytes, arrival time) pieces.

On plain-HTTP endpoints (``aionet``), once the SDK has the response head, the body is read
straight off the socket and its chunked transfer coding undone here, instead of passing every
piece through httpx2 -> httpcore2 -> h11: measured at ~1/3 of all the CPU of a fast stream (h11
turns each chunk into an event through a state machine, then four async generators hand it on).
The SDK still made the request (auth, retries, errors) and h11 still parsed the response head.

h11 is left where it can finish the exchange: aionet hands the head to h11 on its own, so h11
never holds body bytes, and this module stops at the last chunk (``0\\r\\n``) and gives it back,
so h11 reads the end of the body itself and the connection returns to the pool. Anything else (a
body that is not chunked, no aionet, a head that arrived with other bytes) is read through httpx2
as before, with the same times.
"""

from __future__ import annotations

import time
from typing import Any

import httpcore2
import httpx2

from tuiarena.providers.aionet import AsyncioStream, poll_close

_MAX_LINE = 4096  # a chunk-size line longer than this is not HTTP
_PIECE = 4096  # longest piece handed out at once


class ChunkedDecoder:
    """Undoes HTTP/1.1 chunked transfer coding, incrementally; free of I/O.

    ``feed(data)`` returns the payload bytes ``data`` completes. ``last`` is set at the last chunk
    (size 0); the bytes from there on stay in ``rest``. ``at_boundary`` is True when no chunk is
    part-read, so ``rest`` can be given back to another HTTP parser.
    """

    __slots__ = ("rest", "last", "_left", "_skip")

    def __init__(self) -> None:
        self.rest = b""
        self.last = False
        self._left = 0  # payload bytes of the current chunk still to come
        self._skip = 0  # bytes of the CRLF after it still to come

    @property
    def at_boundary(self) -> bool:
        return not self._left and not self._skip

    def feed(self, data: bytes) -> bytes:
        buf = self.rest + data if self.rest else data
        n = len(buf)
        i = 0
        out: list[bytes] = []
        if self._left:  # the rest of a chunk a previous piece began (then rest is empty)
            take = min(self._left, n)
            out.append(buf[:take])
            self._left -= take
            i = take
            if self._left:
                return out[0]
            self._skip = 2
        if self._skip:  # its CRLF
            take = min(self._skip, n - i)
            i += take
            self._skip -= take
            if self._skip:
                return out[0] if out else b""
        find = buf.find
        while i < n:
            j = find(b"\n", i)
            if j < 0:
                if n - i > _MAX_LINE:
                    raise httpx2.RemoteProtocolError("malformed chunked body: no chunk size line")
                break
            try:
                size = int(buf[i:j], 16)  # int() ignores the surrounding whitespace (the CR)
            except ValueError:
                size = _size_with_extension(buf[i:j])
            if size <= 0:
                if size < 0:
                    raise httpx2.RemoteProtocolError("negative chunk size")
                self.last = True
                break
            start = j + 1
            stop = start + size
            if stop + 2 <= n:  # the whole chunk and its CRLF: the usual case (one SSE event per chunk)
                out.append(buf[start:stop])
                i = stop + 2
                continue
            # A chunk cut by the end of this piece: the rest comes with the next.
            out.append(buf[start:stop])
            if stop <= n:
                self._skip = 2 - (n - stop)
            else:
                self._left = stop - n
            i = n
            break
        self.rest = buf[i:]
        if len(out) == 1:
            return out[0]
        return b"".join(out)


def _size_with_extension(line: bytes) -> int:
    try:
        return int(line.split(b";", 1)[0], 16)
    except ValueError:
        raise httpx2.RemoteProtocolError(f"malformed chunk size line: {line[:40]!r}") from None


class Body:
    """Async iterator of ``(data, t)`` over a streamed response's body: ``t`` is when the data
    reached the socket (aionet), else when it was read. ``await finish()`` after the end of the
    stream lets the connection be reused.
    """

    __slots__ = ("_response", "_net", "_timeout", "_dec", "_chunks", "_stamped", "_left", "_left_t")

    def __init__(self, response: Any, timeout: float | None) -> None:
        self._response = response
        net = response.extensions.get("network_stream")
        self._stamped = net if isinstance(net, AsyncioStream) else None
        chunked = response.headers.get("transfer-encoding", "").lower() == "chunked"
        direct = self._stamped is not None and self._stamped.at_body and chunked
        self._net = self._stamped if direct else None
        self._dec = ChunkedDecoder() if direct else None
        self._timeout = timeout
        self._chunks = None if direct else response.aiter_bytes()
        self._left = b""  # the rest of a large piece, handed out next
        self._left_t = 0.0

    @property
    def direct(self) -> bool:
        """True when the body is read straight off the socket."""
        return self._net is not None

    def __aiter__(self) -> Body:
        return self

    def settle(self) -> None:
        """The bytes that needed exact times are in: the rest may be read on the loop's tick."""
        if self._stamped is not None:
            self._stamped.settle()

    def relax(self) -> None:
        """The answer is in (or abandoned): the socket is read as any idle connection."""
        if self._stamped is not None:
            self._stamped.relax()

    async def __anext__(self) -> tuple[bytes, float]:
        poll_close()
        net = self._net
        if net is None:
            data = await self._chunks.__anext__()
            return data, (self._stamped.arrived if self._stamped is not None else time.perf_counter())
        if self._left:
            return self._piece(self._left, self._left_t)
        dec = self._dec
        while not dec.last:
            try:
                data = await net.read(65536, self._timeout)
            except httpcore2.TimeoutException as e:  # as httpx2 would have mapped them
                raise httpx2.ReadTimeout(str(e)) from None
            except httpcore2.NetworkError as e:
                raise httpx2.ReadError(str(e)) from None
            if not data:
                raise httpx2.RemoteProtocolError("the server closed the connection in the middle of the body")
            payload = dec.feed(data)
            if payload:
                return self._piece(payload, net.arrived)
        raise StopAsyncIteration

    def _piece(self, data: bytes, t: float) -> tuple[bytes, float]:
        """At most ~_PIECE bytes, cut after a newline: a fast stream's backlog is then parsed in
        short steps, between which other streams (and poll_close) get their turn."""
        if len(data) > _PIECE:
            cut = data.rfind(b"\n", 0, _PIECE) + 1 or len(data)
            self._left, self._left_t = data[cut:], t
            return data[:cut], t
        self._left = b""
        return data, t

    async def finish(self) -> None:
        """After the caller's last piece: let h11 read the body's end so the connection can be
        reused (a server that keeps the body open just loses its connection)."""
        import asyncio

        self.relax()  # the body's end is read at once, not on the next tick
        if self._net is not None:
            dec = self._dec
            if not dec.at_boundary:
                return  # part of a chunk is unread: h11 cannot take over; aclose() drops the connection
            self._net.unread(dec.rest, self._net.arrived)
            dec.rest = b""
            self._net = None
            chunks = self._response.aiter_raw()
        else:
            chunks = self._chunks
        try:
            async with asyncio.timeout(0.05):
                async for _ in chunks:
                    pass
        except (TimeoutError, httpx2.HTTPError):
            pass


__all__ = ["Body", "ChunkedDecoder"]
