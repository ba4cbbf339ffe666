"""Helpers for the `tuiarena serve` tests and benchmark: a headless Chromium through Playwright,
the terminal stream a page receives, and waiting for files to show something."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def start_arena(tmp_path: Path, models: list[str], prompt: str) -> tuple[Any, Callable[[], None]]:
    """An ``ArenaServer`` on a free loopback port in a thread, voting on ``prompt``, with one app
    process started ahead (``warm=1``: the production path, ``--warm``); returns it and its stop."""
    from tuiarena.ui.serve.command import app_command
    from tuiarena.ui.serve.server import ArenaServer

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"id": "p1", "input": prompt}) + "\n", encoding="utf-8")
    server = ArenaServer(app_command("arena", models, str(prompts)), host="127.0.0.1", port=0, warm=1)
    return server, server.start_in_thread()


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def need_browser() -> str:
    """The chromium executable, or skip (outside CI) / fail (in CI, where .ci/run installs it)."""
    import pytest

    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        message = "needs chromium (apt-get install chromium) and playwright (pip install playwright)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def plain(text: str) -> str:
    """Terminal output without escape sequences."""
    return _ANSI.sub("", text)


class Stream:
    """Everything the page's websocket received, as text (the terminal stream)."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def attach(self, page: Any) -> None:
        def on_ws(ws: Any) -> None:
            ws.on("framereceived", self._frame)

        page.on("websocket", on_ws)

    def _frame(self, payload: Any) -> None:
        if isinstance(payload, (bytes, bytearray)):
            payload = bytes(payload).decode("utf-8", "replace")
        self.chunks.append(str(payload))

    @property
    def text(self) -> str:
        return plain("".join(self.chunks))


def wait_until(condition: Callable[[], Any], timeout: float, what: str, page: Any = None) -> Any:
    """Wait for ``condition()`` to be truthy; with a page, waiting lets its events (frames) arrive."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        if page is not None:
            page.wait_for_timeout(20)
        else:
            time.sleep(0.02)


def session_records(folder: Path) -> list[dict[str, Any]]:
    """Every parseable line of every session file in ``folder``."""
    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out
