"""A hostile loopback server for the hardening tests of time limits, secrets and error messages:
``FakeServer`` with more behaviours, chosen by model name as there (joined with ``+``).

Unlike ``FakeServer`` it serves only under ``/v1/`` (anything else is a vLLM-style 404
``{"detail": "Not Found"}``), and ``owned_by`` / ``server_header`` say what it claims to be.
"""

from __future__ import annotations

import asyncio
import json

from tests.fakeserver import FakeServer

HOSTILE = {
    "hang": "reads the request, never answers (the connection stays open)",
    "trickle": "200 and an SSE head at once, then a ': keep-alive' comment every trickle_s, forever",
    "echo-key": "streams an answer that quotes the bearer key it was sent",
    "echo-key-error": "400 whose message quotes the bearer key",
    "forbidden": "403 with an OpenAI error body (the key is fine, the model is not allowed)",
    "html-502": "502 with a proxy's HTML page",
    "retry-hour": "429 with Retry-After: 3600",
}

HTML_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
            "</center>\r\n<hr><center>nginx/1.25.3</center>\r\n" + "<!-- a padding to disable MSIE -->\r\n" * 6
            + "</body>\r\n</html>\r\n")


class HostileServer(FakeServer):
    def __init__(self, *, owned_by: str = "fake", server_header: str = "", trickle_s: float = 0.05, **kw) -> None:
        kw.setdefault("models", ["fake-model", *HOSTILE])
        super().__init__(**kw)
        self.owned_by = owned_by
        self.server_header = server_header
        self.trickle_s = trickle_s

    async def _raw(self, writer, status: int, reason: str, body: bytes, ctype: str, extra: dict[str, str]) -> None:
        head = [f"HTTP/1.1 {status} {reason}", f"content-type: {ctype}", f"content-length: {len(body)}"]
        if self.server_header:
            head.append(f"server: {self.server_header}")
        head += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()

    async def _route(self, rec, reader, writer) -> bool:
        if not rec.path.startswith("/v1/"):
            rec.status, rec.outcome = 404, "error"
            await self._raw(writer, 404, "Not Found", b'{"detail":"Not Found"}', "application/json", {})
            return True
        if rec.method == "GET" and rec.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": self.owned_by} for m in self.models]
            await self._raw(writer, 200, "OK", json.dumps({"object": "list", "data": data}).encode(),
                            "application/json", {})
            rec.outcome = "done"
            return True
        body = rec.body if isinstance(rec.body, dict) else {}
        flags = set(str(body.get("model", "")).split("+"))
        key = rec.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if "hang" in flags:
            rec.outcome = "hang"
            await asyncio.Event().wait()  # until the client goes away and the server is stopped
        if "trickle" in flags:
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            rec.outcome = "trickle"
            while True:
                self._write_chunk(writer, b": keep-alive\n\n")
                await writer.drain()
                await asyncio.sleep(self.trickle_s)
        if "echo-key" in flags:
            text = f"Your key is {key}, keep it safe."
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "echo-key",
                     "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
            end = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            data = f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            self._write_chunk(writer, data)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            rec.outcome = "done"
            return True
        err = None
        if "echo-key-error" in flags:
            err = (400, "Bad Request", self._err(f"Invalid API key: {key}", "invalid_request_error"), {})
        elif "forbidden" in flags:
            err = (403, "Forbidden", self._err("You are not allowed to sample from this model",
                                               "invalid_request_error", "model_not_allowed"), {})
        elif "retry-hour" in flags:
            err = (429, "Too Many Requests", self._err("Quota exhausted", "requests"), {"retry-after": "3600"})
        if err is not None:
            status, reason, obj, extra = err
            rec.status, rec.outcome = status, "error"
            await self._raw(writer, status, reason, json.dumps(obj).encode(), "application/json", extra)
            return True
        if "html-502" in flags:
            rec.status, rec.outcome = 502, "error"
            await self._raw(writer, 502, "Bad Gateway", HTML_502.encode(), "text/html", {"retry-after-ms": "5"})
            return True
        return await super()._route(rec, reader, writer)
