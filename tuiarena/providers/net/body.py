"""The body of a streamed chat response, as (bytes, arrival time) pieces.

On endpoints reached directly (``http://``, and ``https://`` with TLS over the same reader) the
transport is :mod:`tuiarena.providers.net.http11`: each piece of body comes straight off the socket
with the time it reached it (over TLS, of the segment that completed its record). Elsewhere (a
proxy, a redirect to another origin, a compressed body) the body is read through httpx2, each
piece timed when it was read.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx2

from tuiarena.model import TimedBy
from tuiarena.providers.net.http11 import ResponseBody
from tuiarena.providers.net.sockets import AsyncioStream, poll_close

_PIECE = 4096  # longest piece handed out at once


class Body:
    """Async iterator of ``(data, t)`` over a streamed response's body: ``t`` is when the data
    reached the socket (http11), else when it was read. ``await finish()`` after the end of
    the stream lets the connection be reused.
    """

    __slots__ = ("_response", "_direct", "_stamped", "_chunks", "_left", "_left_t")

    def __init__(self, response: Any) -> None:
        self._response = response
        net = response.extensions.get("network_stream")
        self._stamped = net if isinstance(net, AsyncioStream) else None
        direct = response.extensions.get("tuiarena_body")
        encoded = response.headers.get("content-encoding", "identity").lower() not in ("", "identity")
        self._direct = direct if isinstance(direct, ResponseBody) and not encoded else None
        self._chunks = None if self._direct is not None else response.aiter_bytes()
        self._left = b""  # the rest of a large piece, handed out next
        self._left_t = 0.0

    @property
    def direct(self) -> bool:
        """True when the body is read straight off the socket."""
        return self._direct is not None

    @property
    def timed_by(self) -> TimedBy:
        """``socket``: each piece carries the time it reached the socket; ``read``: when it was read."""
        return "socket" if self._stamped is not None else "read"

    def __aiter__(self) -> Body:
        return self

    def settle(self, lowat: int = 0) -> None:
        """The bytes that needed exact times are in: the rest may be read on the loop's tick, and
        at once when ``lowat`` bytes wait (see sockread)."""
        if self._stamped is not None:
            self._stamped.settle(lowat)

    def relax(self) -> None:
        """The answer is in (or abandoned): the socket is read as any idle connection."""
        if self._stamped is not None:
            self._stamped.relax()

    async def __anext__(self) -> tuple[bytes, float]:
        poll_close()
        direct = self._direct
        if direct is None:
            data = await self._chunks.__anext__()  # type: ignore[union-attr]  # set when not direct
            return data, (self._stamped.arrived if self._stamped is not None else time.perf_counter())
        if self._left:
            return self._piece(self._left, self._left_t)
        data, t = await direct.read()
        if not data:
            raise StopAsyncIteration
        return self._piece(data, t)

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
        """After the caller's last piece (``[DONE]``): read the body's end, so the connection can
        be reused (a server that keeps the body open just loses its connection)."""
        self.relax()  # the body's end is read at once, not on the next tick
        direct = self._direct
        try:
            async with asyncio.timeout(0.05):
                if direct is not None:
                    while not direct.done and (await direct.read())[0]:
                        pass
                else:
                    async for _ in self._chunks:  # type: ignore[union-attr]  # set when not direct
                        pass
        except (TimeoutError, httpx2.HTTPError):
            pass


__all__ = ["Body"]
