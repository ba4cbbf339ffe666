"""What one provider call's requests did on the wire: when each went out, and how long the set-up
of the connection it went on took (DNS + TCP + TLS; None when a kept-alive one was reused).

A caller sets :data:`WIRE` to a :class:`Wire`; tuiarena's plain-HTTP transport fills it directly,
and httpx2's own transport (HTTPS, proxies) through its ``trace`` request extension, :func:`trace`.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any

_perf = time.perf_counter


@dataclass(slots=True)
class Wire:
    sent: list[float] = field(default_factory=list)  # perf_counter: each request's bytes handed to the kernel
    connect_s: float | None = None  # set-up of the connection the latest attempt went on; None: reused
    t_connect: float | None = None  # when that set-up began (trace events)

    def attempt(self) -> None:
        """A new attempt begins: it has set up no connection yet."""
        self.connect_s = self.t_connect = None


WIRE: contextvars.ContextVar[Wire | None] = contextvars.ContextVar("tuiarena_wire", default=None)


async def trace(name: str, info: dict[str, Any]) -> None:
    """httpx2's ``trace`` extension callback (``request.extensions["trace"]``): connection and
    HTTP/1.1 events of the request, recorded on the current :data:`WIRE`."""
    wire = WIRE.get()
    if wire is None:
        return
    if name == "connection.connect_tcp.started":
        wire.t_connect = _perf()
    elif name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
        if wire.t_connect is not None:
            wire.connect_s = _perf() - wire.t_connect
    elif name.endswith(".send_request_body.started"):
        # The body (one buffer: the SDK sends JSON with a length) is written right after this
        # without a yield to the loop; ".complete" comes only after anyio's checkpoint, so a busy
        # loop would make the time late. As on plain HTTP, the time just before the send.
        wire.sent.append(_perf())


__all__ = ["WIRE", "Wire", "trace"]
