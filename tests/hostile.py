"""A hostile loopback server for the hardening tests (issue 15): the fake server of
``tests/fakeserver.py`` plus behaviours a broken or malicious server shows, chosen by model name.

Behaviours (join with ``+`` like the fake server's own):

- ``inject``: the answer and reasoning carry terminal control sequences: clear screen, window
  title, OSC 52 clipboard write, an 8-bit CSI (U+009B), bell, backspace, carriage return.
- ``inject-error``: a 400 whose error message carries the same sequences.
- ``deep``: a stream chunk nested 500 deep (1 KB of brackets).
- ``hold``: requests past the first ``free`` ones are held open, never answered (until stop).

``/v1/models`` lists, besides the usual names, one whose id carries an escape sequence.
Every request is counted under a condition variable: tests wait on :meth:`wait_requests`
(a server-side count), never on sleeps.
"""

from __future__ import annotations

import asyncio
import json
import threading

from tests.fakeserver import FakeServer
from tests.fakeserver_parts import RequestRecord, _Conf

INJECT = ["ok ", "\x1b[2J\x1b[H", "cleared ", "\x1b]0;pwned-title\x07", "title ", "\x1b]52;c;cHduZWQ=\x07",
          "clip ", "\x9b31mcsi8 ", "bell\x07 ", "back\x08\x08 ", "cr\rover ", "\x1bPdcs\x1b\\ ", "end"]
EVIL_MODEL = "evil\x1b]0;model-title\x07\x1b[31mred"
DEEP = "[" * 500 + "]" * 500


class HostileServer(FakeServer):
    def __init__(self, *, free: int = 1_000_000, **kw) -> None:
        super().__init__(**kw)
        self.models = [*self.models, "inject", "inject-error", "deep", "hold", EVIL_MODEL]
        self.free = free  # with "hold": how many chat requests are answered before holding
        self.cond = threading.Condition()
        self.chat_count = 0
        self._held: list[asyncio.Future] = []

    def wait_requests(self, n: int, timeout: float = 30.0) -> bool:
        """Block until the server has received at least ``n`` chat requests."""
        with self.cond:
            return self.cond.wait_for(lambda: self.chat_count >= n, timeout)

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: [f.cancel() for f in self._held])
        super().stop()

    async def _route(self, rec: RequestRecord, reader, writer) -> bool:
        body = rec.body if isinstance(rec.body, dict) else {}
        flags = set(str(body.get("model", "")).split("+"))
        if rec.method == "POST" and rec.path.rstrip("/").endswith("/chat/completions"):
            with self.cond:
                self.chat_count += 1
                n = self.chat_count
                self.cond.notify_all()
            if "hold" in flags and n > self.free:
                fut = asyncio.get_running_loop().create_future()
                self._held.append(fut)
                try:
                    await fut  # never answered: the client must give up (cancel) on its own
                except asyncio.CancelledError:
                    rec.outcome = "disconnected"
                    raise
                return False
            if "inject-error" in flags:
                rec.status, rec.outcome = 400, "error"
                await self._send(writer, 400, self._err("bad \x1b]0;err-title\x07\x1b[2J\x9b1m request", "invalid_request_error"))
                return True
            if "deep" in flags and body.get("stream"):
                return await self._deep(rec, body, writer)
        return await super()._route(rec, reader, writer)

    @staticmethod
    def _tokens(conf: _Conf, body: dict) -> tuple[list[str], list[str], str]:
        if "inject" in conf.flags:
            return ["think \x1b]52;c;cmVhc29u\x07 ", "\x9b2J"], list(INJECT), "stop"
        return FakeServer._tokens(conf, body)

    async def _deep(self, rec: RequestRecord, body: dict, writer) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        first = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "x"}}]}
        self._write_chunk(writer, f"data: {json.dumps(first)}\n\n".encode())
        deep = '{"choices":[{"index":0,"delta":{"content":%s}}]}' % DEEP  # noqa: UP031
        self._write_chunk(writer, f"data: {deep}\n\n".encode())
        self._write_chunk(writer, b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        rec.outcome = "done"
        return True


def config_toml(base_url: str, models: list[str] | None = None) -> str:
    """A config.toml with one endpoint ``hostile`` on the server (no retries: failures stay quick)."""
    listed = "" if models is None else f"models = {json.dumps(models)}\n"
    return f'[endpoints.hostile]\nbase_url = "{base_url}"\n{listed}max_retries = 0\n'
