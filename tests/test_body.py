"""Reading a chunked body straight off the socket (tuiarena.providers.net.body), framed by
httptools (llhttp), with connections reused."""

from __future__ import annotations

import asyncio
import json

import httpx2
import pytest

from tests.fakeserver import FakeServer
from tuiarena.model import EndpointSpec, Params, ProviderError, StreamEnd, TextDelta
from tuiarena.providers.net import body as body_mod
from tuiarena.providers.net.http11 import _Framing
from tuiarena.providers.openai_compat import OpenAICompatProvider

MSGS = [{"role": "user", "content": "hi"}]


def _chunked(*parts: bytes, ext: bool = False) -> bytes:
    return b"".join(b"%x%s\r\n%s\r\n" % (len(p), b";name=v" if ext else b"", p) for p in parts)


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"


def _decode(wire: bytes, cuts: list[int]) -> tuple[bytes, _Framing]:
    framing, out = _Framing(), b""
    for a, b in zip([0, *cuts], [*cuts, len(wire)]):
        framing.feed(wire[a:b])
        out += b"".join(framing.body)
        framing.body.clear()
    return out, framing


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_framing_any_split(step):
    wire = CHUNKED_HEAD + _chunked(b"hello ", b"chunked\r\n", b"world", ext=step == 3) + b"0\r\ntrailer: x\r\n\r\n"
    out, framing = _decode(wire, list(range(step, len(wire), step)))
    assert out == b"hello chunked\r\nworld"
    assert framing.complete and not framing.extra and framing.status == 200
    assert framing.headers == [(b"transfer-encoding", b"chunked")]  # the trailer is not a header


def test_framing_random_splits_match_the_payload():
    import random

    rng = random.Random(7)
    for _ in range(200):
        parts = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) for _ in range(rng.randrange(1, 8))]
        wire = CHUNKED_HEAD + _chunked(*parts, ext=rng.random() < 0.2) + b"0\r\n\r\n"
        cuts = sorted(rng.sample(range(1, len(wire)), min(len(wire) - 1, rng.randrange(0, 12))))
        out, framing = _decode(wire, cuts)
        assert out == b"".join(parts) and framing.complete


def test_framing_bytes_after_the_response_and_errors():
    out, framing = _decode(CHUNKED_HEAD + _chunked(b"abc") + b"0\r\n\r\nNEXT garbage", [])
    assert out == b"abc" and framing.complete and framing.extra  # the connection is not reused
    out, framing = _decode(b"HTTP/1.1 200 OK\ncontent-length: 2\n\nhi", [])  # bare LF head
    assert out == b"hi" and framing.complete
    with pytest.raises(httpx2.RemoteProtocolError):
        _Framing().feed(CHUNKED_HEAD + b"zz\r\nhello\r\n")


def _provider(base_url: str) -> OpenAICompatProvider:
    spec = EndpointSpec(name="t", base_url=base_url, api_key_env=None, source="local", max_retries=0)
    return OpenAICompatProvider(spec)


@pytest.fixture
def direct_seen(monkeypatch):
    seen: list[bool] = []
    finish = body_mod.Body.finish

    async def spy(self):
        seen.append(self.direct)
        await finish(self)

    monkeypatch.setattr(body_mod.Body, "finish", spy)
    return seen


async def _text(provider, model="fake-model") -> str:
    out = []
    async for ev in provider.stream(model, MSGS, Params()):
        if isinstance(ev, TextDelta):
            out.append(ev.text)
    return "".join(out)


async def test_fake_server_streams_are_read_directly_and_reuse_one_connection(direct_seen):
    with FakeServer(n_tokens=30, tokens_per_s=2000) as srv:
        provider = _provider(srv.base_url)
        for _ in range(4):
            assert await _text(provider) == " ".join(f"tok{i}" for i in range(30))
        await provider.aclose()
        assert srv.connections == 1
    assert direct_seen == [True] * 4


def _sse(*texts: str, usage: bool = True) -> list[bytes]:
    def ev(obj):
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    out = [ev({"choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]}) for t in texts]
    out.append(ev({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    if usage:
        out.append(ev({"choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": len(texts)}}))
    out.append(b"data: [DONE]\n\n")
    return out


async def _serve(respond):
    """A loopback server that answers each request on a connection with ``respond(n)`` bytes."""
    conns = []

    async def handler(reader, writer):
        conns.append(writer)
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
                await reader.readexactly(length[0] if length else 0)
                for piece in respond(n):
                    writer.write(piece)
                    await writer.drain()
                n += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", conns


HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


async def test_head_and_body_in_one_segment_with_a_trailer(direct_seen):
    # Everything in one write: the head arrives with the whole body, which llhttp frames in one go.
    def respond(n):
        return [HEAD + _chunked(*_sse("a", "b", str(n))) + b"0\r\nx-trailer: 1\r\n\r\n"]

    server, url, conns = await _serve(respond)
    provider = _provider(url)
    assert await _text(provider) == "ab0"
    assert await _text(provider) == "ab1"
    await provider.aclose()
    server.close()
    assert len(conns) == 1 and direct_seen == [True, True]


async def test_a_content_length_body_is_read_directly_too(direct_seen):
    def respond(n):
        body = b"".join(_sse("x", "y"))
        return [b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n" % len(body), body]

    server, url, conns = await _serve(respond)
    provider = _provider(url)
    assert await _text(provider) == "xy"
    assert await _text(provider) == "xy"
    await provider.aclose()
    server.close()
    assert len(conns) == 1 and direct_seen == [True, True]


async def test_a_compressed_body_is_read_through_httpx(direct_seen):
    import gzip

    def respond(n):
        body = gzip.compress(b"".join(_sse("z", "w")))
        return [b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n"
                b"content-length: %d\r\n\r\n" % len(body), body]

    server, url, conns = await _serve(respond)
    provider = _provider(url)
    assert await _text(provider) == "zw"
    assert await _text(provider) == "zw"
    await provider.aclose()
    server.close()
    assert len(conns) == 1 and direct_seen == [False, False]


async def test_cut_in_the_middle_of_a_chunk():
    def respond(n):
        whole = _chunked(*_sse("a", "b"))
        return [HEAD + whole[:30]]  # then the handler waits for a request that never comes...

    server, url, conns = await _serve(respond)
    provider = _provider(url)

    async def cut_soon():
        await asyncio.sleep(0.2)
        for w in conns:
            w.transport.abort()

    cutter = asyncio.ensure_future(cut_soon())
    with pytest.raises(ProviderError) as ei:
        await _text(provider)
    await cutter
    assert ei.value.kind == "cut"
    await provider.aclose()
    server.close()


async def test_stream_end_is_the_arrival_of_the_last_bytes():
    def respond(n):
        parts = _sse("a", "b")
        return [HEAD + _chunked(*parts[:2]), _chunked(*parts[2:]) + b"0\r\n\r\n"]

    server, url, _conns = await _serve(respond)
    provider = _provider(url)
    events = [ev async for ev in provider.stream("m", MSGS, Params())]
    await provider.aclose()
    server.close()
    end = [e for e in events if isinstance(e, StreamEnd)]
    texts = [e for e in events if isinstance(e, TextDelta)]
    assert len(end) == 1 and end[0].t >= texts[-1].t
