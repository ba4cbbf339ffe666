"""Pilot tests of the compare screen against the offline demo models."""

from __future__ import annotations

import json

from tests.ui_helpers import (
    columns,
    make_app,
    on_event,
    ready,
    screen_text,
    select,
    type_prompt,
    wait_done,
)
from tuiarena.ui.widgets.results import ResultsGrid
from tuiarena.ui.widgets.roster import Roster, RosterList

MODELS = ["demo/swift", "demo/steady"]


async def test_run_streams_text_stats_grid_and_session(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, MODELS)
        await type_prompt(app, pilot, "Explain python generators")
        await pilot.press("ctrl+r")
        cols = await wait_done(app, pilot)
        assert [c.model for c in cols] == MODELS
        assert all(c.status == "done" and c.text for c in cols)
        widgets = columns(app)
        assert [w.model for w in widgets] == MODELS
        text = screen_text(app)
        assert "done       demo/swift" in text and "TTFT" in text and " tok" in text  # tok/s: the grid
        grid = app.compare_screen.query_one(ResultsGrid)
        assert grid.row_count == 2
        row = grid.get_row(cols[0].response_id)
        assert str(row[0]) == "demo/swift" and str(row[1]) == "done" and str(row[5]).startswith("$")
        # the run went to the session file as it happened
        files = list((tuiarena_home / "sessions").glob("*.jsonl"))
        assert len(files) == 1
        types = [json.loads(line)["type"] for line in files[0].read_text().splitlines()]
        assert types[0] == "header" and "run" in types and types.count("response") == 2
        assert app.sub_title == "Explain python generators"


async def test_roster_space_toggles_and_selection_is_saved(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        roster = app.compare_screen.query_one(Roster)
        roster.query_one(RosterList).focus()
        await pilot.pause()
        before = list(roster.selected)
        await pilot.press("space")  # first model (swift) is highlighted
        await pilot.pause()
        assert ("demo/swift" in roster.selected) != ("demo/swift" in before)
        saved = (tuiarena_home / "state.json").read_text()  # UI state, never config.toml
        assert "selected" in saved and not (tuiarena_home / "config.toml").exists()
        await pilot.press("slash")
        await pilot.press(*"thin")
        await pilot.pause()
        ids = [o.id for o in roster.query_one(RosterList).options if not o.disabled]
        assert ids == ["demo/thinker"]


async def test_cancel_focused_column_and_cancel_all():
    app = make_app(demo_speed=0.3)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/verbose", "demo/steady"])
        await type_prompt(app, pilot, "Write a long essay about rust")
        await pilot.press("ctrl+r")
        screen = app.compare_screen

        def first(status: str = "") -> bool:
            cols = screen.current_columns()
            return bool(cols) and (cols[0].status == status if status else cols[0].answer_chars > 0)

        await on_event(app, first, "the first answer streaming")
        columns(app)[0].body.focus()
        await pilot.press("escape")
        await on_event(app, lambda: first("cancelled"), "the first answer cancelled")
        cols = screen.current_columns()
        assert not cols[1].final
        await pilot.press("ctrl+g")
        cols = await wait_done(app, pilot)
        assert [c.status for c in cols] == ["cancelled", "cancelled"]
        assert "cancelled" in screen_text(app)


async def test_zoom_copy_and_rerun_one_column():
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, MODELS)
        await type_prompt(app, pilot, "What is a monad?")
        await pilot.press("ctrl+r")
        first = await wait_done(app, pilot)
        col_widget = columns(app)[1]
        col_widget.body.focus()
        await pilot.press("z")
        await pilot.pause()
        screen = app.compare_screen
        assert screen.has_class("-zoom") and col_widget.has_class("-zoomed")
        assert not columns(app)[0].display or columns(app)[0].region.width == 0
        assert col_widget.region.width == 120
        await pilot.press("z")
        await pilot.pause()
        assert not screen.has_class("-zoom")
        await pilot.press("c")
        assert app.clipboard == first[1].text
        old_rid = col_widget.response_id
        await pilot.press("r")
        await on_event(app, lambda: col_widget.response_id != old_rid and col_widget.response_id in screen.view.columns,
                       "the re-run's answer started")
        cols = await wait_done(app, pilot)
        assert col_widget.response_id != old_rid
        assert cols[1].response_id == col_widget.response_id and cols[1].status == "done"
        assert cols[0].response_id == first[0].response_id  # the other column is untouched
        assert screen.query_one(ResultsGrid).row_count == 2


async def test_follow_up_passes_each_models_history_and_ctrl_l_starts_fresh():
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, MODELS)
        await type_prompt(app, pilot, "Name a prime")
        await pilot.press("ctrl+r")
        first = await wait_done(app, pilot)
        await type_prompt(app, pilot, "And another?")
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        run = app.compare_screen.view.current_run
        for col in first:
            assert run.history[col.model] == [
                {"role": "user", "content": "Name a prime"},
                {"role": "assistant", "content": col.text},
            ]
        await pilot.press("ctrl+l")
        await type_prompt(app, pilot, "Fresh start")
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        assert app.compare_screen.view.current_run.history == {}


async def test_prompt_history_keys():
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/terse"])
        for prompt in ("first prompt", "second prompt"):
            await type_prompt(app, pilot, prompt)
            await pilot.press("ctrl+r")
            await wait_done(app, pilot)
        await type_prompt(app, pilot, "")
        await pilot.press("ctrl+up")
        assert app.compare_screen.query_one("#user").text == "second prompt"
        await pilot.press("ctrl+up")
        assert app.compare_screen.query_one("#user").text == "first prompt"
        await pilot.press("ctrl+down", "ctrl+down")
        assert app.compare_screen.query_one("#user").text == ""


async def test_many_models_at_80x24_stay_usable():
    app = make_app()
    models = ["demo/swift", "demo/steady", "demo/thinker", "demo/verbose", "demo/terse", "demo/flaky"]
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, models)
        await type_prompt(app, pilot, "Compare sorting algorithms")
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        widgets = columns(app)
        assert len(widgets) == 6
        assert all(w.region.width >= 30 or w.region.width == 0 for w in widgets)
        for i in range(6):  # ] walks the columns; each one scrolls into full view
            await pilot.press("alt+right" if i == 0 else "right_square_bracket")  # alt+: from the prompt
            await pilot.pause()
            focused = app.compare_screen.focused_column()
            assert focused is widgets[i]
            assert focused.region.x >= 0 and focused.region.right <= 80 and focused.region.height >= 5
        assert app.compare_screen.query_one(ResultsGrid).row_count == 6
        third = widgets[2]
        third.body.focus()
        await pilot.press("z", "z")  # zoom and back: the column stays on screen, focused
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        assert app.compare_screen.focused_column() is third
        assert third in app.compare_screen.visible_columns() and third.region.width >= 30
        assert third.region.x >= 0 and third.region.right <= 80
        assert all(w.region.width == 0 or w.region.width >= 30 for w in widgets)


async def test_an_answer_cut_by_max_tokens_says_so_and_small_costs_show():
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/swift"])
        app.compare_screen.query_one("#max_tokens").value = "5"
        await type_prompt(app, pilot, "Explain python generators")
        await pilot.press("ctrl+r")
        (col,) = await wait_done(app, pilot)
        assert col.record.finish_reason == "length"
        grid = app.compare_screen.query_one(ResultsGrid)
        row = grid.get_row(col.response_id)
        assert str(row[1]) == "length"
        cost = str(row[5])
        assert cost.startswith("$") and cost.strip("$0.") != ""  # a non-zero cost never reads $0.0000
        text = screen_text(app)
        assert "length     demo/swift" in text and "cut at max tokens" in text


async def test_cancelled_column_and_grid_agree_on_tokens():
    app = make_app(demo_speed=0.5)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/verbose"])
        await type_prompt(app, pilot, "Explain python generators in depth")
        await pilot.press("ctrl+r")
        screen = app.compare_screen

        def streamed() -> bool:
            cols = screen.current_columns()
            return bool(cols) and cols[0].answer_chars > 40

        await on_event(app, streamed, "some text streamed")
        columns(app)[0].body.focus()
        await pilot.press("escape")
        (col,) = await wait_done(app, pilot)
        assert col.status == "cancelled"
        row = screen.query_one(ResultsGrid).get_row(col.response_id)
        tokens = str(row[4])
        assert f"{tokens} tok" in screen_text(app)  # the column's stats line says the same count


async def test_earlier_turns_show_in_columns_and_a_turn_can_be_edited_or_branched():
    from tuiarena.ui.screens.compare_turns import TurnPicker
    from tuiarena.ui.widgets.prompt import PromptEditor

    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/swift"])
        screen = app.compare_screen
        app.rename_session("turns")  # the title would show the first prompt
        for prompt in ("First question", "Second question", "Third question"):
            await type_prompt(app, pilot, prompt)
            await pilot.press("ctrl+r")
            await wait_done(app, pilot)
        (column,) = columns(app)
        assert len(column.earlier) == 2 and column.earlier[0][0] == "First question"
        assert "2 earlier turns" in screen_text(app) and "First question" not in screen_text(app)
        column.body.focus()
        await pilot.press("e")  # collapsed by default; e opens them
        await pilot.pause()
        assert "First question" in screen_text(app)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, TurnPicker)
        await pilot.press("up", "enter")  # turn 2: branch from there
        await pilot.pause()
        editor = screen.query_one(PromptEditor)
        assert editor.user_text == "Second question" and len(screen.conversation) == 1
        editor.user_text = "Second question, rephrased"
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        run = screen.view.runs[screen.current_run_id]
        assert [m["content"] for m in run.history["demo/swift"] if m["role"] == "user"] == ["First question"]
        assert run.messages[-1]["content"] == "Second question, rephrased"


async def test_grid_shows_a_status_change_before_its_second(monkeypatch):
    """The grid's live figures refresh once a second, but a model that starts streaming says so
    within GRID_STATUS_S (set to 0 here, so the very next frame): at 80 columns the grid is where
    the models off the page show their status."""
    from tuiarena.model import ResponseDelta, ResponseStarted, RunStarted
    from tuiarena.ui.screens import compare_frames

    monkeypatch.setattr(compare_frames, "GRID_STATUS_S", 0.0)

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.compare_screen
        models = ["demo/swift", "demo/steady", "demo/thinker"]
        rids = {m: f"g{n}" for n, m in enumerate(models)}
        screen.load_events([RunStarted(run_id="r-grid", models=models, response_ids=rids,
                                       messages=[{"role": "user", "content": "hi"}])])
        await pilot.pause()
        screen.frame()
        grid = screen.query_one(ResultsGrid)
        assert [str(grid.get_row(r)[1]) for r in rids.values()] == ["waiting"] * 3
        screen.load_events([ResponseStarted(run_id="r-grid", response_id="g2", model="demo/thinker"),
                            ResponseDelta(response_id="g2", text="Hello", ms=120.0)])
        screen.frame()  # the next frame, well within the grid's second
        row = grid.get_row("g2")
        assert str(row[1]) == "streaming" and str(row[2]).strip() == "120"


async def test_grid_scrolls_sideways_a_column_at_a_time_keeping_the_model():
    """At 80 columns the grid's last columns are off screen: → brings the next whole column in (the
    model column stays), so Error is a few presses away, not ~50."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/terse"])
        await type_prompt(app, pilot, "hello")
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        await pilot.press("f4")  # the results grid

        def header() -> str:
            return next(line for line in screen_text(app).splitlines() if line.strip().startswith("Model"))

        assert "Error" not in header()
        presses = 0
        while "Error" not in header() and presses < 20:
            await pilot.press("right")
            await pilot.pause()
            presses += 1
        assert "Error" in header() and presses <= 10
        lines = screen_text(app).splitlines()
        row = lines[lines.index(header()) + 1]
        assert row.strip().startswith("demo/terse") and "Error" in header()  # the model column stayed
        for _ in range(presses):
            await pilot.press("left")
        await pilot.pause()
        assert "Status" in header() and "TTFT ms" in header()


async def test_keys_typed_in_a_burst_after_f3_or_the_models_filter_key_are_typed(tuiarena_home):
    """f3 (or "/" in the models list) then a word at once: the keys used to reach the old focus before
    the key moved it, and were lost or ran its keys (ui/type_ahead.py)."""
    from textual import events

    from tuiarena.ui.widgets.prompt import PromptEditor

    def burst(app, first: str, text: str) -> None:
        app.post_message(events.Key(first, "/" if first == "slash" else None))
        for c in text:
            app.post_message(events.Key("space" if c == " " else c, c))

    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        screen = app.compare_screen
        roster = screen.query_one(Roster)
        roster.query_one(RosterList).focus()
        await pilot.pause()
        selected = list(roster.selected)
        burst(app, "slash", "thin")
        await pilot.pause()
        assert [o.id for o in roster.query_one(RosterList).options if not o.disabled] == ["demo/thinker"]
        roster.query_one(RosterList).focus()
        await pilot.pause()
        burst(app, "f3", "say hi")  # the space would have toggled a model in the list
        await pilot.pause()
        assert screen.query_one(PromptEditor).user_text == "say hi" and list(roster.selected) == selected
