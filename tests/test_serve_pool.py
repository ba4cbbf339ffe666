"""The warm pool behind `tuiarena serve --warm N`: pooled app processes join the pool only once
their imports are done, and a connection served from the pool gets a working app (the readiness
line never reaches the browser); a pooled command that cannot start leaves connections served
without the pool."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from tests.serve_helpers import plain
from tuiarena.ui.serve.command import app_command
from tuiarena.ui.serve.server import ArenaServer

MODELS = ["demo/swift", "demo/steady"]


async def _until(condition, what: str, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _read_until(ws, needle: str, timeout: float = 60) -> str:
    text = ""

    async def read() -> None:
        nonlocal text
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                text += msg.data.decode("utf-8", "replace")
                if needle in plain(text):
                    return
        raise AssertionError(f"the socket closed before {needle!r}: {plain(text)[-300:]!r}")

    await asyncio.wait_for(read(), timeout)
    return text


async def test_pool_fills_with_ready_processes_and_serves_from_them(tuiarena_home):
    server = ArenaServer(app_command("arena", MODELS, None), host="127.0.0.1", port=0, warm=2)
    runner = await server.start()
    try:
        await _until(lambda: server.pool_ready == 2, "two ready pooled processes")
        url = f"http://127.0.0.1:{server.bound_port}"
        async with aiohttp.ClientSession() as http, http.ws_connect(url + "/ws?width=100&height=30",
                                                                       origin=url) as ws:
            text = await _read_until(ws, "Your name for the leaderboard")
            assert server.pool_ready == 1  # the connection took one; the refill waits for calm
            assert "tuiarena-pooled-ready" not in text
            await ws.send_str('["stdin", "\\u0011"]')  # ctrl+q: the app quits
    finally:
        await runner.cleanup()


async def test_a_pooled_command_that_cannot_start_leaves_connections_served(tuiarena_home):
    # "-c pass --pooled": exits at once without the readiness line; so does each connection's app
    server = ArenaServer(f"{sys.executable} -c pass", host="127.0.0.1", port=0, warm=1)
    runner = await server.start()
    try:
        url = f"http://127.0.0.1:{server.bound_port}"
        async with aiohttp.ClientSession() as http, http.ws_connect(url + "/ws", origin=url) as ws:
            async for _msg in ws:  # the app exits: the server closes the socket
                pass
        assert server.pool_ready == 0
    finally:
        await runner.cleanup()
