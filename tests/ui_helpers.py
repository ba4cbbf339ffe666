"""Helpers for the UI tests: build the app with test options, drive a run, wait for it to end."""

from __future__ import annotations

import asyncio
import io

from tuiarena.ui.app import AppOptions, TuiArena
from tuiarena.ui.widgets.column import OutputColumn
from tuiarena.ui.widgets.roster import Roster


def make_app(**overrides) -> TuiArena:
    opts = dict(probe_local=False, demo_speed=200.0, cursor_blink=False, frame_hz=30.0)
    opts.update(overrides)
    return TuiArena(AppOptions(**opts))


async def ready(app, pilot) -> None:
    """Wait until discovery filled the roster."""
    for _ in range(200):
        if app.runner is not None and app.compare_screen.query_one(Roster).entries:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def select(app, pilot, models: list[str]) -> None:
    app.compare_screen.query_one(Roster).select(models)
    await pilot.pause()


async def type_prompt(app, pilot, text: str) -> None:
    app.compare_screen.query_one("#user").focus()
    await pilot.pause()
    app.compare_screen.query_one("#user").text = text


async def wait_done(app, pilot, timeout: float = 10.0) -> list:
    """Wait until every column of the current run is final and drawn."""
    screen = app.compare_screen
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        cols = screen.current_columns()
        if cols and all(c.final for c in cols):
            break
        await pilot.pause(0.02)
    else:
        raise AssertionError(f"run did not finish: {[(c.model, c.status) for c in screen.current_columns()]}")
    await pilot.pause(0.1)  # a frame to draw it
    await app.workers.wait_for_complete()
    await pilot.pause()
    return screen.current_columns()


def columns(app) -> list[OutputColumn]:
    return list(app.compare_screen.query(OutputColumn))


def screen_text(app) -> str:
    """Everything on screen as plain text (from the compositor, so it is what a user sees)."""
    lines = app.screen._compositor.render_update(full=True)
    from rich.console import Console

    console = Console(width=app.size.width, height=app.size.height, record=True, file=io.StringIO(),
                      color_system=None, legacy_windows=False)
    console.print(lines)
    return console.export_text()
