"""tuiarena's HTTP/1.1 transport for endpoints reached directly (providers.net.http11 over providers.net.sockets),
under a real httpx2 client and the real SDK, over loopback sockets."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest

from tests.fakeserver import FakeServer
from tuiarena.model import EndpointSpec, Params, TextDelta
from tuiarena.providers.net import http11, sockets
from tuiarena.providers.openai_compat import OpenAICompatProvider


async def _serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _client(**kw) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=http11.HTTP11Transport(), **kw)


async def test_provider_uses_it_and_times_tokens_by_arrival():
    with FakeServer(ttft=0.02, tokens_per_s=200, n_tokens=10) as srv:
        spec = EndpointSpec(name="t", base_url=srv.base_url, api_key_env=None, source="local", max_retries=0)
        provider = OpenAICompatProvider(spec)
        t0 = time.perf_counter()
        seen = []
        async for ev in provider.stream("fake-model", [{"role": "user", "content": "hi"}], Params()):
            if isinstance(ev, TextDelta):
                seen.append((ev.t, time.perf_counter()))
        await provider.aclose()
    assert len(seen) >= 2
    first_t = seen[0][0]
    assert first_t - t0 >= 0.02  # not before the server's TTFT
    for arrived, handed_over in seen:
        assert t0 < arrived <= handed_over  # an arrival time, never later than when we got it
    assert [a for a, _ in seen] == sorted(a for a, _ in seen)


async def test_body_and_keepalive_reuse():
    async def handler(reader, writer):
        while True:
            try:
                await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
            await writer.drain()
        writer.close()

    server, port = await _serve(handler)
    async with _client() as client:
        for _ in range(3):
            r = await client.get(f"http://127.0.0.1:{port}/")
            assert r.text == "hello"
            assert isinstance(r.extensions["network_stream"], sockets.AsyncioStream)
    server.close()


async def test_read_timeout_and_refused_connection():
    async def silent(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(1)
        writer.close()

    server, port = await _serve(silent)
    async with _client(timeout=httpx2.Timeout(5, read=0.05)) as client:
        with pytest.raises(httpx2.ReadTimeout):
            await client.get(f"http://127.0.0.1:{port}/")
        with pytest.raises(httpx2.ConnectError):
            await client.get("http://127.0.0.1:1/")
    server.close()


async def test_server_closing_mid_body_is_an_error_not_a_short_body():
    async def cut(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this")
        await writer.drain()
        writer.close()

    server, port = await _serve(cut)
    async with _client() as client:
        with pytest.raises(httpx2.RemoteProtocolError):
            await client.get(f"http://127.0.0.1:{port}/")
    server.close()


async def test_large_body_with_a_slow_reader_pauses_and_resumes():
    size = 3 * (1 << 20)  # past the pause threshold

    async def big(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
        for _ in range(size // 65536):
            writer.write(b"x" * 65536)
            await writer.drain()
        writer.close()

    server, port = await _serve(big)
    got = 0
    async with _client() as client, asyncio.timeout(20), client.stream("GET", f"http://127.0.0.1:{port}/") as r:
        await asyncio.sleep(0.3)  # let the socket fill our buffer past the threshold
        assert r.extensions["network_stream"]._p.paused  # flow control kicked in
        async for part in r.aiter_raw():
            got += len(part)
            assert len(part) <= 64 * 1024
    assert got == size
    server.close()


async def _conversation(answers):
    """A server that reads requests one after another on each connection and answers the n-th
    request (over all connections) with ``answers[n]`` (bytes, or a callable of the writer)."""
    seen: list[bytes] = []
    conns: list = []

    async def handler(reader, writer):
        conns.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
                seen.append(head + await reader.readexactly(length[0] if length else 0))
                answer = answers[len(seen) - 1]
                if callable(answer):
                    await answer(writer)
                    if writer.is_closing():
                        return
                else:
                    writer.write(answer)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", seen, conns


async def test_request_goes_out_whole_with_host_and_length():
    server, url, seen, _ = await _conversation([b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"])
    async with _client() as client:
        r = await client.post(url + "/v1/x?a=1", json={"k": "v"})
    server.close()
    assert r.status_code == 200 and r.text == "ok" and r.reason_phrase == "OK"
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/x?a=1 HTTP/1.1"
    names = {line.split(b":")[0].lower() for line in lines[1:]}
    assert {b"host", b"content-length", b"content-type"} <= names
    assert body == b'{"k":"v"}' or json_equal(body)


async def test_a_streamed_request_body_goes_with_its_length():
    server, url, seen, _ = await _conversation([b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"])

    async def parts():
        yield b"ab"
        yield b"cd"

    async with _client() as client:
        assert (await client.post(url, content=parts())).status_code == 200
    server.close()
    head, _, body = seen[0].partition(b"\r\n\r\n")
    assert body == b"abcd" and b"content-length: 4" in head.lower() and b"transfer-encoding" not in head.lower()


def json_equal(body: bytes) -> bool:
    import json

    return json.loads(body) == {"k": "v"}


async def test_bodiless_answers_informational_heads_and_reuse():
    answers = [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nhead",  # answered to a HEAD: no body follows
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
    ]
    server, url, seen, conns = await _conversation(answers)
    answers[2] = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"
    async with _client() as client:
        assert (await client.get(url)).status_code == 204
        r = await client.get(url)
        assert (r.status_code, r.text) == (200, "abc")
        r = await client.head(url)
        assert r.status_code == 200 and r.content == b""
        assert (await client.get(url)).text == "xyz"
    server.close()
    assert len(seen) == 4 and len(conns) == 1  # one connection for all four


async def test_connection_close_and_body_to_the_end():
    async def until_close(writer):
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nall of ")
        writer.write(b"it")
        await writer.drain()
        writer.close()

    answers = [b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na", until_close,
               b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb"]
    server, url, seen, conns = await _conversation(answers)
    async with _client() as client:
        assert (await client.get(url)).text == "a"
        assert (await client.get(url)).text == "all of it"
        assert (await client.get(url)).text == "b"
    server.close()
    assert len(conns) == 3  # neither of the first two connections could be reused


async def test_a_kept_alive_connection_the_server_closed_is_replaced():
    async def answer_then_close(writer):
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n1")
        await writer.drain()
        writer.close()  # without saying so: the client still holds the connection as idle

    server, url, seen, conns = await _conversation([answer_then_close, b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n2"])
    async with _client() as client:
        assert (await client.get(url)).text == "1"
        assert (await client.get(url)).text == "2"
    server.close()
    assert len(conns) == 2


async def test_idle_connections_expire(monkeypatch):
    monkeypatch.setattr(http11, "KEEPALIVE_S", 0.05)
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nk"
    server, url, seen, conns = await _conversation([ok, ok])
    async with _client() as client:
        await client.get(url)
        await asyncio.sleep(0.1)
        await client.get(url)
    server.close()
    assert len(conns) == 2


@pytest.mark.parametrize("answer", [
    b"SPDY/3 200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
])
async def test_malformed_answers_are_protocol_errors(answer):
    server, url, _seen, _conns = await _conversation([answer])
    async with _client() as client:
        with pytest.raises(httpx2.RemoteProtocolError):
            await client.get(url)
    server.close()


async def test_https_needs_an_ssl_context():
    async with _client() as client:
        with pytest.raises(httpx2.UnsupportedProtocol):
            await client.get("https://127.0.0.1:9/")


async def test_cancelled_mid_body_closes_the_connection():
    async def slow(writer):
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n")
        await writer.drain()
        await asyncio.sleep(5)

    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nk"
    server, url, seen, conns = await _conversation([slow, ok])
    async with _client() as client:
        async with client.stream("GET", url) as r:
            async for part in r.aiter_raw():
                assert part == b"a"
                break  # leave with the body half read
        assert (await client.get(url)).text == "k"
    server.close()
    assert len(conns) == 2  # the half-read connection was not reused
