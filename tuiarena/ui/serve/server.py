"""The web server behind ``tuiarena serve``: textual-serve's aiohttp app with a guard in front.

``ArenaServer`` is ``textual_serve.server.Server`` (one app process per browser websocket) plus:

- a token: when set, every request (page, static file, websocket, download) needs it, either as
  ``?token=`` (the page then stores it in an HttpOnly cookie and redirects to the bare URL) or
  as that cookie; anything else gets 403. Compared in constant time.
- origin checks: a websocket whose ``Origin`` is not this server's own host is refused (another
  web page cannot drive a voter's arena), and on loopback only loopback ``Host`` names are served
  (no DNS rebinding).
- a browser id cookie (random, HttpOnly) handed to each app process as ``TUIARENA_BROWSER_ID``,
  so the voter label is asked once per browser.
- our own page template: a fixed title, no third-party fonts or scripts, ``no-referrer``.
- a warm pool (``warm``): app processes started ahead with ``--pooled``, each kept once it says
  its imports are done, refilled one at a time after a burst of arrivals has passed.

Nothing per-connection is taken from the browser except the terminal size and the browser id,
which must be 32 hex digits. The app command is the server's; the browser never sees it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import secrets
import time
from asyncio.subprocess import Process
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from tuiarena.ui.serve.addresses import LOOPBACK_NAMES, host_name, is_loopback

log = logging.getLogger("tuiarena.serve")

TOKEN_COOKIE = "tuiarena_token"
BROWSER_COOKIE = "tuiarena_browser"
BROWSER_ENV = "TUIARENA_BROWSER_ID"
PAGE_TITLE = "tuiarena arena"
_BROWSER_ID = re.compile(r"[0-9a-f]{32}")
TEMPLATES = Path(__file__).with_name("templates")


class _ConnectionService(AppService):
    """One app process for one browser, told which browser it serves. With a warm pool the
    process is taken from it (imports done) and gets its browser id and size as one JSON line."""

    def __init__(self, *args: Any, browser_id: str = "", server: ArenaServer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.browser_id = browser_id
        self.server = server

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width, height)
        env[BROWSER_ENV] = self.browser_id
        return env

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        server = self.server
        if server is None or not server.warm:
            return await super()._open_app_process(width, height)
        try:
            process = await server.take_warm()
        except RuntimeError as exc:
            log.error("%s; starting one without the pool", exc)
            return await super()._open_app_process(width, height)
        line = json.dumps({"browser": self.browser_id, "width": width, "height": height}) + "\n"
        assert process.stdin is not None
        process.stdin.write(line.encode())
        await process.stdin.drain()
        self._process, self._stdin = process, process.stdin
        return process

    async def run(self) -> None:
        """textual-serve's relay, then the socket closed: an app that ended without saying so
        (it crashed, or never started) leaves the page showing that the session ended rather
        than a blank terminal on a socket that stays open."""
        await super().run()
        await self.remote_close()

    async def stop(self) -> None:
        """textual-serve's stop (quit, then wait for the output to end), then wait for the process
        itself, killing it if it lingers: no app outlives its connection."""
        await super().stop()
        process = self._process
        if process is not None and process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def warm_environment() -> dict[str, str]:
    """A pooled app process's environment: this one's plus what textual-serve sets for its apps
    (the size and browser id come later, on its stdin)."""
    from importlib.metadata import version

    env = dict(os.environ)
    env.update(TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", TEXTUAL_FPS="60",
               TEXTUAL_COLOR_SYSTEM="truecolor", TERM_PROGRAM="textual",
               TERM_PROGRAM_VERSION=version("textual-serve"))
    return env


class ArenaServer(Server):
    """textual-serve's server with the token, origin and browser-id guard (see module doc)."""

    def __init__(self, command: str, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
                 title: str = PAGE_TITLE, warm: int = 0) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.token = token or None
        self.warm = max(0, warm)  # app processes kept started ahead of connections
        self._pool: list[Process] = []
        self._refill: asyncio.Task[None] | None = None
        self._last_take = 0.0
        self.loopback = is_loopback(host)
        self.connections = 0
        self.bound_port: int | None = None

    # -- the guard --------------------------------------------------------------------------------
    def token_ok(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        given = request.query.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    def host_ok(self, request: web.Request) -> bool:
        return not self.loopback or host_name(request.host).lower() in LOOPBACK_NAMES

    def origin_ok(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:  # not a browser (browsers always send Origin on a websocket)
            return True
        return origin.split("://", 1)[-1].rstrip("/").lower() == request.host.lower()

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not self.host_ok(request):
            raise web.HTTPForbidden(text="tuiarena serve: unknown host name\n")
        if not self.token_ok(request):
            raise web.HTTPForbidden(text="tuiarena serve: this page needs the link with its token "
                                         "(ask whoever runs tuiarena serve)\n")
        if request.path == "/ws" and not self.origin_ok(request):
            raise web.HTTPForbidden(text="tuiarena serve: websocket from another site refused\n")
        if request.path == "/" and "token" in request.query:  # keep the token out of the address bar
            resp = web.HTTPSeeOther(location="/")
            self._cookies(request, resp)
            raise resp
        response = await handler(request)
        if request.path == "/":
            self._cookies(request, response)
        if not response.prepared:
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    def _cookies(self, request: web.Request, response: web.StreamResponse) -> None:
        if self.token is not None:
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Lax", path="/")
        if not _BROWSER_ID.fullmatch(request.cookies.get(BROWSER_COOKIE, "")):
            response.set_cookie(BROWSER_COOKIE, secrets.token_hex(16), httponly=True, samesite="Lax",
                                path="/", max_age=400 * 24 * 3600)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    # -- pages --------------------------------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        import aiohttp_jinja2

        # as the browser reached us (0.0.0.0 is no URL); behind an HTTPS proxy the page must use wss
        scheme = "https" if request.headers.get("X-Forwarded-Proto", request.scheme) == "https" else "http"
        base = f"{scheme}://{request.host}"
        ws = ("wss://" if scheme == "https" else "ws://") + request.host + "/ws"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": ws,
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, with the browser id passed to the app process."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = max(20, min(to_int(request.query.get("width", "80"), 80), 500))
        height = max(10, min(to_int(request.query.get("height", "24"), 24), 300))
        browser = request.cookies.get(BROWSER_COOKIE, "")
        service: AppService | None = None
        self.connections += 1
        try:
            await websocket.prepare(request)
            service = _ConnectionService(
                self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                close=websocket.close, download_manager=self.download_manager, debug=self.debug,
                browser_id=browser if _BROWSER_ID.fullmatch(browser) else "", server=self,
            )
            await service.start(width, height)
            try:
                await self._process_messages(websocket, service)
            finally:
                await service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:
            log.exception("the connection's app failed")
        finally:
            self.connections -= 1
            if service is not None:
                await service.stop()
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        self._top_up()

    async def on_shutdown(self, app: web.Application) -> None:
        self.warm = 0  # no more refills
        if self._refill is not None:
            self._refill.cancel()
            try:
                await self._refill  # a process being started is killed by the cancellation
            except asyncio.CancelledError:
                pass
        for process in self._pool:
            if process.returncode is None:
                process.kill()
                await process.wait()
        self._pool.clear()

    # -- the warm pool --------------------------------------------------------------------------
    async def _spawn_warm(self) -> Process:
        """An app process started with ``--pooled``, returned once it has imported everything
        (its first line on stdout says so); then it waits for its connection's JSON line on stdin.
        Raises RuntimeError when it dies first."""
        import shlex

        from tuiarena.ui.serve.app import READY

        # exec, not a shell: killing it must kill the app itself (a shell's orphan would keep
        # the pipes open, and waiting for the process would never end)
        process = await asyncio.create_subprocess_exec(
            *shlex.split(self.command), "--pooled", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=warm_environment())
        assert process.stdout is not None
        try:
            line = await process.stdout.readline()
        except BaseException:  # cancelled (the server stops): no orphan left importing
            process.kill()
            await process.wait()
            raise
        if line != READY:
            if process.returncode is None:
                process.kill()
            await process.wait()
            err = await process.stderr.read() if process.stderr is not None else b""
            raise RuntimeError(f"a pooled app process failed to start: {err.decode(errors='replace')[-500:]}")
        return process

    async def take_warm(self) -> Process:
        """A started app process: from the pool when one is left, else a new one."""
        self._last_take = time.monotonic()
        while self._pool:
            process = self._pool.pop(0)
            if process.returncode is None:
                self._top_up()
                return process
        self._top_up()
        return await self._spawn_warm()

    def _top_up(self) -> None:
        """Refill the pool in the background, one process at a time."""
        if self.warm and (self._refill is None or self._refill.done()):
            self._refill = asyncio.get_running_loop().create_task(self._fill())

    async def _fill(self) -> None:
        # a refill competes for the CPU with the apps just handed out: wait for a burst of
        # arrivals to pass (no connection for a second) before each new process, and start the
        # next only when the last one is ready (one importing process at a time: at most one
        # core, never N at once)
        while len(self._pool) < self.warm:
            while (calm := self._last_take + 1.0 - time.monotonic()) > 0:
                await asyncio.sleep(calm)
            try:
                process = await self._spawn_warm()
            except RuntimeError as exc:
                log.error("%s; connections start their own app process", exc)
                return
            self._pool.append(process)

    @property
    def pool_ready(self) -> int:
        """Pooled app processes ready for a connection (tests, benchmarks)."""
        return sum(1 for p in self._pool if p.returncode is None)

    # -- running ------------------------------------------------------------------------------------
    async def start(self) -> web.AppRunner:
        """Start serving on the running loop (tests, benchmarks); returns the runner to clean up.
        With port 0 the chosen port is in ``bound_port``."""
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        addresses = runner.addresses
        self.bound_port = int(addresses[0][1]) if addresses else self.port
        return runner

    def start_in_thread(self) -> Callable[[], None]:
        """Serve from a background thread with its own loop (tests, benchmarks); returns ``stop``.
        ``bound_port`` is set when this returns."""
        import threading

        loop = asyncio.new_event_loop()
        ready = threading.Event()
        box: dict[str, Any] = {}

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                box["runner"] = loop.run_until_complete(self.start())
            except Exception as exc:  # reported to the caller below
                box["error"] = exc
                ready.set()
                return
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=main, name="tuiarena-serve", daemon=True)
        thread.start()
        ready.wait(30)
        if "error" in box:
            raise box["error"]

        def stop() -> None:
            async def close() -> None:
                await box["runner"].cleanup()

            asyncio.run_coroutine_threadsafe(close(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
            loop.close()

        return stop

    def run_forever(self) -> None:
        """Serve until Ctrl+C / SIGTERM (``tuiarena serve``)."""
        web.run_app(self._make_app(), host=self.host, port=self.port, access_log=None,
                    print=lambda *a: None, handle_signals=True)
