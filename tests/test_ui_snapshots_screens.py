"""Snapshot tests of the screens around the compare screen: blind arena (before and after a vote),
sessions, replay, diff, leaderboard, history, the suite screen's setup tab and help, at 80x24 and
160x45.

Nothing drawn depends on the clock: sessions are written by hand with fixed times (dates drawn in
UTC), replays run instantly, demo answers are fixed by their seed, timing figures are masked. The
tests wait on what the screens announce (their milestones: ``loaded``, ``drawn``, ``answers_in``...,
Textual's screen-change signal), never on a timer. (The suite's matrix, summary and cell views:
test_ui_snapshots_suite.py.)
"""

from __future__ import annotations

import time

import pytest

from tests.replay_helpers import done, run, vote, write_session
from tests.ui_helpers import make_app, ready, settle, shown
from tuiarena.model import Params, SessionHeader, VoteCast

SIZES = [(80, 24), (160, 45)]


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def sessions(home) -> tuple:
    """An original session, its re-run (for the diff) and a blind session with votes."""
    r1 = run("o-r1", ["demo/swift", "demo/thinker"], "Name a prime between 10 and 20.")
    r2 = run("o-r2", ["demo/swift", "demo/thinker"], "Say hi", system="Be brief.")
    original = write_session(home / "sessions" / "20231114-000000-orig1.jsonl", [
        r1, done(r1, "demo/swift", "13 is prime.", ttft=50),
        done(r1, "demo/thinker", "**17** is prime and odd.", ttft=80, reasoning="Primes: 11, 13, 17, 19."),
        vote(r1, "demo/swift", "demo/thinker", "b"),
        r2, done(r2, "demo/swift", "Hi there!"),
        done(r2, "demo/thinker", "", status="error", error_kind="rate_limit", error="429 Too Many Requests",
             finish_reason=None, completion_tokens=None, cost_usd=None, timeline=False, total_ms=300.0),
    ], SessionHeader(session_id="orig1", name="primes", kind="compare", created=1_700_000_000.0))
    n1 = run("n-r1", ["demo/swift", "demo/thinker"], "Name a prime between 10 and 20.")
    n2 = run("n-r2", ["demo/swift", "demo/thinker"], "Say hi", system="Be brief.")
    rerun = write_session(home / "sessions" / "20231115-000000-rerun1.jsonl", [
        n1, done(n1, "demo/swift", "11 is prime.", ttft=40), done(n1, "demo/thinker", "**13**.", ttft=90),
        n2, done(n2, "demo/swift", "Hello!"), done(n2, "demo/thinker", "Hi."),
    ], SessionHeader(session_id="rerun1", name="primes (re-run)", kind="compare", created=1_700_100_000.0,
                     parent_session="orig1"))
    b = run("b-r1", ["demo/swift", "demo/terse"], "Write a limerick")
    votes = [VoteCast(model_a="demo/swift", model_b="demo/terse", outcome=o, t_wall=1_700_200_000.0)
             for o in ["a"] * 6 + ["b"] * 3 + ["tie"]]
    write_session(home / "sessions" / "20231116-000000-blind1.jsonl",
                  [b, done(b, "demo/swift", "There once..."), done(b, "demo/terse", "A poet..."), *votes],
                  SessionHeader(session_id="blind1", name="limericks", kind="blind", created=1_700_200_000.0))
    return original, rerun


def opened(make_screen, milestone):
    """run_before: discovery done, the screen pushed, then what it announces (``milestone(screen)``,
    a :class:`~tuiarena.ui.milestones.Milestone`) awaited, never a timer."""

    async def run_before(pilot):
        await ready(pilot.app, pilot)
        screen = make_screen()
        await pilot.app.push_screen(screen)  # (returns once it is mounted)
        await milestone(screen).wait()
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("voted", [False, True])
def test_blind(snap_compare, size, voted):
    from tuiarena.ui.screens.blind import BlindScreen

    async def run_before(pilot):
        await ready(pilot.app, pilot)
        screen = BlindScreen(prompts=["Explain python generators"], models=["demo/swift", "demo/steady"], seed=2,
                             params=[Params(seed=1)])
        await pilot.app.push_screen(screen)
        await screen.answers_in.wait()
        for column in screen.query("BlindColumn"):
            await column.body.rendered.wait()
            column.body.action_scroll_to(0)
        if voted:
            await pilot.press("a")
            await screen.voted.wait()
        await settle(pilot)

    assert snap_compare(make_app(mask_timings=True), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_sessions(snap_compare, size, tuiarena_home):
    from tuiarena.ui.screens.sessions import SessionsScreen

    sessions(tuiarena_home)
    assert snap_compare(make_app(), run_before=opened(SessionsScreen, lambda s: s.loaded), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_replay(snap_compare, size, tuiarena_home):
    from tuiarena.ui.screens.replay import ReplayScreen

    original, _ = sessions(tuiarena_home)
    assert snap_compare(make_app(mask_timings=True),
                        run_before=opened(lambda: ReplayScreen(original, instant=True), lambda s: s.drawn),
                        terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_diff(snap_compare, size, tuiarena_home):
    from tuiarena.ui.screens.diff import DiffScreen

    original, rerun = sessions(tuiarena_home)
    assert snap_compare(make_app(), run_before=opened(lambda: DiffScreen(original, rerun), lambda s: s.loaded),
                        terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_leaderboard(snap_compare, size, tuiarena_home):
    """Ratings, the pairwise matrix and votes per voter. (These pictures differed in 1-2 runs of 12
    while the tables measured their columns when idle: see tuiarena/ui/widgets/tables.py.)"""
    from tuiarena.ui.screens.leaderboard import LeaderboardScreen

    sessions(tuiarena_home)
    assert snap_compare(make_app(), run_before=opened(LeaderboardScreen, lambda s: s.computed), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_suite_setup(snap_compare, size, tuiarena_home):
    """The suite screen's setup tab: shipped suites, the first one described, the roster's models
    ([x] / [ ]), judge, repeat and the cache box."""
    from tuiarena.ui.screens.suite import SuiteScreen

    assert snap_compare(make_app(), run_before=opened(SuiteScreen, lambda s: s.setup.listed), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_history(snap_compare, size, tuiarena_home):
    from tuiarena.ui.screens.history import HistoryScreen

    sessions(tuiarena_home)
    assert snap_compare(make_app(), run_before=opened(HistoryScreen, lambda s: s.loaded), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, size):
    from tuiarena.ui.help import HelpScreen

    async def run_before(pilot):
        await ready(pilot.app, pilot)
        await pilot.press("f1")
        await shown(pilot.app, HelpScreen)
        await settle(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=size)
