"""The guard in front of `tuiarena serve`: the token on every page and websocket, other sites'
websockets refused, loopback-only host names, and the command-line rules (a token for any
non-loopback address, generated when not given)."""

from __future__ import annotations

import sys

import aiohttp
import pytest

from tuiarena.ui.serve.addresses import is_loopback
from tuiarena.ui.serve.server import (
    BROWSER_COOKIE,
    TOKEN_COOKIE,
    ArenaServer,
)

TOKEN = "s3cret-token-for-tests"
# each websocket that gets through starts this instead of an app: it exits at once
DUMMY = f"{sys.executable} -c pass"


@pytest.fixture
async def guarded():
    server = ArenaServer(DUMMY, host="127.0.0.1", port=0, token=TOKEN)
    runner = await server.start()
    try:
        yield f"http://127.0.0.1:{server.bound_port}"
    finally:
        await runner.cleanup()


async def test_page_and_static_files_need_the_token(guarded):
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/static/js/textual.js", "/?token=wrong"):
            async with http.get(guarded + path) as resp:
                assert resp.status == 403, path
                assert TOKEN not in await resp.text()


async def test_the_token_link_sets_a_cookie_and_redirects_to_the_bare_page(guarded):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # unsafe: an IP host
        async with http.get(f"{guarded}/?token={TOKEN}", allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/"
            assert resp.cookies[TOKEN_COOKIE].value == TOKEN
            assert resp.cookies[TOKEN_COOKIE]["httponly"]
            assert len(resp.cookies[BROWSER_COOKIE].value) == 32
        async with http.get(guarded + "/") as resp:  # the cookie now carries the token
            assert resp.status == 200
            page = await resp.text()
            assert "<title>tuiarena arena</title>" in page
            assert "googleapis" not in page and TOKEN not in page
            assert resp.headers["Referrer-Policy"] == "no-referrer"
            assert 'data-session-websocket-url="ws://' in page
        async with http.get(guarded + "/", headers={"X-Forwarded-Proto": "https"}) as resp:  # behind HTTPS
            assert 'data-session-websocket-url="wss://' in await resp.text()


async def test_websocket_without_the_token_is_refused(guarded):
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(guarded + "/ws")
        assert err.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(guarded + "/ws?token=nope")
        assert err.value.status == 403


async def test_websocket_with_the_token_connects_but_not_from_another_site(guarded):
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(f"{guarded}/ws?token={TOKEN}", origin="http://evil.example")
        assert err.value.status == 403
        ws = await http.ws_connect(f"{guarded}/ws?token={TOKEN}", origin=guarded)
        await ws.close()


async def test_loopback_server_refuses_other_host_names():
    server = ArenaServer(DUMMY, host="127.0.0.1", port=0)
    runner = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{server.bound_port}/"
            async with http.get(url) as resp:
                assert resp.status == 200  # no token needed on loopback
            async with http.get(url, headers={"Host": "rebound.example"}) as resp:
                assert resp.status == 403
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                            ("example.com", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_serve_command_generates_a_token_for_a_non_loopback_address(monkeypatch, capsys):
    from tuiarena.cli import main
    from tuiarena.ui.serve import server as server_mod

    seen = {}
    monkeypatch.setattr(server_mod.ArenaServer, "run_forever", lambda self: seen.update(token=self.token,
                                                                                         host=self.host))
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    out = capsys.readouterr().out
    assert seen["host"] == "0.0.0.0" and seen["token"] and len(seen["token"]) >= 20
    assert f"?token={seen['token']}" in out and "generated" in out
    assert main(["serve"]) == 0  # loopback: no token
    assert seen["token"] is None


def test_serve_command_rejects_bad_input(capsys, tmp_path):
    from tuiarena.cli import main

    assert main(["serve", "--token", "short"]) == 2
    assert "at least 8" in capsys.readouterr().err
    assert main(["serve", "--port", "70000"]) == 2
    assert main(["serve", "--model", "demo/swift"]) == 2
    assert "at least two models" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "nope": 1}\n', encoding="utf-8")
    assert main(["serve", "--prompts", str(bad)]) == 2
    assert "bad.jsonl" in capsys.readouterr().err


def test_serve_command_also_prints_the_address_for_0_0_0_0(monkeypatch, capsys):
    from tuiarena.cli import main
    from tuiarena.ui.serve import addresses
    from tuiarena.ui.serve import server as server_mod

    monkeypatch.setattr(server_mod.ArenaServer, "run_forever", lambda self: None)
    monkeypatch.setattr(addresses, "outward_address", lambda: "10.1.2.3")
    assert main(["serve", "--host", "0.0.0.0", "--port", "8124", "--token", "team-secret-1"]) == 0
    out = capsys.readouterr().out
    assert "http://10.1.2.3:8124/?token=team-secret-1" in out
    monkeypatch.setattr(addresses, "outward_address", lambda: None)  # no route: the name only
    assert main(["serve", "--host", "0.0.0.0", "--port", "8124", "--token", "team-secret-1"]) == 0
    assert "where that name" not in capsys.readouterr().out
