"""A loopback OpenAI-compatible server for tests and benchmarks: real HTTP/1.1, real SSE.

asyncio (``asyncio.start_server``) with a tiny HTTP/1.1 parser, keep-alive, chunked transfer for
streams; it runs in its own thread with its own event loop, so hundreds of concurrent streams are
cheap. Use it as a context manager::

    with FakeServer(ttft=0.05, tokens_per_s=100, n_tokens=100) as srv:
        client = openai.AsyncOpenAI(base_url=srv.base_url, api_key="x")

or in the foreground (bench scripts start it in a subprocess; the first stdout line is the URL)::

    python -m tests.fakeserver --port 0 --ttft 0.05 --rate 100 --tokens 100 [--stats FILE] [--tls CERT KEY]

(``--stats``: on SIGTERM, a JSON line of server-side timings per chat request, for bench --diag.)

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions`` (``stream`` true or false).
Text is deterministic: ``"tok0 tok1 tok2 ..."``, one token per chunk; ``max_tokens`` below
``n_tokens`` stops early with ``finish_reason="length"``. Per-request overrides through headers:
``x-fake-ttft``, ``x-fake-rate``, ``x-fake-tokens``.

The behaviour is chosen by the request's model name; several can be joined with ``+``
(``reasoning+usage-in-choice``). Any other name streams normally. See ``BEHAVIOURS``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
import time
from typing import Any

from tests.fakeserver_parts import LazyEvents, RequestRecord, _Conf

BEHAVIOURS = {
    "normal": "usage in a final chunk with empty choices (when stream_options.include_usage)",
    "usage-in-choice": "usage on the chunk that carries finish_reason (LiteLLM / llama.cpp)",
    "no-usage": "never sends usage",
    "reasoning-content": "delta.reasoning_content first, then content (DeepSeek)",
    "reasoning": "delta.reasoning first, then content (vLLM / OpenRouter / Ollama)",
    "comments": "SSE comment lines ': OPENROUTER PROCESSING' interleaved",
    "auth": "401 with an OpenAI error body",
    "ratelimit-once": "429 with 'Retry-After: 0.2' on a call's first attempt, then success",
    "ratelimit-once-ms": "429 with 'retry-after-ms: 200' on a call's first attempt, then success",
    "ratelimit": "always 429 (Retry-After: 0.05)",
    "server-error": "always 500 (retry-after-ms: 10 so SDK retries stay quick)",
    "cut": "stream stops half-way: connection closed without finish or [DONE]",
    "midstream-error": "after some tokens sends data: {\"error\": {...}}",
    "no-stream-options": "400 when the body has stream_options; fine without",
    "length": "finish_reason 'length'",
    "missing": "404 model_not_found",
    "bad-request": "always 400 (not about stream_options)",
    "escape": "content with ANSI escapes, Rich markup and control characters",
    "done-no-finish": "tokens, then data: [DONE] with no finish_reason (llama.cpp interrupted)",
    "empty": "no text at all: a role chunk, finish_reason stop, [DONE]",
    "llamacpp": "no usage; the last chunk carries llama.cpp's timings (predicted_n, prompt_ms, ...)",
    "multi-token": "four tokens per chunk (combine with no-usage)",
    "char-chunks": "the text re-cut into 3-character chunks, as LiteLLM's mock_response streams (with no-usage)",
    "cost": "usage carries OpenRouter's cost",
    "not-streamed": "one chat.completion JSON object even when stream is true",
    "html": "200 with an HTML page (a web UI, not the API)",
    "bare-lf": "the response head's lines end in a bare LF",
    "byte-tokens": "every 4th token is half a character: sent as content \"\" (llama-cpp-python's server does this)",
}
TIMINGS = {"prompt_n": 7, "prompt_ms": 12.5, "predicted_per_token_ms": 4.0, "predicted_per_second": 250.0}
ESCAPE_TOKENS = ["\x1b[31mred\x1b[0m", " [bold red]x[/]", " bell\x07", " cr\rlf", " nul\x00", " \x1b]0;title\x07", " [link=x]y[/link]"]


class FakeServer:
    def __init__(self, ttft: float = 0.0, tokens_per_s: float = 0, n_tokens: int = 20, port: int = 0,
                 host: str = "127.0.0.1", models: list[str] | None = None, ssl: Any = None,
                 redirect_to: str | None = None):
        self.ttft = ttft
        self.tokens_per_s = tokens_per_s
        self.n_tokens = n_tokens
        self.host = host
        self.port = port
        self.models = models or ["fake-model", *BEHAVIOURS]
        self.ssl = ssl  # an ssl.SSLContext: serve HTTPS
        self.redirect_to = redirect_to  # a base URL: every chat request gets a 307 there
        self.requests: list[RequestRecord] = []
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task] = set()

    # ---------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}/v1"

    @property
    def chat_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    async def serve(self) -> None:
        """Bind (sets ``self.port``); call from a running loop. Serves until closed."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024, ssl=self.ssl)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> FakeServer:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self.serve())
            except BaseException as e:  # pragma: no cover - bind failure
                errors.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="fakeserver", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        async def shutdown() -> None:
            if self._server:
                self._server.close()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, predicate, timeout: float = 2.0) -> bool:
        """Poll ``predicate()`` (a check on ``self.requests`` etc.) until true or timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.005)
        return bool(predicate())

    # ---------------------------------------------------------------- HTTP
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        k, _, v = line.partition(":")
                        headers[k.strip().lower()] = v.strip()
                n = int(headers.get("content-length", "0"))
                raw = await reader.readexactly(n) if n else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                rec = RequestRecord(method, path, headers, body, time.perf_counter())
                self.requests.append(rec)
                keep = await self._route(rec, reader, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, status: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        reason = {200: "OK", 307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
                  500: "Internal Server Error"}.get(status, "Status")
        hdr = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(data)}"]
        hdr += [f"{k}: {v}" for k, v in (extra or {}).items()]
        writer.write(("\r\n".join(hdr) + "\r\n\r\n").encode() + data)
        await writer.drain()

    @staticmethod
    def _err(message: str, type_: str, code: str | None = None) -> dict:
        return {"error": {"message": message, "type": type_, "param": None, "code": code}}

    async def _route(self, rec: RequestRecord, reader, writer) -> bool:
        if rec.method == "GET" and rec.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]
            await self._send(writer, 200, {"object": "list", "data": data})
            rec.outcome = "done"
            return True
        if rec.method != "POST" or not rec.path.rstrip("/").endswith("/chat/completions"):
            rec.status, rec.outcome = 404, "error"
            await self._send(writer, 404, self._err(f"no route {rec.method} {rec.path}", "invalid_request_error"))
            return True
        if self.redirect_to:
            rec.status, rec.outcome = 307, "done"
            await self._send(writer, 307, {}, {"location": self.redirect_to.rstrip("/") + "/chat/completions"})
            return True
        body = rec.body if isinstance(rec.body, dict) else {}
        model = str(body.get("model", "fake-model"))
        flags = set(model.split("+"))
        h = rec.headers
        conf = _Conf(float(h.get("x-fake-ttft", self.ttft)), float(h.get("x-fake-rate", self.tokens_per_s)),
                     int(h.get("x-fake-tokens", self.n_tokens)), flags)
        rec.ttft, rec.tokens_per_s = conf.ttft, conf.rate
        first_attempt = h.get("x-stainless-retry-count", "0") == "0"
        status, err, extra = 200, None, {}
        if "auth" in flags:
            status, err = 401, self._err("Incorrect API key provided: sk-fake***. You can find your API key at "
                                         "https://example.invalid.", "invalid_request_error", "invalid_api_key")
        elif "ratelimit" in flags:
            status, err, extra = 429, self._err("Rate limit reached", "requests", "rate_limit_exceeded"), {"retry-after": "0.05"}
        elif "ratelimit-once" in flags and first_attempt:
            status, err, extra = 429, self._err("Rate limit reached", "requests", "rate_limit_exceeded"), {"retry-after": "0.2"}
        elif "ratelimit-once-ms" in flags and first_attempt:
            status, err, extra = 429, self._err("Rate limit reached", "requests", "rate_limit_exceeded"), {"retry-after-ms": "200"}
        elif "server-error" in flags:
            status, err, extra = 500, self._err("The server had an error", "server_error"), {"retry-after-ms": "10"}
        elif "missing" in flags:
            status, err = 404, self._err(f"The model `{model}` does not exist", "invalid_request_error",
                                         "model_not_found")
        elif "bad-request" in flags:
            status, err = 400, self._err("Invalid value for 'temperature'", "invalid_request_error")
        elif "no-stream-options" in flags and "stream_options" in body:
            status, err = 400, self._err("Unrecognized request argument supplied: stream_options",
                                         "invalid_request_error")
        if err is not None:
            rec.status, rec.outcome = status, "error"
            await self._send(writer, status, err, extra)
            return True
        if "html" in flags:
            page = b"<!doctype html><html><head><title>Open WebUI</title></head><body>app</body></html>"
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: %d\r\n\r\n%s" % (len(page), page))
            await writer.drain()
            rec.outcome = "done"
            return True
        if body.get("stream") and "not-streamed" not in flags:
            return await self._stream(rec, body, conf, writer)
        await self._complete(rec, body, conf, writer)
        return True

    # ---------------------------------------------------------------- content
    @staticmethod
    def _prompt_tokens(body: dict) -> int:
        chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []) if isinstance(m, dict))
        return max(1, chars // 4)

    @staticmethod
    def _tokens(conf: _Conf, body: dict) -> tuple[list[str], list[str], str]:
        n = conf.n_tokens
        finish = "length" if "length" in conf.flags else "stop"
        mt = body.get("max_tokens") or body.get("max_completion_tokens")
        if isinstance(mt, int) and mt < n:
            n, finish = mt, "length"
        if "empty" in conf.flags:
            content = []
        elif "escape" in conf.flags:
            content = [ESCAPE_TOKENS[i % len(ESCAPE_TOKENS)] for i in range(n)]
        else:
            content = [f"tok{i}" if i == 0 else f" tok{i}" for i in range(n)]
        if "byte-tokens" in conf.flags:  # the first byte of "é" shows nothing; the next token brings it
            content = ["" if i % 4 == 1 else ("é" + t if i % 4 == 2 else t) for i, t in enumerate(content)]
        reasoning = []
        if conf.flags & {"reasoning", "reasoning-content"}:
            reasoning = [f"think{i}" if i == 0 else f" think{i}" for i in range(max(1, n // 2))]
        return reasoning, content, finish

    async def _complete(self, rec: RequestRecord, body: dict, conf: _Conf, writer) -> None:
        reasoning, content, finish = self._tokens(conf, body)
        if conf.ttft:
            await asyncio.sleep(conf.ttft)
        msg: dict[str, Any] = {"role": "assistant", "content": "".join(content)}
        if reasoning:
            msg["reasoning_content" if "reasoning-content" in conf.flags else "reasoning"] = "".join(reasoning)
        out = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
               "model": body.get("model"), "choices": [{"index": 0, "message": msg, "finish_reason": finish}]}
        if "no-usage" not in conf.flags and "llamacpp" not in conf.flags:
            out["usage"] = self._usage(body, len(content), len(reasoning))
            if "cost" in conf.flags:
                out["usage"]["cost"] = 0.000123
        rec.outcome = "done"
        await self._send(writer, 200, out)

    def _usage(self, body: dict, n_content: int, n_reason: int) -> dict:
        u = {"prompt_tokens": self._prompt_tokens(body), "completion_tokens": n_content + n_reason,
             "total_tokens": self._prompt_tokens(body) + n_content + n_reason}
        if n_reason:
            u["completion_tokens_details"] = {"reasoning_tokens": n_reason}
        return u

    async def _stream(self, rec: RequestRecord, body: dict, conf: _Conf, writer: asyncio.StreamWriter) -> bool:
        reasoning, content, finish = self._tokens(conf, body)
        flags = conf.flags
        model = json.dumps(body.get("model"))
        head = ('data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":%d,"model":%s,'
                '"choices":[{"index":0,"delta":' % (int(time.time()), model))
        rfield = "reasoning_content" if "reasoning-content" in flags else "reasoning"
        usage_obj = self._usage(body, len(content), len(reasoning))
        if "cost" in flags:
            usage_obj["cost"] = 0.000123
        usage = json.dumps(usage_obj)
        if "multi-token" in flags:
            content = ["".join(content[i:i + 4]) for i in range(0, len(content), 4)]
        elif "char-chunks" in flags:
            whole = "".join(content)
            content = [whole[i:i + 3] for i in range(0, len(whole), 3)]
        events = LazyEvents(head, rfield, reasoning, content)  # rendered as sent: cheap to set up
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if "done-no-finish" in flags:
            tail = ""
        elif "llamacpp" in flags:
            n = usage_obj["completion_tokens"]
            timings = {**TIMINGS, "predicted_n": n, "predicted_ms": n * TIMINGS["predicted_per_token_ms"]}
            tail = head + '{},"finish_reason":"%s"}],"timings":%s}\n\n' % (finish, json.dumps(timings))
        elif "usage-in-choice" in flags:
            tail = head + '{},"finish_reason":"%s"}],"usage":%s}\n\n' % (finish, usage)
        else:
            tail = head + '{},"finish_reason":"%s"}]}\n\n' % finish
            if include_usage and "no-usage" not in flags:
                tail += ('data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":0,"model":%s,'
                         '"choices":[],"usage":%s}\n\n' % (model, usage))
        tail += "data: [DONE]\n\n"
        cut_at = len(events) // 2 if "cut" in flags else None
        err_at = len(events) // 2 if "midstream-error" in flags else None
        eol = b"\n" if "bare-lf" in flags else b"\r\n"
        writer.write(eol.join([b"HTTP/1.1 200 OK", b"content-type: text/event-stream", b"cache-control: no-cache",
                               b"transfer-encoding: chunked", b"", b""]))
        # event i (i >= 1, tokens) is due at ttft + (i-1)/rate after the request came in (building the
        # events above is the fake's own cost, not part of its TTFT); the role chunk goes with token 1
        start = rec.t_received
        try:
            i = 0
            while i < len(events):
                if i == cut_at:
                    rec.outcome = "cut"
                    writer.close()  # flushes what was sent, then FIN: no terminating chunk
                    return False
                if i == err_at:
                    e = json.dumps(self._err("upstream model crashed", "server_error"))
                    self._write_chunk(writer, f"data: {e}\n\n".encode())
                    writer.write(b"0\r\n\r\n")
                    await writer.drain()
                    rec.outcome = "error"
                    return True
                due = start + conf.ttft + (max(i - 1, 0) / conf.rate if conf.rate else 0.0)
                delay = due - time.perf_counter()
                if delay > 0.0005:
                    await asyncio.sleep(delay)
                # send every event already due (coalesce when behind schedule)
                now = time.perf_counter()
                batch = [events[i]]
                i += 1
                while i < len(events) and i != cut_at and i != err_at:
                    nxt = start + conf.ttft + ((i - 1) / conf.rate if conf.rate else 0.0)
                    if nxt > now:
                        break
                    batch.append(events[i])
                    i += 1
                if "comments" in flags:
                    batch = [b": OPENROUTER PROCESSING\n\n" + e for e in batch]
                data = b"".join(batch)
                self._write_chunk(writer, data)
                if rec.t_first_chunk is None:
                    rec.t_first_chunk = time.perf_counter()
                rec.chunks_sent += len(batch)
                await writer.drain()
                if writer.transport.is_closing():
                    rec.outcome = "disconnected"
                    return False
            self._write_chunk(writer, tail.encode())
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            rec.outcome = "done"
            return True
        except (ConnectionError, OSError):
            rec.outcome = "disconnected"
            return False
        except asyncio.CancelledError:
            if rec.outcome == "open":
                rec.outcome = "disconnected"
            raise

    @staticmethod
    def _write_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(b"%x\r\n%s\r\n" % (len(data), data))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="loopback OpenAI-compatible fake server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ttft", type=float, default=0.0)
    ap.add_argument("--rate", type=float, default=0.0, help="tokens per second (0 = as fast as possible)")
    ap.add_argument("--tokens", type=int, default=20)
    ap.add_argument("--stats", metavar="FILE", help="on SIGTERM, write one JSON line per chat request (timings)")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate (PEM files)")
    a = ap.parse_args(argv)
    ctx = None
    if a.tls:
        import ssl

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*a.tls)
    srv = FakeServer(ttft=a.ttft, tokens_per_s=a.rate, n_tokens=a.tokens, port=a.port, ssl=ctx)

    async def run() -> None:
        await srv.serve()
        stop = asyncio.Event()
        if a.stats:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print(srv.base_url, flush=True)
        await stop.wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    if a.stats:
        with open(a.stats, "w") as f:
            for r in srv.chat_requests:
                body = r.body if isinstance(r.body, dict) else {}
                f.write(json.dumps({"model": body.get("model"), "content": (body.get("messages") or [{}])[-1].get(
                    "content"), "t_received": r.t_received, "t_first_chunk": r.t_first_chunk, "ttft": r.ttft}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
