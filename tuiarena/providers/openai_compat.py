"""OpenAI-compatible endpoints (OpenAI, OpenRouter, Groq, Ollama, vLLM, LM Studio, llama.cpp, ...).

The openai SDK makes each request (auth, base URL, error types, retries honouring
``retry-after``); tuiarena reads the raw body (``tuiarena.providers.sse``) and yields plain
stream events. What a stream promises, in order: ``RequestSent`` (the request's bytes on the
wire), retries as ``RetryNotice``, a ``StreamInfo`` (connection set-up, how it is timed), text
deltas with the time their bytes arrived, the finish, then usage and ``ServerTimings`` where the
server sent them, a last ``StreamInfo`` and ``StreamEnd`` (the last bytes' arrival). A stream is
complete only with a ``finish_reason`` and some text: otherwise it raises ``ProviderError("cut")``
after handing on what came. A key goes only to its own endpoint's base URL.

An endpoint's origin reached without a proxy, ``http://`` or ``https://``, gets tuiarena's own
transport (``net.http11``, TLS by ``net.tls`` with the client's own SSL context), mounted for that
origin only; everything else (proxies, redirects elsewhere) is httpx2's.
Why: docs/decisions/0021-own-transport-and-trace.md.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any
from urllib.parse import urlparse
from urllib.request import getproxies, proxy_bypass

from tuiarena.model import (
    EndpointSpec,
    Message,
    Params,
    ProviderError,
    RequestSent,
    StreamEnd,
    StreamEvent,
    StreamInfo,
)
from tuiarena.providers.base import ModelInfo
from tuiarena.providers.calllog import CALL as _CALL
from tuiarena.providers.calllog import CallLog as _CallLog
from tuiarena.providers.calllog import on_request as _on_request
from tuiarena.providers.calllog import on_response as _on_response
from tuiarena.providers.failures import about_stream_options, silent_stream
from tuiarena.providers.sse import ChunkParser

LOCAL_PLACEHOLDER_KEY = "not-needed-for-local"
_SLICE_S = 0.0002  # longest run of backlog parsing before yielding to the event loop (see stream)


def is_local_url(base_url: str) -> bool:
    host = (urlparse(base_url).hostname or "").lower()
    return host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.")


def _proxied(base_url: str) -> bool:
    """Would httpx2 send requests to this URL through a proxy from the environment? (As for
    httpx2, the scheme's own variable or ``all_proxy``: ``HTTPS_PROXY`` alone is not for ``http://``.)"""
    proxies = getproxies()
    scheme = (urlparse(base_url).scheme or "http").lower()
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    host = urlparse(base_url).hostname or ""
    try:
        return not proxy_bypass(host)
    except OSError:  # pragma: no cover - a resolver failure inside proxy_bypass
        return True


def _origin(base_url: str) -> str:
    """``scheme://host:port`` of a URL, port always written (an httpx2 mount pattern)."""
    u = urlparse(base_url)
    scheme = (u.scheme or "http").lower()
    host = (u.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = u.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{host}:{port}"


def request_params(params: Params) -> dict[str, Any]:
    """Map our Params to chat.completions arguments, omitting unset ones."""
    out: dict[str, Any] = {}
    for name in ("temperature", "max_tokens", "seed", "top_p"):
        value = getattr(params, name)
        if value is not None:
            out[name] = value
    if params.response_format == "json_object":
        out["response_format"] = {"type": "json_object"}
    elif params.response_format == "json_schema":
        schema = params.json_schema or {"type": "object"}
        out["response_format"] = {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}
    return out


class OpenAICompatProvider:
    """One OpenAI-compatible endpoint; one lazily created ``openai.AsyncOpenAI`` client."""

    def __init__(self, spec: EndpointSpec):
        self.spec = spec
        self.name = spec.name
        self.max_concurrency = spec.max_concurrency
        self.local = spec.source == "local" or is_local_url(spec.base_url)
        self.stream_options_ok = True  # becomes False once the server rejected stream_options
        self._client: Any = None
        self._direct = False  # the client uses tuiarena's own transport (net.http11)

    def __repr__(self) -> str:
        return f"OpenAICompatProvider({self.name!r}, {self.spec.base_url!r})"

    # ------------------------------------------------------------------ client
    def _key(self) -> str:
        env = self.spec.api_key_env
        key = os.environ.get(env, "").strip() if env else ""
        if env and not key:  # named but unset: never a placeholder in its place, local or not
            raise ProviderError("auth", f"{env} is not set: export it to use endpoint '{self.name}' "
                                        f"(or remove its api_key_env if the server needs no key)")
        return key or LOCAL_PLACEHOLDER_KEY

    def _get_client(self) -> Any:
        key = self._key()  # checked on every call: the key may have been unset since
        if self._client is None:
            import openai

            from tuiarena.providers import limits
            from tuiarena.providers.net.http11 import HTTP11Transport

            timeout = limits.http_timeout(self.spec)
            client_class = limits.client_class()
            hooks: dict[str, list[Callable[..., Any]]] = {"request": [_on_request], "response": [_on_response]}
            origin = _origin(self.spec.base_url)
            if origin.startswith(("http://", "https://")) and not _proxied(self.spec.base_url):
                # The endpoint's own origin gets tuiarena's transport; any other URL (a redirect to
                # another origin) keeps httpx2's, environment proxies included. Both check servers
                # with one SSL context, the one httpx2 makes (SSL_CERT_FILE / SSL_CERT_DIR honoured).
                import httpx2

                context = httpx2.create_ssl_context()
                self._direct = True
                mounts = {origin: HTTP11Transport(context)}
                http = client_class(timeout=timeout, mounts=mounts, event_hooks=hooks, verify=context)
            else:
                http = client_class(timeout=timeout, event_hooks=hooks)
            self._client = openai.AsyncOpenAI(
                base_url=self.spec.base_url,
                api_key=key,
                max_retries=self.spec.max_retries,
                timeout=timeout,
                http_client=http,
                default_headers=dict(self.spec.extra_headers) or None,
            )
        return self._client

    def warm(self) -> None:
        """Build the client now (imports, SSL context) so the first request's latency is honest."""
        import httpx2  # noqa: F401 - imported here even when the key is missing, so a failing first
        import openai  # noqa: F401   request is not timed over ~1 s of imports

        from tuiarena.providers.net import body  # noqa: F401 - and with it http11, tls, sockets

        try:
            self._get_client()  # (chats go through client.post: no resource module to load)
        except ProviderError:
            return
        if not self._direct:
            _warm_httpcore()
        _freeze_heap()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # ------------------------------------------------------------------ errors
    def _map_error(self, exc: BaseException, log: _CallLog | None = None) -> ProviderError:
        from tuiarena.providers.failures import map_error

        env = self.spec.api_key_env
        key_set = bool(env and os.environ.get(env, "").strip())
        return map_error(exc, self.spec, len(log.notices) if log else 0, key_set)

    # ------------------------------------------------------------------ API
    async def list_models(self) -> list[ModelInfo]:
        import openai

        client = self._get_client()
        try:
            page = await client.models.list()
        except openai.OpenAIError as e:
            raise self._map_error(e) from None
        out = []
        for m in page.data:
            ctx = getattr(m, "context_length", None) or getattr(m, "max_model_len", None)
            out.append(ModelInfo(self.name, m.id, context_length=ctx if isinstance(ctx, int) else None))
        return out

    async def _post(self, body: dict[str, Any]) -> Any:
        """POST /chat/completions through the SDK (auth, retries, error types); the raw body back."""
        import httpx2

        client = self._get_client()
        response = await client.post("/chat/completions", body=body, cast_to=httpx2.Response, stream=True)
        return response

    async def _open(self, model: str, messages: list[Message], params: dict[str, Any], log: _CallLog) -> Any:
        import openai

        body = {"model": model, "messages": messages, "stream": True, **params}
        if self.stream_options_ok:
            try:
                return await self._post({**body, "stream_options": {"include_usage": True}})
            except openai.BadRequestError as e:
                if not about_stream_options(e):
                    raise self._map_error(e, log) from None
                first = e
            except openai.OpenAIError as e:
                raise self._map_error(e, log) from None
            # Some servers reject stream_options: retry once without it, remember if that works.
            try:
                response = await self._post(body)
            except openai.BadRequestError:
                raise self._map_error(first, log) from None
            except openai.OpenAIError as e:
                raise self._map_error(e, log) from None
            self.stream_options_ok = False
            return response
        try:
            return await self._post(body)
        except openai.OpenAIError as e:
            raise self._map_error(e, log) from None

    def stream(self, model: str, messages: list[Message], params: Params) -> AsyncIterator[StreamEvent]:
        """The answer as events; a known key the server echoes is blanked even when split across pieces."""
        from tuiarena.providers.redact_stream import redacted_stream
        from tuiarena.secrets import secret_values

        values = secret_values()
        if not values:  # nothing to blank: no layer between the provider and the runner
            return self._stream(model, messages, params)
        return redacted_stream(self._stream(model, messages, params), values)

    async def _stream(self, model: str, messages: list[Message], params: Params) -> AsyncGenerator[StreamEvent, None]:
        import httpx2

        from tuiarena.providers.net.body import Body
        from tuiarena.providers.net.wire import WIRE, Wire

        log = _CallLog()
        wire = Wire()
        token = _CALL.set(log)
        wire_token = WIRE.set(wire)
        parser = ChunkParser()
        try:
            response = await self._open(model, messages, request_params(params), log)
        except ProviderError:
            for notice in log.notices:  # a request that finally fails keeps its retry history
                yield notice
            raise
        finally:
            _reset(_CALL, token)
            _reset(WIRE, wire_token)
        body = Body(response)  # each piece with the time its bytes reached the socket
        try:
            t_sent = wire.sent[0] if wire.sent else log.t_request
            if t_sent is not None:
                yield RequestSent(t_sent)
            for notice in log.notices:
                yield notice
            connect_ms = None if wire.connect_s is None else round(wire.connect_s * 1000.0, 2)
            info = StreamInfo(connect_ms=connect_ms, timed_by=body.timed_by)
            yield info
            perf = time.perf_counter
            feed = parser.feed
            slice_start = t = perf()
            close = True  # the socket is closely watched until the first answer token is in
            ending = False  # the finish is in: what is left (usage, [DONE]) is read as it comes
            fed = 0  # body bytes before settle(), for the size of an event
            try:
                async for data, t in body:
                    events = feed(data, t)
                    if close:
                        fed += len(data)
                        if parser.answered or parser.done or parser.error:
                            body.settle(_lowat(fed, parser.events))
                            close = False
                    if parser.finish is not None and not ending:
                        body.relax()
                        ending = True
                    # A backlog (a fast stream read in one go) is worked through in slices of
                    # _SLICE_S, yielding to the loop in between so other streams are not starved.
                    # Bytes that arrived after this slice began were read by the loop since (an
                    # arrival time is never later than its read): a new slice, no yield needed.
                    if t > slice_start:
                        slice_start = perf()
                    elif perf() - slice_start > _SLICE_S:
                        await asyncio.sleep(0)
                        slice_start = perf()
                    for ev in events:
                        yield ev
                    if parser.done or parser.error:
                        break
                else:
                    for ev in parser.flush(t):
                        yield ev
                if parser.error:
                    raise parser.error
            except httpx2.TimeoutException:
                raise silent_stream(self.spec, parser.chars, len(log.notices)) from None
            except httpx2.TransportError as e:
                if parser.finish is None:
                    for ev in _ending(parser, info, t):
                        yield ev
                    raise ProviderError(
                        "cut", f"stream ended after {parser.chars} chars without a finish ({e})"
                    ) from None
            for ev in _ending(parser, info, t):
                yield ev
            cut = _cut(parser)
            if cut is not None:
                raise ProviderError("cut", cut)
            if parser.done:
                await body.finish()
        finally:
            body.relax()
            await response.aclose()


def _ending(parser: ChunkParser, info: StreamInfo, t: float) -> list[StreamEvent]:
    """What a stream reports at its end: usage, server timings, the last StreamInfo, StreamEnd."""
    out: list[StreamEvent] = []
    if parser.usage is not None:
        out.append(parser.usage)
    if parser.timings is not None:
        out.append(parser.timings)
    out.append(StreamInfo(info.connect_ms, info.timed_by, parser.pieces, parser.streamed, parser.even))
    out.append(StreamEnd(t))
    return out


def _cut(parser: ChunkParser) -> str | None:
    """Why a stream that ended is not complete; None when it is (a finish and some text)."""
    if parser.finish is None:
        how = "[DONE] without a finish_reason" if parser.done else "without a finish"
        return f"stream ended after {parser.chars} chars: {how}"
    if not parser.chars and parser.finish not in ("content_filter", "tool_calls"):
        return f"stream finished ({parser.finish}) without any text"
    return None


def _lowat(fed: int, events: int) -> int:
    """The low-water mark for a settled stream (see sockread): 2.5 events' worth of bytes (plus
    their chunk framing). A tick brings about two tokens at 100 tok/s; the burst that ends an
    answer (last token, finish, usage, ``[DONE]``) is three or more."""
    return int(2.5 * (fed / events + 8)) if events else 0


_FROZEN = False


def _warm_httpcore() -> None:
    """Import anyio's asyncio backend now (HTTPS pool locks load it on the first request; see 0020)."""
    import importlib

    for name in ("anyio._backends._asyncio", "anyio._core._synchronization", "anyio.streams.memory"):
        try:
            importlib.import_module(name)
        except ImportError:  # a different anyio layout: only the warm-up is lost
            pass


def _freeze_heap() -> None:
    """Once, after the SDK's imports: ``gc.freeze()`` their long-lived objects (see 0020)."""
    global _FROZEN
    if not _FROZEN:
        import gc

        gc.freeze()
        _FROZEN = True


def _reset(var: contextvars.ContextVar[Any], token: contextvars.Token[Any]) -> None:
    # An async generator may be finalised from another context (aclose by the GC); the var then
    # belongs to a context that is gone anyway.
    try:
        var.reset(token)
    except ValueError:
        pass


__all__ = ["OpenAICompatProvider", "request_params", "is_local_url"]
