"""The asyncio-native socket layer under httpx2 (tuiarena.providers.aionet), over real loopback sockets."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest

from tests.fakeserver import FakeServer
from tuiarena.model import Params, TextDelta
from tuiarena.providers import aionet
from tuiarena.providers.base import EndpointSpec
from tuiarena.providers.openai_compat import OpenAICompatProvider


async def _serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _client(**kw) -> httpx2.AsyncClient:
    transport = httpx2.AsyncHTTPTransport()
    assert aionet.install(transport)
    return httpx2.AsyncClient(transport=transport, **kw)


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
            assert isinstance(r.extensions["network_stream"], aionet.AsyncioStream)
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
    async with _client() as client:
        async with asyncio.timeout(20), client.stream("GET", f"http://127.0.0.1:{port}/") as r:
            await asyncio.sleep(0.3)  # let the socket fill our buffer past the threshold
            assert r.extensions["network_stream"]._p.paused  # flow control kicked in
            async for part in r.aiter_raw():
                got += len(part)
                assert len(part) <= 64 * 1024
    assert got == size
    server.close()
