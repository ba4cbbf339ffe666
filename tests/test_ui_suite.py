"""Pilot tests of the suite screen against the offline demo models and tests/data/suite_tiny.toml."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, SelectionList, TabbedContent

from tests.ui_helpers import make_app, notifications, ready, screen_text, shown
from tuiarena.ui.screens.suite import SuiteScreen
from tuiarena.ui.screens.suite_detail import AnswerColumn, CellDetailScreen

TINY = Path(__file__).parent / "data" / "suite_tiny.toml"
MODELS = ["demo/swift", "demo/terse"]
CASES = ["capital", "greet", "json"]


@pytest.fixture(autouse=True)
def fast_demo(monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")


async def open_suite_screen(app, pilot, models=MODELS) -> SuiteScreen:
    await ready(app, pilot)
    app.compare_screen.query_one("Roster").select(models)
    await pilot.pause()
    app.open_screen("suite")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, SuiteScreen)
    await app.workers.wait_for_complete()  # the shipped suites load in a thread worker
    await pilot.pause()  # ... which hands them to the screen through the event loop
    assert screen.suites
    return screen


async def pick_tiny(screen: SuiteScreen, pilot) -> None:
    box = screen.query_one("#suite-path")
    box.focus()
    box.value = str(TINY)
    await pilot.press("enter")
    await pilot.pause()
    assert screen.suite is not None and screen.suite.name == "tiny"


async def wait_finished(screen: SuiteScreen, pilot, timeout: float = 15.0) -> None:
    try:
        await asyncio.wait_for(screen.app.workers.wait_for_complete(), timeout)  # the suite-run worker
    except TimeoutError:
        raise AssertionError("the suite did not finish") from None
    await pilot.pause()
    assert not screen.running and screen.report is not None
    await pilot.wait_for_scheduled_animations()


async def streaming(screen: SuiteScreen, count: int, timeout: float = 30.0) -> None:
    """Wait until text of ``count`` candidate answers has streamed in, checked on each event of the
    suite's run (a sink of its runner: every event goes to every sink, in order); 30 s is not a
    speed limit."""
    from tuiarena.model import ResponseDelta

    came = asyncio.Event()
    answers: set[str] = set()

    def check(event) -> None:
        if type(event) is ResponseDelta:
            answers.add(event.response_id)
            if len(answers) >= count:
                came.set()

    screen.runner.sinks.append(check)
    try:
        await asyncio.wait_for(came.wait(), timeout)
    except TimeoutError:
        raise AssertionError(f"fewer than {count} answers streamed") from None
    finally:
        screen.runner.sinks.remove(check)


def matrix_cells(screen: SuiteScreen) -> dict[tuple[str, str], str]:
    table = screen.query_one("#matrix", DataTable)
    return {(c, m): str(table.get_cell(c, m)) for c in CASES for m in screen.live.models}


async def test_suite_screen_lists_shipped_suites_and_describes_one(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_suite_screen(app, pilot)
        olist = screen.query_one("#suites", OptionList)
        assert olist.option_count >= 5
        assert screen.suite is not None  # the first one is highlighted and described
        info = str(screen.query_one("#suite-info").render())
        assert screen.suite.name in info and "cases" in info and "requirements" in info
        assert set(screen.query_one("#models", SelectionList).selected) == set(MODELS)
        await pick_tiny(screen, pilot)
        text = screen_text(app)
        assert "Three cases for the suite tests." in text
        assert "min_pass_rate = 0" in text


async def test_offline_a_suite_that_wants_a_judge_gets_the_simulated_one(tuiarena_home):
    """As `tuiarena suite` does: demo candidates and a suite with min_judge_score and no judge named."""
    from textual.widgets import Select

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_suite_screen(app, pilot, models=["demo/swift", "demo/steady"])
        olist = screen.query_one("#suites", OptionList)
        olist.focus()
        code = next(i for i in range(olist.option_count) if str(olist.get_option_at_index(i).prompt).startswith("code"))
        olist.highlighted = code
        await pilot.pause()
        assert screen.suite is not None and screen.suite.name == "code"
        assert screen.query_one("#judge", Select).value == "demo/terse"
        assert "min_judge_score is set but there is no judge" not in screen_text(app)


async def test_run_fills_matrix_drill_in_summary_and_exports(tuiarena_home, tmp_path):
    app = make_app()
    messages: list = []
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        screen = await open_suite_screen(app, pilot)
        await pick_tiny(screen, pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "matrix-tab"
        await wait_finished(screen, pilot)

        cells = matrix_cells(screen)
        assert len(cells) == len(CASES) * len(MODELS)
        for key, value in cells.items():
            assert value[:1] in "✓✗", f"cell {key} not scored: {value!r}"
        text = screen_text(app)
        assert "6/6" in text  # the progress line
        # how it ended is said under the matrix, not in a toast over its first rows
        assert "suite tiny done: recommended: " in str(screen.query_one("#matrix-hint").render())
        assert not [n for n in notifications(messages) if "done" in n]

        # drill into a cell: the json case, both answers and each check's reason
        table = screen.query_one("#matrix", DataTable)
        table.focus()
        table.move_cursor(row=CASES.index("json"), column=1)
        await pilot.press("enter")
        detail = await shown(app, CellDetailScreen)
        await detail.laid_out.wait()
        columns = list(detail.query(AnswerColumn))
        assert [c.model for c in columns] == MODELS
        for col in columns:
            head = str(col.query_one(".answer-head").render())
            assert "json-fields" in head and ("PASS" in head or "FAIL" in head)
            answer = str(col.query_one(".answer-text").render())
            assert answer.strip()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        # the summary: per-model figures and a verdict
        await pilot.press("f5")
        await pilot.pause()
        summary = screen_text(app)
        assert "Recommendation" in summary and "Cheapest meeting all requirements" in summary
        assert "meets all" in summary
        assert screen.report["recommendation"]["cheapest"] in MODELS

        # a session of kind "suite" with every response and score in it
        [session] = list((tuiarena_home / "sessions").glob("*.jsonl"))
        records = [json.loads(line) for line in session.read_text().splitlines()]
        assert records[0]["kind"] == "suite" and records[0]["name"] == "suite tiny"
        assert sum(r["type"] == "response" for r in records) == len(CASES) * len(MODELS)
        assert any(r["type"] == "score" for r in records)

        # exports: private files, the path is told
        report = screen.write_export("report", tmp_path / "r.md")
        routing = screen.write_export("routing", tmp_path / "r.toml")
        assert report is not None and routing is not None
        assert report.read_text().startswith("# Suite: tiny")
        assert "[routes." in routing.read_text()
        for p in (report, routing):
            assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
        await pilot.press("ctrl+e")  # the key asks for the path; enter writes
        await pilot.pause()
        app.screen.query_one("Input").value = str(tmp_path / "via-key.md")
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "via-key.md").is_file()
        assert stat.S_IMODE(os.stat(tmp_path / "via-key.md").st_mode) == 0o600


async def test_cancel_mid_run_keeps_app_responsive(tuiarena_home, monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "0.2")
    app = make_app(demo_speed=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_suite_screen(app, pilot, models=["demo/verbose", "demo/steady"])
        await pick_tiny(screen, pilot)
        await pilot.press("ctrl+r")
        await streaming(screen, 2)  # both models' first answers streaming: cancel mid-answer
        assert screen.running
        await pilot.press("escape")
        await wait_finished(screen, pilot, timeout=10)
        assert screen.cancelled and not screen.running
        assert "cancelled" in screen_text(app)
        # the report says it is partial, and reopening the session says the same
        from tuiarena.reports.suite import report_from_log
        from tuiarena.store.sessions import read_session

        assert screen.report["partial"]["planned"] == 6 and screen.report["cases"] == 3
        assert report_from_log(read_session(screen.report["session"])) == screen.report
        # still responsive: switch tabs, go back, open the screen again
        await pilot.press("f5")
        await pilot.pause()
        assert "cancelled" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.compare_screen
        app.open_screen("suite")
        await pilot.pause()
        assert isinstance(app.screen, SuiteScreen)


async def test_blind_series_from_suite(tuiarena_home, monkeypatch):
    from tuiarena.ui.screens.blind import BlindScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_suite_screen(app, pilot)
        await pick_tiny(screen, pilot)
        pushed = []
        monkeypatch.setattr(app, "push_screen", lambda s, *a, **k: pushed.append(s))  # do not start battles
        await pilot.press("f6")  # not ctrl+b: that is tmux's prefix
        await pilot.pause()
        [blind] = pushed
        assert isinstance(blind, BlindScreen)
        assert blind.total_prompts == len(CASES)


async def test_judge_warning_repeat_and_judge_verdict_in_detail(tuiarena_home):
    from textual.widgets import Input, Select

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_suite_screen(app, pilot)
        await pick_tiny(screen, pilot)
        screen.query_one("#judge", Select).value = "demo/swift"  # also a candidate
        screen.query_one("#repeat", Input).value = "2"
        await pilot.pause()
        assert "also a candidate" in screen_text(app)
        await pilot.press("ctrl+r")
        await wait_finished(screen, pilot)
        for key, value in matrix_cells(screen).items():
            assert value[:1] in "✓✗~–" and "/2" in value, f"cell {key}: {value!r}"
        assert screen.report["judge"] == "demo/swift" and screen.report["repeat"] == 2
        progress = str(screen.query_one("#progress-text").render())
        assert re.search(r"judged (\d+)/\1 ", progress), progress  # the judge's own count, all graded
        assert any("also a candidate" in w for w in screen.report["warnings"])
        screen.open_detail("capital", "demo/terse")
        detail = await shown(app, CellDetailScreen)
        await detail.laid_out.wait()
        heads = [str(c.query_one(".answer-head").render()) for c in detail.query(AnswerColumn)]
        assert all("judge" in h for h in heads), heads
        await pilot.press("r")  # the second repeat
        await pilot.pause()
        assert detail.repeat == 1
        assert "repeat 2/2" in str(detail.query_one("#detail-title").render())


async def test_sessions_enter_reopens_a_suite_as_it_ended(tuiarena_home, tmp_path):
    from tests.test_ui_sessions import open_sessions
    from tuiarena.cli import main

    args = ["suite", str(TINY), "-m", "demo/swift", "-m", "demo/terse", "--format", "json", "--out",
            str(tmp_path / "printed.json")]
    assert await asyncio.to_thread(main, args) == 0  # the headless run has its own event loop
    printed = json.loads((tmp_path / "printed.json").read_text())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await open_sessions(app, pilot)
        await pilot.press("enter")
        screen = await shown(app, SuiteScreen)
        await screen.reported.wait()
        await pilot.pause()
        assert screen.report is not None
        assert screen.report == printed  # the same report as `tuiarena suite` printed
        assert screen.query_one(TabbedContent).active == "summary-tab"
        assert "reopened" in screen_text(app)
        cells = matrix_cells(screen)
        assert all(v.strip() for v in cells.values()) and any("✓" in v or "✗" in v for v in cells.values())
        out = screen.write_export("report", tmp_path / "again.html")
        assert out is not None and out.read_text().startswith("<!doctype html>")
        assert "suite · suite tiny (saved)" in str(screen.sub_title)  # not "new session"


async def test_cell_detail_pages_answers_that_do_not_fit(tuiarena_home):
    """At 80x24 six answers are three whole columns a page (never a sliver of a fourth), the page is
    the chosen model's, and → walks on to the next page (and back round to the first)."""
    from tuiarena.ui.screens.suite_detail import MIN_ANSWER

    six = ["demo/swift", "demo/steady", "demo/thinker", "demo/verbose", "demo/terse", "demo/flaky"]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_suite_screen(app, pilot, models=six)
        await pick_tiny(screen, pilot)
        await pilot.press("ctrl+r")
        await wait_finished(screen, pilot)
        screen.open_detail("capital", "demo/terse")
        detail = await shown(app, CellDetailScreen)
        await detail.laid_out.wait()
        await pilot.pause()

        def on_screen() -> list[str]:
            return [c.model for c in detail.query(AnswerColumn) if c.display]

        assert on_screen() == six[3:] and detail.focused.model == "demo/terse"
        assert all(c.outer_size.width >= MIN_ANSWER for c in detail.query(AnswerColumn) if c.display)
        assert "answers 4–6 of 6" in screen_text(app)
        await pilot.press("right", "right")  # flaky, then round to swift: the first page
        await pilot.pause()
        assert on_screen() == six[:3] and detail.focused.model == "demo/swift"
        assert "answers 1–3 of 6" in screen_text(app)


async def test_setup_boxes_say_checked_without_colour(tuiarena_home):
    """The models list and the cache box read [x] / [ ]: checked and unchecked differ in the text,
    not only in colour (a 16-colour or monochrome terminal, a colour-blind user)."""
    from textual.widgets import Checkbox

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_suite_screen(app, pilot)
        text = screen_text(app)
        assert "[x] demo/swift" in text and "[x] demo/terse" in text and "[ ] demo/steady" in text
        assert "[ ] cache" in text
        cache = screen.query_one("#cache", Checkbox)
        cache.focus()
        await pilot.press("space")
        await pilot.pause()
        assert cache.value and "[x] cache" in screen_text(app)
