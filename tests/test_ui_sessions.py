"""Pilot tests of the sessions screen, the replay screen, the diff view and the history screen."""

from __future__ import annotations

import asyncio
import json
import stat

import pytest
from textual.binding import Binding
from textual.widgets import DataTable, Input, Sparkline

from tests.replay_helpers import done, run, score, vote, write_session
from tests.ui_helpers import Messages, make_app, notifications, ready, screen_text, settle, shown
from tuiarena.model import SessionHeader
from tuiarena.ui.screens.diff import DiffScreen
from tuiarena.ui.screens.history import HistoryScreen
from tuiarena.ui.screens.replay import ReplayScreen
from tuiarena.ui.screens.session_dialogs import ConfirmDialog, ExportDialog
from tuiarena.ui.screens.sessions import SessionsScreen
from tuiarena.ui.widgets.results import ResultsGrid


def prime_session(home, sid: str = "prime1", created: float = 1_700_000_000.0, name: str = "primes"):
    """Two runs x two models (reasoning, an error, scores, a vote)."""
    r1 = run(f"{sid}-r1", ["demo/swift", "demo/thinker"], "Name a prime between 10 and 20.")
    d11 = done(r1, "demo/swift", "13 is prime.", ttft=50)
    d12 = done(r1, "demo/thinker", "**17** is prime and odd.", ttft=80, reasoning="Primes: 11, 13, 17, 19.")
    r2 = run(f"{sid}-r2", ["demo/swift", "demo/thinker"], "Say hi", system="Be brief.")
    d21 = done(r2, "demo/swift", "Hi there!")
    d22 = done(r2, "demo/thinker", "", status="error", error_kind="rate_limit", error="429 Too Many Requests",
               finish_reason=None, completion_tokens=None, cost_usd=None, timeline=False, total_ms=300.0)
    events = [r1, d11, d12, score(d11, "check:contains", True, 1.0), score(d12, "check:contains", False, 0.0),
              vote(r1, "demo/swift", "demo/thinker", "b"), r2, d21, d22]
    header = SessionHeader(session_id=sid, name=name, kind="compare", created=created)
    return write_session(home / "sessions" / f"20231114-000000-{sid}.jsonl", events, header)


def other_sessions(home):
    r = run("tr1", ["demo/terse"], "Capital of France?")
    write_session(home / "sessions" / "20231115-000000-terse1.jsonl", [r, done(r, "demo/terse", "Paris.")],
                  SessionHeader(session_id="terse1", name="geography", kind="compare", created=1_700_100_000.0))
    b = run("br1", ["demo/swift", "demo/steady"], "Write a limerick")
    write_session(home / "sessions" / "20231116-000000-blind1.jsonl",
                  [b, done(b, "demo/swift", "There once..."), done(b, "demo/steady", "A poet..."),
                   vote(b, "demo/swift", "demo/steady", "tie")],
                  SessionHeader(session_id="blind1", name="", kind="blind", created=1_700_200_000.0))


async def open_sessions(app, pilot) -> SessionsScreen:
    app.open_screen("sessions")
    screen = await shown(app, SessionsScreen)
    await screen.loaded.wait()
    await pilot.pause()
    return screen


def table_ids(screen: SessionsScreen) -> list[str]:
    return [s.session_id for s in screen.shown]


async def test_keys_typed_in_a_burst_after_the_filter_key_go_to_the_filter(tuiarena_home):
    """Over SSH a fast typist or a paste delivers "/blind" at once: every key used to be forwarded to
    the list before the app acted on "/", so the "d" of "blind" opened the delete dialog."""
    from textual import events

    from tuiarena.ui.screens.session_dialogs import ConfirmDialog

    prime_session(tuiarena_home)
    other_sessions(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sessions(app, pilot)
        for key, char in [("slash", "/"), *((c, c) for c in "blind")]:  # queued together, as a burst arrives
            app.post_message(events.Key(key, char))
        await pilot.pause()
        assert app.screen is screen and not isinstance(app.screen, ConfirmDialog)
        assert screen.query_one("#sessions-filter", Input).value == "blind"
        await screen.filtered.wait()
        assert table_ids(screen) == ["blind1"]


def test_every_binding_has_an_id():
    for cls in (SessionsScreen, ReplayScreen, DiffScreen, HistoryScreen, ConfirmDialog, ExportDialog):
        for b in cls.BINDINGS:
            assert isinstance(b, Binding) and b.id, (cls.__name__, b)


async def test_list_newest_first_and_filter(tuiarena_home):
    prime_session(tuiarena_home)
    other_sessions(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sessions(app, pilot)
        assert table_ids(screen) == ["blind1", "terse1", "prime1"]
        table = screen.query_one("#sessions-table", DataTable)
        assert table.row_count == 3
        text = screen_text(app)
        assert "primes" in text and "geography" in text and "blind" in text and "Write a limerick" in text
        row = [str(c) for c in table.get_row_at(2)]
        assert row[2] == "compare" and "demo/swift, demo/thinker" in row[3] and row[4] == "2" and row[5] == "1"
        await pilot.press("slash")
        assert screen.query_one("#sessions-filter", Input).has_focus
        await pilot.press(*"thinker")
        await pilot.pause()
        assert screen.filter_text == "thinker"  # typed; the list is refilled once typing pauses
        await screen.filtered.wait()
        assert table.row_count == 1 and table_ids(screen) == ["prime1"]
        await pilot.press("escape")  # clears the filter, stays on the screen
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen) and table.row_count == 3
        await pilot.press("slash", *"geo", "enter")
        await pilot.pause()
        assert table_ids(screen) == ["terse1"] and table.has_focus
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SessionsScreen)


async def test_rename_persists(tuiarena_home):
    path = prime_session(tuiarena_home)
    app = make_app()
    messages = Messages()
    async with app.run_test(size=(120, 40), message_hook=messages) as pilot:
        screen = await open_sessions(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        box = app.screen.query_one(Input)
        box.value = "renamed primes"
        await pilot.press("enter")
        await messages.notified("renamed to renamed primes")  # then the list is read anew
        await screen.loaded.wait()
        assert screen.sessions[0].name == "renamed primes"
        assert "renamed primes" in screen_text(app)
    last = json.loads(path.read_text().splitlines()[-1])
    assert last["type"] == "rename" and last["name"] == "renamed primes"


async def test_delete_asks_first(tuiarena_home):
    path = prime_session(tuiarena_home)
    other_sessions(tuiarena_home)
    app = make_app()
    messages = Messages()
    async with app.run_test(size=(120, 40), message_hook=messages) as pilot:
        screen = await open_sessions(app, pilot)
        screen.query_one("#sessions-table", DataTable).move_cursor(row=2)
        await pilot.pause()
        assert screen.current.session_id == "prime1"
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "primes" in screen_text(app)
        await pilot.press("enter")  # focus is on "Cancel": Enter alone never deletes
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen) and path.exists()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        note = await messages.notified("deleted", "delete failed")  # then the list is read anew
        assert note == f"deleted {path.name}"
        await screen.loaded.wait()
        assert not path.exists() and table_ids(screen) == ["blind1", "terse1"]


@pytest.mark.parametrize("suffix,marker", [("csv", "session_id,run_index"), ("html", "<html")])
async def test_export_writes_a_private_file(tuiarena_home, tmp_path, suffix, marker):
    prime_session(tuiarena_home)
    app = make_app()
    messages = Messages()
    async with app.run_test(size=(120, 40), message_hook=messages) as pilot:
        await open_sessions(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one(Input).value.endswith("primes.md")
        target = tmp_path / f"out.{suffix}"
        dialog.query_one(Input).value = str(target)
        dialog.query_one(Input).focus()
        await pilot.press("enter")
        note = await messages.notified("exported", "export failed")  # once the file is written
        assert note == f"exported {suffix} to {target}"
    assert marker in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_export_format_choice_sets_the_extension(tuiarena_home):
    prime_session(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sessions(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("down", "down")  # md -> csv -> json
        await pilot.pause()
        assert app.screen.query_one(Input).value.endswith("primes.json")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)


async def test_open_shows_the_final_state_instantly(tuiarena_home):
    prime_session(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sessions(app, pilot)
        await pilot.press("enter")
        await pilot.pause()
        replay = app.screen
        assert isinstance(replay, ReplayScreen) and replay.control.instant
        await replay.drawn.wait()
        await settle(pilot)
        cols = replay.shown_columns
        assert [c.model for c in cols] == ["demo/swift", "demo/thinker"]
        assert cols[0].text == "Hi there!"
        text = screen_text(app)
        assert "finished" in text and "run 2/2" in text and "429 Too Many Requests" in text and "TTFT" in text
        assert replay.query_one(ResultsGrid).row_count == 2
        await pilot.press("comma")  # back to run 1
        await pilot.pause()  # (the key handled: the replay waits for run 1 on screen)
        await replay.drawn.wait()
        await settle(pilot)
        cols = replay.shown_columns
        assert cols[0].text == "13 is prime." and "17" in cols[1].text
        text = screen_text(app)
        assert "run 1/2" in text and "check:contains" in text and "demo/thinker wins" in text
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)


async def test_replay_at_high_speed_then_pause_and_step(tuiarena_home):
    path = prime_session(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(ReplayScreen(path, speed=1000))
        replay = app.screen
        await replay.drawn.wait()
        await settle(pilot)
        col = replay.view.columns["prime1-r1-thinker"]
        assert col.text == "**17** is prime and odd." and col.reasoning == "Primes: 11, 13, 17, 19."
        assert col.record is not None and col.record.ttft_ms == 80
        assert [c.text for c in replay.shown_columns][0] == "Hi there!"
        await app.pop_screen()
        # slow: pause holds it, n finishes the run and pauses before the next
        await app.push_screen(ReplayScreen(path, speed=0.001))
        replay = app.screen
        await pilot.press("space")  # before run 1 or in its first moments (0.001x): held either way
        await asyncio.wait_for(replay.control.held.wait(), 30)
        assert replay.control.paused and len(replay.view.run_order) <= 1
        assert not any(c.final for c in replay.view.columns.values())
        await pilot.press("n")
        await asyncio.wait_for(replay.control.held.wait(), 30)  # run 1 played at once, held before run 2
        assert replay.control.paused and replay.view.run_order == ["prime1-r1"]
        assert replay.view.columns_of("prime1-r1") and all(c.final for c in replay.view.columns_of("prime1-r1"))
        await pilot.press("i")  # instant: the rest at once
        await replay.finished.wait()
        assert len(replay.view.run_order) == 2


async def test_rerun_against_selected_models_then_diff(tuiarena_home, monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")
    prime_session(tuiarena_home)
    app = make_app(demo_speed=1000.0)
    messages = Messages()
    async with app.run_test(size=(120, 40), message_hook=messages) as pilot:
        await ready(app, pilot)
        from tuiarena.ui.widgets.roster import Roster

        app.compare_screen.query_one(Roster).select(["demo/swift", "demo/terse"])
        screen = await open_sessions(app, pilot)
        await pilot.press("M")  # M: against the models picked on the compare screen
        note = await messages.notified("re-run saved", "re-run failed")  # then the list is read anew
        assert note.startswith("re-run saved")
        await screen.loaded.wait()
        assert len(screen.sessions) == 2 and not screen.rerunning
        new = screen.current
        assert new.parent_session == "prime1" and new.models == ["demo/swift", "demo/terse"]
        assert new.runs == 2
        await pilot.press("D")
        diff = await shown(app, DiffScreen)
        await diff.loaded.wait()
        await settle(pilot)
        assert diff.query_one("#diff-prompts", DataTable).row_count == 2
        text = screen_text(app)
        assert "2 matched" in text and "Δ total" in text and "13 is prime." in text and "old · demo/swift" in text


async def test_rerun_uses_the_sessions_own_models(tuiarena_home, monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")
    prime_session(tuiarena_home)
    app = make_app(demo_speed=1000.0)
    messages = Messages()
    async with app.run_test(size=(120, 40), message_hook=messages) as pilot:
        await ready(app, pilot)
        from tuiarena.ui.widgets.roster import Roster

        app.compare_screen.query_one(Roster).select(["demo/terse"])  # not what R uses
        screen = await open_sessions(app, pilot)
        await pilot.press("R")
        note = await messages.notified("re-run saved", "re-run failed")  # then the list is read anew
        assert note.startswith("re-run saved")
        await screen.loaded.wait()
        assert len(screen.sessions) == 2 and not screen.rerunning
        new = screen.current
        assert new.parent_session == "prime1" and new.models == ["demo/swift", "demo/thinker"]


async def test_diff_without_rerun_explains(tuiarena_home):
    prime_session(tuiarena_home)
    app = make_app()
    messages: list = []
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await open_sessions(app, pilot)
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)
        assert any("press R" in n for n in notifications(messages))


async def test_history_screen_draws_sparklines(tuiarena_home):
    prime_session(tuiarena_home, "p1", 1_700_000_000.0)
    prime_session(tuiarena_home, "p2", 1_700_100_000.0)
    other_sessions(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_sessions(app, pilot)
        screen.query_one("#sessions-table", DataTable).move_cursor(row=3)  # p1: swift + thinker first
        await pilot.pause()
        await pilot.press("h")
        hist = await shown(app, HistoryScreen)
        await hist.loaded.wait()
        await settle(pilot)
        assert [h.model for h in hist.histories][:2] == ["demo/swift", "demo/thinker"]
        swift = hist.histories[0]
        assert len(swift.points) == 3 and swift.points[0].pass_rate == 1.0
        assert len(hist.query(".history-spark")) >= 4 and hist.query(Sparkline)
        flat = hist.query(".history-spark.-flat")  # an unchanging figure: mid-height bars, not "zero" ones
        assert flat
        assert all("▁" not in str(w.render()) and "▄" in str(w.render()) for w in flat)
        text = screen_text(app)
        assert "demo/swift · 3 sessions" in text and "pass rate" in text and "p95 latency" in text


@pytest.mark.parametrize("speed,instant", [(1000.0, False), (1.0, True)])
async def test_replay_shows_a_re_run_column_latest_answer(tuiarena_home, speed, instant):
    r = run("rr", ["demo/swift", "demo/steady"], "hello")
    first = done(r, "demo/swift", "first try")
    again = done(r, "demo/swift", "second try", response_id="rr-swift-2")
    path = write_session(tuiarena_home / "sessions" / "rerun-col.jsonl",
                         [r, first, done(r, "demo/steady", "steady answer"), again],
                         SessionHeader(session_id="rc", name="re-run column", created=1.0))
    app = make_app()
    async with app.run_test(size=(120, 40)):
        await app.push_screen(ReplayScreen(path, speed=speed, instant=instant))
        replay = app.screen
        await replay.drawn.wait()
        assert [c.text for c in replay.shown_columns] == ["second try", "steady answer"]
        assert [c.response_id for c in replay.columns()] == ["rr-swift-2", "rr-steady"]


async def test_replay_pages_columns_that_do_not_fit(tuiarena_home):
    """At 80x24 a six-model run shows two whole columns and a strip naming them, never a sliver of a
    third; ] turns the page, zoom and unzoom come back to the zoomed column's page."""
    from tuiarena.ui.screens.replay import MIN_COLUMN

    models = [f"demo/m{i}" for i in range(6)]
    r = run("six-r1", models, "Say hi")
    path = write_session(tuiarena_home / "sessions" / "20231114-000000-six1.jsonl",
                         [r, *(done(r, m, f"Hello from {m}.") for m in models)],
                         SessionHeader(session_id="six1", name="six", kind="compare", created=1_700_000_000.0))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        replay = ReplayScreen(path, instant=True)
        await app.push_screen(replay)
        await replay.drawn.wait()
        await pilot.pause()
        assert len(replay.shown_columns) == 6

        def on_screen() -> list[str]:
            return [c.model for c in replay.shown_columns if c.display]

        assert on_screen() == ["demo/m0", "demo/m1"]
        assert all(c.outer_size.width >= MIN_COLUMN for c in replay.shown_columns if c.display)
        assert "answers 1–2 of 6" in screen_text(app)
        for _ in range(3):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        assert on_screen() == ["demo/m2", "demo/m3"] and "answers 3–4 of 6" in screen_text(app)
        await pilot.press("z")  # the focused column (m2) full width
        await pilot.pause()
        assert on_screen() == ["demo/m2"]
        await pilot.press("z")
        await pilot.pause()
        assert on_screen() == ["demo/m2", "demo/m3"]
