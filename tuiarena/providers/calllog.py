"""What the SDK's HTTP event hooks saw during one provider call: the retries it made (status,
the wait the server asked for) and when it handed the first attempt to httpx2.

The hooks are client-wide; the ContextVar :data:`CALL` ties each hook call to the ``stream()`` /
``list_models()`` call that caused it. Retries are observed, not re-implemented: the SDK does them.
Each attempt of a call that set a :data:`~tuiarena.providers.net.wire.WIRE` also gets httpx2's
``trace`` extension, so its connection set-up and bytes on the wire are recorded on every transport.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any

from tuiarena.model import RetryNotice
from tuiarena.providers.net.wire import WIRE, trace

_RETRY_STATUSES = frozenset({408, 409, 429}) | frozenset(range(500, 600))


@dataclass
class CallLog:
    """What the HTTP hooks saw during one ``stream()`` / ``list_models()`` call."""

    notices: list[RetryNotice] = field(default_factory=list)
    last_status: int | None = None
    last_wait: float | None = None
    last_t: float | None = None
    t_request: float | None = None  # when the SDK handed the first attempt to httpx2


CALL: contextvars.ContextVar[CallLog | None] = contextvars.ContextVar("tuiarena_call", default=None)


def _header_wait(headers: Any) -> float | None:
    for name, div in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) / div
            except ValueError:
                return None
    return None


async def on_request(request: Any) -> None:
    wire = WIRE.get()
    if wire is not None:
        wire.attempt()
        request.extensions["trace"] = trace
    log = CALL.get()
    if log is None:
        return
    try:
        attempt = int(request.headers.get("x-stainless-retry-count") or 0)
    except ValueError:
        attempt = 0
    if attempt == 0:
        if log.t_request is None:
            log.t_request = time.perf_counter()
    else:
        t = time.perf_counter()
        wait = log.last_wait
        if wait is None and log.last_t is not None:
            wait = round(t - log.last_t, 4)
        log.notices.append(RetryNotice(attempt=attempt, status=log.last_status, wait_s=wait, t=t))
        log.last_status = log.last_wait = log.last_t = None


async def on_response(response: Any) -> None:
    log = CALL.get()
    if log is None:
        return
    log.last_status = response.status_code
    log.last_t = time.perf_counter()
    log.last_wait = _header_wait(response.headers) if response.status_code in _RETRY_STATUSES else None


__all__ = ["CALL", "CallLog", "on_request", "on_response"]
