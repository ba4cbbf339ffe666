"""What a provider's ``stream()`` yields, and the error a failed request raises.

``t`` is ``time.perf_counter()`` taken when the line carrying it arrived from the socket. Stdlib
only; importers use ``tuiarena.model``, which re-exports everything here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(slots=True)
class TextDelta:
    text: str
    t: float
    reasoning: bool = False  # True for delta.reasoning_content / delta.reasoning
    chunks: int = 1  # stream chunks (SSE events) merged into this delta: they arrived together


@dataclass(slots=True)
class UsageInfo:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None  # the server's own charge (OpenRouter's ``usage.cost``)


@dataclass(slots=True)
class ServerTimings:
    """The server's own account of the request (llama.cpp ``timings``), kept beside the client's."""

    prompt_ms: float | None = None  # prefill
    predicted_ms: float | None = None  # decode
    predicted_per_second: float | None = None
    prompt_n: int | None = None
    predicted_n: int | None = None  # tokens generated


TimedBy = Literal["socket", "read"]


@dataclass(slots=True)
class StreamInfo:
    """How a response travelled, reported once before ``StreamEnd``.

    ``connect_ms``: connection set-up (DNS + TCP + TLS), None on a reused connection or where the
    transport cannot tell. ``timed_by``: ``socket`` when each piece carries the time it reached
    the socket, ``read`` when it is timed as read. ``chunks``: stream chunks that carried text.
    ``streamed``: False when the server answered one JSON object instead of a stream. ``even``:
    every text chunk but the last had the same length (text cut by characters, not tokens)."""

    connect_ms: float | None = None
    timed_by: TimedBy = "read"
    chunks: int = 0
    streamed: bool = True
    even: bool = False


@dataclass(slots=True)
class StreamFinish:
    reason: str | None  # "stop", "length", "content_filter", "tool_calls", or None
    t: float


@dataclass(slots=True)
class RetryNotice:
    """The SDK retried the request (429 / 5xx / connection); recorded in the response."""

    attempt: int
    status: int | None
    wait_s: float | None
    t: float


@dataclass(slots=True)
class RequestSent:
    """The request went on the wire at ``t`` (its bytes were handed to the kernel, after any
    connection set-up); latency is measured from the first one. Providers that cannot tell omit it
    and the runner measures from just before it called the provider."""

    t: float


@dataclass(slots=True)
class StreamEnd:
    """The stream's last bytes arrived at ``t`` (the end of ``total_ms``); omitted, the runner
    uses the time the stream's iterator finished."""

    t: float


StreamEvent = (
    TextDelta | UsageInfo | StreamFinish | RetryNotice | RequestSent | StreamEnd | ServerTimings | StreamInfo
)


class ProviderError(Exception):
    """A failed request or stream, with a kind the UI can act on.

    kind: "auth" (401/403), "rate_limit" (429 after retries), "not_found" (404 / unknown model),
    "bad_request" (400), "server" (5xx), "connection" (refused / DNS), "timeout" (a time limit:
    connect, silence or the overall deadline; see providers.limits), "stream_error"
    (an error object mid-stream), "cut" (the stream ended without a finish), "config" (missing
    key env var and the like).
    """

    def __init__(self, kind: str, message: str, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
