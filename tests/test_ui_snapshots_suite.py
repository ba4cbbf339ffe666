"""Snapshot tests of the suite screen's matrix, summary (its top, and scrolled to the end: charts and
the session file) and cell detail, at 80x24 and 160x45.

The suite is a saved session written by hand (tests/suite_helpers.suite_session: fixed answers,
verdicts, timings, costs and times), opened as ``tuiarena --session PATH`` opens it, so nothing drawn
depends on the clock or on the temporary folder (the summary names the session file by its name in
the sessions folder). The tests wait on what the screens announce (the app's ``discovered`` event,
the suite screen's ``reported`` and the detail's ``laid_out`` milestones), never on a timer.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.suite_helpers import suite_session
from tests.ui_helpers import make_app
from tuiarena.ui.app_options import StartRequest

SIZES = [(80, 24), (160, 45)]


def reopened(home):
    """The app started on the saved suite session, and a run_before that waits until its report is
    on screen, then runs ``then(pilot, screen)``."""
    app = make_app(StartRequest(session=suite_session(home)))

    def run_before(then=None):
        async def go(pilot):
            from tuiarena.ui.screens.suite import SuiteScreen

            await asyncio.wait_for(app.discovered.wait(), 30)  # not a speed limit: see ui_helpers.ready
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SuiteScreen)
            await screen.reported.wait()
            if then is not None:
                await then(pilot, screen)
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()

        return go

    return app, run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("part", ["top", "end"])
def test_suite_summary(snap_compare, size, part, tuiarena_home):
    """Per-model figures and verdicts, the recommendation and requirements (top); the charts and the
    session file's name (end)."""
    app, run_before = reopened(tuiarena_home)

    async def to_end(pilot, screen):
        screen.query_one("#summary").scroll_end(animate=False)

    assert snap_compare(app, run_before=run_before(to_end if part == "end" else None), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_suite_matrix(snap_compare, size, tuiarena_home):
    """Cases x models: passes, a failed check, an error; the progress line says it was reopened."""
    app, run_before = reopened(tuiarena_home)

    async def matrix(pilot, screen):
        await pilot.press("f4")

    assert snap_compare(app, run_before=run_before(matrix), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_suite_cell(snap_compare, size, tuiarena_home):
    """One case's answers side by side: a pass, a failed JSON check with its reason, an error."""
    app, run_before = reopened(tuiarena_home)

    async def cell(pilot, screen):
        from tuiarena.ui.screens.suite_detail import CellDetailScreen

        screen.open_detail("json", "demo/steady")
        await pilot.pause()
        detail = pilot.app.screen
        assert isinstance(detail, CellDetailScreen)
        await detail.laid_out.wait()

    assert snap_compare(app, run_before=run_before(cell), terminal_size=size)
