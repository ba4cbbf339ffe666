"""App-level behaviour: errors in the right place, literal model output, keys, help, themes."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.fakeserver import FakeServer
from tests.ui_helpers import (
    columns,
    make_app,
    notifications,
    ready,
    screen_text,
    select,
    type_prompt,
    wait_done,
)
from tuiarena.model import SessionRenamed
from tuiarena.ui.commands import arena_commands
from tuiarena.ui.help import HelpScreen, binding_rows
from tuiarena.ui.widgets.column import OutputColumn
from tuiarena.ui.widgets.streamtext import Wrapped, wrap_line


@pytest.fixture
def fake_endpoint(tuiarena_home, monkeypatch):
    with FakeServer(n_tokens=12) as srv:
        tuiarena_home.mkdir(parents=True, exist_ok=True)
        (tuiarena_home / "config.toml").write_text(
            f'[endpoints.fake]\nbase_url = "{srv.base_url}"\napi_key_env = "FAKE_TEST_KEY"\n'
            'models = ["normal", "auth", "escape"]\nmax_retries = 0\n'
        )
        monkeypatch.delenv("FAKE_TEST_KEY", raising=False)
        yield srv


async def test_401_lands_in_its_column_naming_the_env_var(fake_endpoint, monkeypatch):
    monkeypatch.setenv("FAKE_TEST_KEY", "wrong")
    app = make_app()
    async with app.run_test(size=(140, 36)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["fake/normal", "fake/auth"])
        await type_prompt(app, pilot, "hi")
        await pilot.press("ctrl+r")
        cols = await wait_done(app, pilot)
        assert [c.status for c in cols] == ["done", "error"]
        bad = columns(app)[1]
        assert any("FAKE_TEST_KEY" in line for line in bad.body.error)  # in that column, not elsewhere
        text = screen_text(app)
        assert "FAKE_TEST_KEY" in text and "401" in text
        assert "Traceback" not in text


async def test_model_output_is_shown_literally(fake_endpoint, monkeypatch):
    monkeypatch.setenv("FAKE_TEST_KEY", "x")
    app = make_app()
    async with app.run_test(size=(160, 36)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["fake/escape"])
        await type_prompt(app, pilot, "hi")
        await pilot.press("ctrl+r")
        cols = await wait_done(app, pilot)
        assert "[bold red]x[/]" in cols[0].text
        text = screen_text(app)
        assert "\\x1b[31mred" in text
        assert "[bold red]x[/]" in text
        assert "[link=x]y[/link]" in text
        assert "\x1b" not in text and "\x07" not in text


def test_wrapped_text_shows_markup_and_escapes_literally():
    w = Wrapped()
    w.rewrap(40)
    w.sync("\x1b[31mred [bold red]x[/] [link=http://x]y[/link] bell\x07")
    joined = "".join(w.lines)
    assert "\\x1b[31mred" in joined and "[bold red]x[/]" in joined and "\\x07" in joined


def test_incremental_wrap_matches_whole_wrap():
    text = ("lorem ipsum dolor sit amet " * 30 + "\n" + "x" * 95 + "\n\nend of text ") * 3
    whole = Wrapped()
    whole.rewrap(23)
    whole.sync(text)
    pieces = Wrapped()
    pieces.rewrap(23)
    for i in range(0, len(text), 7):
        pieces.sync(text[: i + 7])
    assert pieces.lines == whole.lines
    assert all(len(line) <= 23 for line in whole.lines)
    assert wrap_line("aaa bbb", 3) == ["aaa", "bbb"]


async def test_broken_config_is_one_notification_and_app_runs(tuiarena_home):
    tuiarena_home.mkdir(parents=True)
    (tuiarena_home / "config.toml").write_text("[ui\ntheme = 3\n")
    app = make_app()
    messages: list = []
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        await ready(app, pilot)
        notes = notifications(messages)
        assert len(notes) == 1 and "config.toml" in notes[0] and "line" in notes[0]
        assert app.runner is not None  # still running on defaults


async def test_bad_theme_file_is_reported_and_skipped_user_theme_overrides(tuiarena_home):
    themes = tuiarena_home / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (themes / "mine.toml").write_text('name = "tuiarena-light"\ndark = false\nprimary = "#ff0000"\n')
    app = make_app()
    messages: list = []
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        await ready(app, pilot)
        notes = notifications(messages)
        assert len(notes) == 1 and "broken.toml" in notes[0]
        assert "broken" not in app.available_themes
        assert app.available_themes["tuiarena-light"].primary == "#ff0000"
        assert {"tuiarena-dark", "high-contrast", "ansi-16"} <= set(app.available_themes)


async def test_theme_switch_persists(tuiarena_home):
    config = "# my settings, my comments\n[defaults]\ntemperature = 0.5  # warm\n"
    tuiarena_home.mkdir(parents=True, exist_ok=True)
    (tuiarena_home / "config.toml").write_text(config)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert app.theme == "tuiarena-dark"
        changed = asyncio.Event()  # Textual announces the theme; the app, subscribed first, saves it then
        app.theme_changed_signal.subscribe(app.screen, lambda _theme: changed.set(), immediate=True)
        app.set_theme("high-contrast")
        await asyncio.wait_for(changed.wait(), 30)
        assert json.loads((tuiarena_home / "state.json").read_text())["theme"] == "high-contrast"
    assert json.loads((tuiarena_home / "state.json").read_text())["theme"] == "high-contrast"
    assert (tuiarena_home / "config.toml").read_text() == config  # the user's file is never rewritten
    app2 = make_app()
    async with app2.run_test(size=(100, 30)) as pilot:
        assert app2.theme == "high-contrast"


async def test_keys_are_rebindable_from_config(tuiarena_home):
    tuiarena_home.mkdir(parents=True)
    (tuiarena_home / "config.toml").write_text('[keys]\nrun = "f12"\n')
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/terse"])
        await type_prompt(app, pilot, "hello")
        assert "press f12" in screen_text(app)  # the hints name the key as bound now
        await pilot.press("f12")
        cols = await wait_done(app, pilot)
        assert cols and cols[0].status == "done"
        rows = {r[3]: r[1] for r in binding_rows(app)}
        assert rows["run"] == app.get_key_display(__import__("textual.binding").binding.Binding("f12", "x"))
        assert any(t == "Run prompt" and h.endswith("(f12)") for t, h, _c in arena_commands(app))


async def test_help_lists_every_binding_and_palette_every_action():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        app.compare_screen.query_one(OutputColumn) if columns(app) else None
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {r[3] for r in binding_rows(app)}
        for binding_id in ("run", "cancel_all", "new_conversation", "zoom", "copy", "cancel", "rerun",
                           "new_session", "rename_session", "help", "toggle_model", "filter_models",
                           "sort_results", "history_prev", "quit"):
            assert binding_id in ids
        table_text = screen_text(app)
        assert "Cancel all" in table_text and "Zoom" in table_text
        await pilot.press("escape")
        titles = [t for t, _h, _c in arena_commands(app)]
        for needed in ("Run prompt", "New session", "Rename session", "Open: Blind arena",
                       "Open: Leaderboard", "Open: Sessions", "Open: Test suites", "Zoom column",
                       "Copy column text", "Cancel column", "Re-run column", "New conversation", "Cancel all streams"):
            assert needed in titles


async def test_rename_and_new_session(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/terse"])
        await type_prompt(app, pilot, "first")
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        inp = app.screen.query_one("Input")
        inp.value = "my [b]session[/b]"
        await pilot.press("enter")
        await pilot.pause()
        assert app.sub_title == "my [b]session[/b]"
        first_file = app.session_writer().path
        await pilot.press("ctrl+n")
        await type_prompt(app, pilot, "second")
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        assert app.session_writer().path != first_file
    assert '"type": "rename"' in first_file.read_text().replace('"type":"rename"', '"type": "rename"')
    assert SessionRenamed.type == "rename"


async def test_open_screen_opens_each_screen_and_names_unknown_ones():
    app = make_app()
    messages: list = []
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        await ready(app, pilot)
        app.open_screen("nosuch")
        await pilot.pause()
        assert any("unknown screen" in n for n in notifications(messages))
        for name, cls in (("sessions", "SessionsScreen"), ("leaderboard", "LeaderboardScreen"),
                          ("suite", "SuiteScreen"), ("blind", "BlindScreen")):
            app.open_screen(name)
            await pilot.pause()
            assert type(app.screen).__name__ == cls
            app.pop_screen()
            await pilot.pause()

async def test_ansi_theme_from_config_starts_and_screens_open(tuiarena_home):
    tuiarena_home.mkdir(parents=True)
    (tuiarena_home / "config.toml").write_text('[ui]\ntheme = "ansi-16"\n')
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert app.theme == "ansi-16"
        assert "compare" in screen_text(app)
        assert len([t for t in app.available_themes if t.startswith("textual-")]) <= 3  # a short theme list
        for key, name in (("f7", "BlindScreen"), ("f9", "SessionsScreen"), ("f10", "LeaderboardScreen"),
                          ("f11", "HistoryScreen")):
            await pilot.press(key)  # priority keys: they work with the prompt focused
            await pilot.pause()
            assert type(app.screen).__name__ == name
            assert app.screen.sub_title in screen_text(app)  # the title names the screen
        await pilot.press("f9")  # already open below: back to it, not a second copy
        await pilot.pause()
        assert type(app.screen).__name__ == "SessionsScreen"
        assert sum(type(s).__name__ == "SessionsScreen" for s in app.screen_stack) == 1


async def test_f6_toggles_the_system_prompt_from_the_prompt_box(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:  # short: the system box starts hidden
        await ready(app, pilot)
        screen = app.compare_screen
        screen.query_one("#user").focus()
        await pilot.press("f6")
        await pilot.pause()
        assert screen.focused is screen.query_one("#system")
        assert screen.query_one("#user").text == ""  # the prompt box did not take the key


async def test_real_endpoints_are_preselected_before_the_demo(fake_endpoint, monkeypatch):
    monkeypatch.setenv("FAKE_TEST_KEY", "x")
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        selected = app.compare_screen.query_one("Roster").selected
        assert selected and all(m.startswith("fake/") for m in selected)
