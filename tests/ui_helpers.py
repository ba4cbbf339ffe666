"""Helpers for the UI tests: build the app with test options, drive a run, wait for it to end."""

from __future__ import annotations

import asyncio

from tuiarena.ui.app import AppOptions, TuiArena
from tuiarena.ui.app_options import StartRequest
from tuiarena.ui.widgets.column import OutputColumn
from tuiarena.ui.widgets.roster import Roster


def make_app(start: StartRequest | None = None, **overrides) -> TuiArena:
    """The app with test options (``overrides`` of :class:`AppOptions`), started as ``start`` asks
    (``StartRequest(session=path)`` is ``tuiarena --session PATH``)."""
    opts = dict(probe_local=False, demo_speed=200.0, cursor_blink=False, frame_hz=30.0)
    opts.update(overrides)
    return TuiArena(AppOptions(**opts), start)


async def ready(app, pilot, timeout: float = 30.0) -> None:
    """Wait until discovery filled the roster (the app's public ``discovered`` event); 30 s, not a
    speed limit: on a loaded shared machine (load 20 on 2 cores) 10 s ran out once in 20 runs."""
    await asyncio.wait_for(app.discovered.wait(), timeout)
    await pilot.pause()


async def select(app, pilot, models: list[str]) -> None:
    app.compare_screen.query_one(Roster).select(models)
    await pilot.pause()


async def type_prompt(app, pilot, text: str) -> None:
    app.compare_screen.query_one("#user").focus()
    await pilot.pause()
    app.compare_screen.query_one("#user").text = text


async def wait_done(app, pilot, timeout: float = 10.0) -> list:
    """Wait until every column of the current run is final, then draw it (no polling: the app's
    event stream says when the last response is done)."""
    screen = app.compare_screen

    def done() -> bool:
        cols = screen.current_columns()
        return bool(cols) and all(c.final for c in cols)

    await on_event(app, done, lambda: f"run did not finish: {[(c.model, c.status) for c in screen.current_columns()]}",
                   timeout)
    screen.frame()  # draw the final state now rather than at the next tick
    await pilot.pause()
    await app.workers.wait_for_complete()  # Markdown renders of the finished columns
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    return screen.current_columns()


async def on_event(app, condition, what, timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds, checked after each engine event the app hands its screens
    (the screens fold it first: they listen first), not on a timer; 30 s is not a speed limit.
    ``what`` (a str, or a callable giving one at the timeout) names what never came."""
    came = asyncio.Event()

    def check(_event=None) -> None:
        if condition():
            came.set()

    app.add_listener(check)
    try:
        check()
        await asyncio.wait_for(came.wait(), timeout)
    except TimeoutError:
        raise AssertionError(what() if callable(what) else f"never came: {what}") from None
    finally:
        app.remove_listener(check)


def notifications(messages: list) -> list[str]:
    """The text of every notification among the messages a ``run_test(message_hook=...)`` saw."""
    from textual.notifications import Notify

    return [m.notification.message for m in messages if isinstance(m, Notify)]


class Messages(list):
    """The messages a ``run_test(message_hook=messages)`` saw, in order (a list, as
    ``messages.append`` was); :meth:`notified` awaits a notification, woken by each message."""

    def __init__(self) -> None:
        super().__init__()
        self._came = asyncio.Event()

    def __call__(self, message) -> None:
        self.append(message)
        self._came.set()

    async def notified(self, *texts: str, timeout: float = 30.0) -> str:
        """The first notification that contains one of ``texts``, seen already or yet to come; the
        app posts one as each action ends (renamed, deleted, exported, re-run saved or failed).
        30 s is not a speed limit: a notification that never comes fails the test, naming it."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for note in notifications(self):
                if any(t in note for t in texts):
                    return note
            self._came.clear()
            try:
                await asyncio.wait_for(self._came.wait(), max(0.0, end - loop.time()))
            except TimeoutError:
                raise AssertionError(f"no notification with {texts} (got {notifications(self)})") from None


def columns(app) -> list[OutputColumn]:
    return list(app.compare_screen.query(OutputColumn))


def screen_text(app) -> str:
    """Everything on screen as plain text, from Textual's public screenshot (what a user sees)."""
    import html
    import re

    lines: dict[int, list[tuple[int, str]]] = {}
    svg = app.export_screenshot()
    for x, n, text in re.findall(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                                 r'clip-path="url\(#[\w-]*line-(\d+)\)">([^<]*)</text>', svg):
        lines.setdefault(int(n), []).append((round(float(x) / CELL_W), html.unescape(text).replace("\xa0", " ")))
    out = []
    for n in range(app.size.height):
        row = ""
        for col, text in sorted(lines.get(n, [])):
            row = row.ljust(col) + text
        out.append(row.rstrip())
    return "\n".join(out) + "\n"


CELL_W = 12.2  # the width of one cell in Textual's SVG screenshots


async def shown(app, cls, timeout: float = 30.0):
    """Wait until a screen of class ``cls`` is the current screen, as Textual's
    ``screen_change_signal`` announces each push, pop and switch (no polling); returns it. 30 s is
    not a speed limit (see :func:`ready`): a screen that never comes fails the test, naming it."""
    came = asyncio.Event()

    def check(_screen=None) -> None:
        if isinstance(app.screen, cls):
            came.set()

    app.screen_change_signal.subscribe(app, check, immediate=True)
    try:
        check()
        await asyncio.wait_for(came.wait(), timeout)
    except TimeoutError:
        raise AssertionError(f"{cls.__name__} never came on screen (stack: "
                             f"{[type(s).__name__ for s in app.screen_stack]})") from None
    finally:
        app.screen_change_signal.unsubscribe(app)
    return app.screen


async def settle(pilot) -> None:
    """After a screen announced what it waited for: its workers done, every widget's messages
    handled (``pilot.pause()`` waits for the screen's widgets), animations over."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
