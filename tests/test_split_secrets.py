"""Issue 15, class 7: a key the server echoes never reaches the screen (the live pieces) nor the
session, even when the stream cuts it in two. The real openai SDK against a loopback server that
sends the first half of the key, then waits until tuiarena has shown what it got before sending the
rest (so the halves are two pieces for sure, with no sleep)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from tests.hostile_out import HostileServer
from tuiarena import secrets
from tuiarena.engine.run.runner import Runner
from tuiarena.model import EndpointSpec, ProviderError, ResponseDelta, ResponseDone, StreamFinish, TextDelta
from tuiarena.providers import openai_compat
from tuiarena.providers.redact_stream import RollingRedactor, redacted_stream
from tuiarena.providers.registry import Registry
from tuiarena.store.session_lines import parse_line
from tuiarena.store.sessions import SessionWriter

KEY = "sk-split-0123456789abcdef"
CUT = 9  # the first piece ends inside the key: "...is sk-split-"


class SplitServer(HostileServer):
    """``echo-key-split``: the answer quotes the bearer key, cut in two pieces; the second is sent
    once ``go`` is set (by the test, when the first piece has reached the screen)."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.go = threading.Event()

    async def _route(self, rec, reader, writer) -> bool:
        body = rec.body if isinstance(rec.body, dict) else {}
        if body.get("model") != "echo-key-split":
            return await super()._route(rec, reader, writer)
        key = rec.headers.get("authorization", "").removeprefix("Bearer ").strip()
        reasoning = "<think>" in str(body.get("messages"))
        field = "reasoning_content" if reasoning else "content"

        def event(delta: dict, finish: str | None = None) -> bytes:
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "echo-key-split",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(chunk)}\n\n".encode()

        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        self._write_chunk(writer, event({field: f"Your key is {key[:CUT]}"}))
        await writer.drain()
        await asyncio.to_thread(self.go.wait, 10)
        rest = event({field: f"{key[CUT:]}, keep it safe."})
        if reasoning:
            rest += event({"content": "done"})
        self._write_chunk(writer, rest + event({}, "stop") + b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        rec.outcome = "done"
        return True


@pytest.fixture
def srv(monkeypatch):
    monkeypatch.setenv("SPLIT_KEY", KEY)  # a name no pattern catches: known because the config names it
    secrets.watch_env("SPLIT_KEY")
    with SplitServer(n_tokens=5) as s:
        yield s
    secrets.forget_all()


@pytest.fixture(params=["http11", "httpx2"])
def transport(request, monkeypatch):
    if request.param == "httpx2":
        monkeypatch.setattr(openai_compat, "_proxied", lambda url: True)
    return request.param


@pytest.mark.parametrize("prompt", ["hi", "<think> hi"])
async def test_a_key_cut_in_two_pieces_reaches_neither_screen_nor_session(srv, transport, prompt, tmp_path):
    seen: list = []

    def screen(ev) -> None:  # what the UI draws from: every live piece
        seen.append(ev)
        if isinstance(ev, ResponseDelta):
            srv.go.set()

    spec = EndpointSpec(name="h", base_url=srv.base_url, api_key_env="SPLIT_KEY", max_retries=0)
    writer = SessionWriter.create(directory=tmp_path)
    runner = Runner(Registry([spec], include_demo=False), None, [screen, writer])
    try:
        (rec,) = await runner.run(["h/echo-key-split"], [{"role": "user", "content": prompt}])
    finally:
        await runner.registry.aclose()
        writer.close()
    pieces = [ev for ev in seen if isinstance(ev, ResponseDelta)]
    assert len(pieces) >= 2 and not any(KEY[:CUT] in p.text for p in pieces[:1])  # the half was held back
    shown = "".join(p.text for p in pieces)
    assert KEY not in shown and "sk-split" not in shown
    assert shown.startswith("Your key is [redacted], keep it safe.")
    assert rec.status == "done" and KEY not in rec.text + rec.reasoning and "[redacted]" in rec.text + rec.reasoning
    stored = [parse_line(line) for line in writer.path.read_bytes().splitlines()[1:]]
    assert any(isinstance(ev, ResponseDone) for ev in stored) and KEY[CUT:] not in writer.path.read_text()


def test_the_rolling_redactor_holds_back_only_what_could_start_a_secret():
    r = RollingRedactor(["sk-abcdef", "zz-longer-key"])
    out = [r.feed("a key: s"), r.feed("k-ab"), r.feed("cdef and sk"), r.feed("-no"), r.feed(" zz-long"), r.feed("ish")]
    assert out == ["a key: ", "", "[redacted] and ", "sk-no", " ", "zz-longish"] and r.flush() == ""
    r.feed("tail s")
    assert r.held == "s" and r.flush() == "s"
    assert RollingRedactor([]).feed("anything s") == "anything s"
    text = "x sk-abcdef y zz-longer-key z sk-abcdef"
    for size in range(1, len(text) + 1):  # every cut of the text into pieces of one size
        r = RollingRedactor(["zz-longer-key", "sk-abcdef"])
        got = "".join(r.feed(text[i : i + size]) for i in range(0, len(text), size)) + r.flush()
        assert got == "x [redacted] y [redacted] z [redacted]", size


async def test_held_text_keeps_its_arrival_time_and_a_cut_stream_keeps_its_text():
    async def source(cut: bool):
        yield TextDelta("ok s", 1.0)
        yield TextDelta("k-", 2.0)
        yield TextDelta("x", 3.0, chunks=2)
        yield TextDelta("sk-ab", 4.0)
        if cut:
            raise ProviderError("cut", "stream ended")
        yield StreamFinish("stop", 5.0)

    got = [ev async for ev in redacted_stream(source(False), ["sk-abcdef"])]
    assert [(e.text, e.t, e.chunks) for e in got if isinstance(e, TextDelta)] == \
        [("ok ", 1.0, 1), ("sk-x", 1.0, 3), ("sk-ab", 4.0, 1)]
    assert isinstance(got[-1], StreamFinish)
    cut: list = []
    with pytest.raises(ProviderError):
        async for ev in redacted_stream(source(True), ["sk-abcdef"]):
            cut.append(ev)
    assert "".join(e.text for e in cut) == "ok sk-xsk-ab"
