"""The three time limits of a request, and the HTTP client that applies two of them.

* ``connect_timeout_s`` (default 10 s): TCP (+ TLS) set-up. The SDK retries a connect timeout.
* ``timeout_s`` (default 60 s), the *silence* limit: no byte for this long, while waiting for the
  response head or between any two reads of the body. It is httpx2's read/write/pool timeout, which
  both transports honour (http11 passes it to ``net.sockets``' watchdog; httpx2's own socket layer
  for HTTPS). A server silent for this long *before its response head* is not asked again
  (``client_class``): the SDK would otherwise retry it twice, tripling the wait, and a retry only
  queues a second copy of the same request on a stuck server.
* ``deadline_s`` (default 300 s): the whole response, retries included, from the moment the request
  is sent (queueing for a concurrency slot excluded). It catches a server that trickles a keep-alive
  byte every few seconds and so never trips the silence limit; the runner enforces it.

The defaults live on ``EndpointSpec``; why these values: docs/decisions/0050-time-limits.md. Each is set per endpoint in config.toml and
for a whole command with ``--connect-timeout``, ``--timeout`` and ``--deadline``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tuiarena.model import EndpointSpec


def http_timeout(spec: EndpointSpec) -> Any:
    """The ``openai.Timeout`` for an endpoint: connect, and silence for read/write/pool."""
    import openai

    return openai.Timeout(spec.timeout_s, connect=spec.connect_timeout_s)


_CLIENT: Any = None


def client_class() -> Any:
    """``openai.DefaultAsyncHttpxClient`` whose ``send`` turns a read timeout (no response head in
    time) into an ``openai.APITimeoutError`` marked ``silent_server``, which the SDK re-raises
    without retrying (it retries httpx2's timeouts, not its own errors)."""
    global _CLIENT
    if _CLIENT is None:
        import httpx2
        import openai

        class SilenceAwareClient(openai.DefaultAsyncHttpxClient):
            async def send(self, request: Any, **kwargs: Any) -> Any:
                try:
                    return await super().send(request, **kwargs)
                except httpx2.ReadTimeout as exc:
                    err = openai.APITimeoutError(request=request)
                    err.silent_server = True  # type: ignore[attr-defined]
                    raise err from exc

        _CLIENT = SilenceAwareClient
    return _CLIENT


def apply_overrides(specs: Iterable[EndpointSpec], *, connect_s: float | None = None,
                    silence_s: float | None = None, deadline_s: float | None = None) -> None:
    """Command-line limits for every endpoint (before any provider is built)."""
    for spec in specs:
        if connect_s is not None:
            spec.connect_timeout_s = connect_s
        if silence_s is not None:
            spec.timeout_s = silence_s
        if deadline_s is not None:
            spec.deadline_s = deadline_s


__all__ = ["apply_overrides", "client_class", "http_timeout"]
