"""OpenAI-compatible endpoints (OpenAI, OpenRouter, Groq, Ollama, vLLM, LM Studio, llama.cpp, ...).

What the SDK does and what we do:

* The openai SDK makes the request: auth header, base URL, error types, and retries with
  backoff that honour ``retry-after-ms`` / ``retry-after``. We call its generic
  ``client.post("/chat/completions", body=..., cast_to=httpx2.Response, stream=True)``, which
  returns once the SDK has a 2xx response (after its retries) with the body still unread. (It
  is the same request path as ``chat.completions.with_streaming_response.create``, minus the
  typed-params transform, which measured ~1 ms of CPU per request: too much for a 3 ms TTFT
  error budget.)
* We read that body ourselves (``aiter_bytes``) and parse each ``data:`` line with
  ``json.loads`` into a dict (see ``tuiarena.providers.sse``). We do NOT use the SDK's chunk
  objects: openai-python 3.x builds a pydantic object per chunk, measured at ~0.2 ms of CPU each;
  at 16 concurrent fast streams that alone pushed measured time-to-first-token from ~0 to
  ~200 ms.
* Plain-HTTP endpoints reached without a proxy (local servers) use tuiarena's HTTP/1.1 transport
  under httpx2 (``plainhttp``, over ``net.sockets``): less CPU per request and per chunk, and
  each piece of data carries the time it reached the socket. A
  stream starts with a ``RequestSent`` (its bytes on the wire; else when the SDK handed the first
  attempt to httpx2) and ends with a ``StreamEnd`` (its last bytes' arrival). A backlog is parsed
  in ``_SLICE_S`` slices so other streams are not starved. HTTPS keeps httpx2's own socket layer.
* After ``[DONE]`` the rest of the body (its terminating chunk) is read so the connection goes
  back to the pool: a fresh connection per request measured ~1 ms more time-to-first-token.
* Retries are observed, not re-implemented: the client's httpx2 client has request/response
  event hooks; a ContextVar ties each hook call to the ``stream()`` call that caused it, and each
  retry is reported as a ``RetryNotice`` before the first token.
* The client is built on first use (``warm()`` builds it ahead: the first build imports SDK
  modules and creates an SSL context, ~0.1-0.3 s, which should not count as latency).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import time
from typing import Any, AsyncIterator
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
    """Would httpx2 send requests to this URL through a proxy from the environment?"""
    if not getproxies():
        return False
    host = urlparse(base_url).hostname or ""
    try:
        return not proxy_bypass(host)
    except OSError:  # pragma: no cover - a resolver failure inside proxy_bypass
        return True


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
        self._plain = False  # the client uses plainhttp's transport

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
            from tuiarena.providers.net.plainhttp import PlainHTTPTransport

            timeout = limits.http_timeout(self.spec)
            client_class = limits.client_class()
            hooks = {"request": [_on_request], "response": [_on_response]}
            if self.spec.base_url.lower().startswith("http://") and not _proxied(self.spec.base_url):
                # Plain-HTTP endpoints reached directly (local servers: vLLM, llama.cpp, Ollama, LM
                # Studio, where token rates and so per-chunk CPU are highest) get tuiarena's own
                # HTTP/1.1 transport (see plainhttp: less CPU, bytes timed at the socket). Everything
                # else keeps httpx2's defaults, environment proxies included.
                self._plain = True
                http = client_class(timeout=timeout, transport=PlainHTTPTransport(), event_hooks=hooks)
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

        from tuiarena.providers.net import body  # noqa: F401 - and with it plainhttp, sockets

        try:
            self._get_client()  # (chats go through client.post: no resource module to load)
        except ProviderError:
            return
        if not self._plain:
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

    async def stream(self, model: str, messages: list[Message], params: Params) -> AsyncIterator[StreamEvent]:
        import httpx2

        from tuiarena.providers.net import sockets
        from tuiarena.providers.net.body import Body

        log = _CallLog()
        sent: list[float] = []
        token: contextvars.Token | None = _CALL.set(log)
        sent_token = sockets.SENT.set(sent)
        parser = ChunkParser()
        try:
            response = await self._open(model, messages, request_params(params), log)
        except ProviderError:
            for notice in log.notices:  # a request that finally fails keeps its retry history
                yield notice
            raise
        finally:
            _reset(_CALL, token)
            _reset(sockets.SENT, sent_token)
        body = Body(response)  # each piece with the time its bytes reached the socket
        try:
            t_sent = sent[0] if sent else log.t_request
            if t_sent is not None:
                yield RequestSent(t_sent)
            for notice in log.notices:
                yield notice
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
                    raise ProviderError(
                        "cut", f"stream ended after {parser.chars} chars without a finish ({e})"
                    ) from None
            if parser.finish is None and not parser.done:
                raise ProviderError("cut", f"stream ended after {parser.chars} chars without a finish")
            if parser.usage is not None:
                yield parser.usage
            yield StreamEnd(t)
            if parser.done:
                await body.finish()
        finally:
            body.relax()
            await response.aclose()


def _lowat(fed: int, events: int) -> int:
    """The low-water mark for a settled stream (see sockread): 2.5 events' worth of bytes (plus
    their chunk framing). A tick brings about two tokens at 100 tok/s; the burst that ends an
    answer (last token, finish, usage, ``[DONE]``) is three or more."""
    return int(2.5 * (fed / events + 8)) if events else 0


_FROZEN = False


def _warm_httpcore() -> None:
    """httpcore2's pool locks (HTTPS endpoints) load anyio's asyncio backend on the first request:
    ~40 ms of CPU (measured) that would otherwise land inside the first requests' TTFT."""
    import importlib

    for name in ("anyio._backends._asyncio", "anyio._core._synchronization", "anyio.streams.memory"):
        try:
            importlib.import_module(name)
        except ImportError:  # a different anyio layout: only the warm-up is lost
            pass


def _freeze_heap() -> None:
    """Once, after the SDK's imports: its ~1 s of imports build tens of thousands of objects (the
    pydantic types) that live as long as the process. ``gc.freeze()`` moves them out of the cyclic
    collector's reach, so its full passes do not walk them in the middle of streams: measured
    pauses of ~40 ms without it, under 3 ms with it (bench/headless.py --diag)."""
    global _FROZEN
    if not _FROZEN:
        import gc

        gc.freeze()
        _FROZEN = True


def _reset(var: contextvars.ContextVar, token: contextvars.Token) -> None:
    # An async generator may be finalised from another context (aclose by the GC); the var then
    # belongs to a context that is gone anyway.
    try:
        var.reset(token)
    except ValueError:
        pass


__all__ = ["OpenAICompatProvider", "request_params", "is_local_url"]
