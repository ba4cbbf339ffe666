"""The app one browser connection runs under ``tuiarena serve --mode arena``.

``ArenaApp`` is the tuiarena app cut down to the blind battle and the leaderboard: no command
palette, no keys beyond those screens' own (plus ctrl+q to leave), no settings, paths or other
screens. The title never names a model. Notifications are filtered: only the arena's own hints
reach the voter; anything else (a config problem, a discovery note, a file error, which could
name a path or endpoint) is logged on the server's side and the voter sees a generic line.

Every connection writes its own session file (kind "blind", meta ``{"serve": "arena", "voter":
...}``), and every vote in it carries the voter label. The label is asked once per browser (the
server's browser-id cookie, ``TUIARENA_BROWSER_ID``) and kept in ``<home>/serve/voters/<id>``.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.screen import Screen

from tuiarena.model import Event, VoteCast
from tuiarena.ui.app import AppOptions, TuiArena

TITLE = "tuiarena arena"
READY = b"tuiarena-pooled-ready\n"  # a pooled process's first line on stdout: imports done
MAX_LABEL = 40
_ID = re.compile(r"[0-9a-f]{32}")
# hints of the blind screen that name nothing (no model, path or endpoint): shown as they are
SAFE_HINTS = ("write a prompt first", "still discovering", "finish this battle", "wait until both",
              "stopped the battle", "nothing is running", "a blind battle needs")
GENERIC = "Something went wrong on the server; whoever runs tuiarena serve can see the details in its log."


def clean_label(text: str) -> str:
    """A voter label: printable characters, single spaces, at most 40 characters."""
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    return " ".join(text.split())[:MAX_LABEL]


def voter_file(browser_id: str) -> Path | None:
    from tuiarena.store.paths import home

    return home() / "serve" / "voters" / browser_id if _ID.fullmatch(browser_id or "") else None


def load_voter(browser_id: str) -> str | None:
    """The label this browser gave ("" = chose none), or None when it was never asked."""
    path = voter_file(browser_id)
    if path is None:
        return None
    try:
        return clean_label(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def save_voter(browser_id: str, label: str) -> None:
    from tuiarena.store.paths import write_private

    path = voter_file(browser_id)
    if path is not None:
        try:
            write_private(path, label)
        except OSError as exc:
            print(f"tuiarena serve: cannot remember the voter label: {exc}", file=sys.stderr)


class _VoterStamp:
    """The session writer, stamping this connection's voter label on every vote it writes."""

    def __init__(self, writer: Any, app: ArenaApp) -> None:
        self.writer = writer
        self.app = app

    def write(self, event: Event) -> None:
        if isinstance(event, VoteCast) and not event.voter:
            event.voter = self.app.voter or ""
        self.writer.write(event)

    __call__ = write

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)


class ArenaApp(TuiArena, inherit_bindings=False):
    TITLE = TITLE
    ENABLE_COMMAND_PALETTE = False
    COMMANDS = set()  # no palette providers either
    BINDINGS = [Binding("ctrl+q", "quit", "Leave", id="quit", priority=True, show=False)]

    def __init__(self, models: list[str], prompts: str | None = None, browser_id: str = "",
                 options: AppOptions | None = None, judge: str | None = None) -> None:
        super().__init__(options)
        self.arena_models = list(models)
        self.judge_model = judge
        self.prompts_file = prompts
        self.browser_id = browser_id
        self.voter: str | None = load_voter(browser_id)
        self.sub_title = self._sub_title()

    def _sub_title(self) -> str:
        return f"blind votes · {self.voter}" if self.voter else "blind votes"

    def get_default_screen(self) -> Screen:
        from tuiarena.ui.screens.arena_mode import ArenaBlindScreen

        if self.prompts_file:
            return ArenaBlindScreen.from_suite(self.prompts_file, shuffle=True, models=self.arena_models)
        return ArenaBlindScreen(models=self.arena_models)

    def on_mount(self) -> None:
        if self.voter is None:
            self.ask_voter()

    def ask_voter(self) -> None:
        from tuiarena.ui.dialogs import TextPrompt

        def done(value: str | None) -> None:
            self.voter = clean_label(value or "")
            save_voter(self.browser_id, self.voter)
            self.sub_title = self._sub_title()
            self.arena_ready()

        self.push_screen(TextPrompt("Your name for the leaderboard (optional)"), done)

    def on_worker_state_changed(self, event: Any) -> None:
        from textual.worker import WorkerState

        if event.worker.group == "discovery" and event.state == WorkerState.SUCCESS:
            self.arena_ready()

    def arena_ready(self) -> None:
        from tuiarena.ui.screens.arena_mode import ArenaBlindScreen

        for screen in self.screen_stack:
            if isinstance(screen, ArenaBlindScreen):
                screen.models_ready()

    def session_writer(self, name: str = "") -> Any:
        """This connection's own session file, created at its first battle."""
        if self._writer is None:
            from tuiarena.store.sessions import SessionWriter

            self._session_name = f"arena · {self.voter or 'anonymous'}"
            self._writer = SessionWriter.create(kind="blind", name=self._session_name,
                                                meta={"serve": "arena", "voter": self.voter or ""})
        return _VoterStamp(self._writer, self)

    def judge_battle(self, prompt: str, a: Any, b: Any) -> None:
        """After a vote: the pairwise judge (both orders) on the same two answers, recorded in this
        connection's session file, so the leaderboard can set the humans against the judge."""
        if not self.judge_model or a is None or b is None or self.runner is None:
            return
        from tuiarena.scoring.judge import Judge

        app, runner = self, self.runner

        class _Runner:  # the judge's view of the app: its runs go through the app's runner
            async def run(self, *args: Any, **kwargs: Any) -> Any:
                return await runner.run(*args, **kwargs)

            def emit(self, event: Event) -> None:
                app.session_writer().write(event)

        judge = Judge(_Runner(), self.judge_model)
        messages = [{"role": "user", "content": prompt}]
        self.run_worker(judge.compare(messages, a, b), group="judge", exit_on_error=False)

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        if not str(message).startswith(SAFE_HINTS):
            print(f"tuiarena serve: {title + ': ' if title else ''}{message}", file=sys.stderr)
            if severity != "error":
                return
            message, title, markup = GENERIC, "", False
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)  # type: ignore[arg-type]


# what a connection's app imports after it started, up to its first vote and the leaderboard
# (found by diffing sys.modules): importing them ahead saves each connection ~0.1 CPU-s
WARM_MODULES = (
    "textual.drivers.web_driver", "textual.widgets._text_area", "textual.widgets._label",
    "textual.layouts.horizontal", "textual.layouts.stream",
    "tuiarena.engine.run.background", "tuiarena.engine.workspace", "tuiarena.providers.registry",
    "tuiarena.providers.demo", "tuiarena.providers.discovery", "tuiarena.providers.openai_compat",
    "tuiarena.store.config", "tuiarena.store.sessions", "tuiarena.store.state", "tuiarena.store.pricing",
    "tuiarena.store.syncer", "tuiarena.validate", "tuiarena.scoring.ratings", "tuiarena.scoring.voters",
    "tuiarena.ui.dialogs", "tuiarena.ui.screens.compare", "tuiarena.ui.screens.arena_mode",
    "markdown_it", "linkify_it", "rich.markdown", "rich.syntax", "pygments.lexers", "pygments.styles",
    "concurrent.futures.thread",
)


def _warm_up() -> None:
    """Import what a connection's app needs before the connection comes (``--pooled``); a module
    missing from an install is left for the app to report when it needs it."""
    import importlib

    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _connection_line() -> dict[str, Any] | None:
    """The server's one JSON line for this connection, read from fd 0 a byte at a time (what
    follows belongs to the web driver, so nothing may be read ahead into a buffer)."""
    import json
    import os

    data = b""
    while not data.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            return None  # the server went away before a browser came
        data += byte
    try:
        line = json.loads(data)
    except ValueError:
        return None
    return line if isinstance(line, dict) else None


def main(argv: list[str] | None = None) -> int:
    """``python -m tuiarena.ui.serve --model M --model M [--prompts F] [--judge M] [--pooled]``: one
    connection's app. ``--pooled``: started ahead of the connection; it imports everything, then
    says so on stdout (``READY``) and waits for the server's line giving its browser id and
    terminal size."""
    import argparse
    import os

    from tuiarena.ui.app import run_app

    parser = argparse.ArgumentParser(prog="tuiarena.ui.serve")
    parser.add_argument("--mode", choices=("arena", "full"), default="arena")
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--prompts")
    parser.add_argument("--judge")
    parser.add_argument("--pooled", action="store_true")
    args = parser.parse_args(argv)
    if args.pooled:
        _warm_up()
        os.write(1, READY)  # to the server, before the web driver owns stdout
        line = _connection_line()
        if line is None:
            return 0
        for key, var in (("width", "COLUMNS"), ("height", "ROWS"), ("browser", "TUIARENA_BROWSER_ID")):
            os.environ[var] = str(line.get(key, ""))
    if args.mode == "full":
        return run_app()
    app = ArenaApp(args.model, args.prompts, os.environ.get("TUIARENA_BROWSER_ID", ""), judge=args.judge)
    app.run()
    return app.return_code or 0
