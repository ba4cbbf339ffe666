"""Starting the app from the command line (models, a prompt, a saved session) and the $EDITOR key."""

from __future__ import annotations

import contextlib

from tests.replay_helpers import done, run, write_session
from tests.ui_helpers import make_app, ready, screen_text, shown, wait_done
from tuiarena.cli import main
from tuiarena.model import SessionHeader
from tuiarena.ui.app import AppOptions, StartRequest, TuiArena
from tuiarena.ui.editor import edit_text


async def test_models_and_a_prompt_on_the_command_line_run_at_once(tuiarena_home):
    app = TuiArena(AppOptions(probe_local=False, demo_speed=200.0, cursor_blink=False),
                   start=StartRequest(models=["demo/terse", "demo/swift"], prompt="Say hi"))
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        cols = await wait_done(app, pilot)
        assert [c.model for c in cols] == ["demo/terse", "demo/swift"]
        assert all(c.status == "done" for c in cols)
        run_ = app.compare_screen.view.runs[app.compare_screen.current_run_id]
        assert run_.messages[-1]["content"] == "Say hi"


async def test_session_on_the_command_line_opens_it(tuiarena_home):
    r = run("s-r1", ["demo/swift"], "Capital of France?")
    path = write_session(tuiarena_home / "sessions" / "20231114-000000-s1.jsonl", [r, done(r, "demo/swift", "Paris.")],
                         SessionHeader(session_id="s1", name="geo", kind="compare", created=1_700_000_000.0))
    app = TuiArena(AppOptions(probe_local=False, cursor_blink=False), start=StartRequest(session=path))
    async with app.run_test(size=(120, 30)):
        from tuiarena.ui.screens.replay import ReplayScreen

        replay = await shown(app, ReplayScreen)
        await replay.finished.wait()


async def test_a_suite_session_on_the_command_line_reopens_as_it_ended(tuiarena_home, monkeypatch, capsys):
    """``tuiarena --session`` opens a suite session as Enter on the sessions screen does: the suite
    screen with its matrix and summary, not a replay of its runs."""
    from pathlib import Path

    from tuiarena.ui.screens.suite import SuiteScreen

    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")
    tiny = Path(__file__).parent / "data" / "suite_tiny.toml"
    import asyncio

    # the headless command (its own event loop, so in a thread) writes the suite session
    assert await asyncio.to_thread(main, ["suite", str(tiny), "-m", "demo/swift", "-m", "demo/terse"]) in (0, 1)
    capsys.readouterr()
    (path,) = (tuiarena_home / "sessions").glob("*.jsonl")
    app = TuiArena(AppOptions(probe_local=False, cursor_blink=False), start=StartRequest(session=path))
    async with app.run_test(size=(120, 30)) as pilot:
        # the screen is pushed after the first frame, before discovery starts; it reopens the
        # session after its own first refresh. 30 s: not a speed limit (a loaded shared machine)
        await asyncio.wait_for(app.discovered.wait(), 30)
        screen = await shown(app, SuiteScreen)
        await screen.reported.wait()
        await pilot.pause()
        assert screen.report is not None
        assert screen.report["suite"] == "tiny" and f"reopened from {path.name}" in screen_text(app)
        assert str(screen.sub_title).endswith("(saved)")  # not "new session"


def test_unknown_session_is_one_line_and_exit_2(tuiarena_home, capsys):
    assert main(["--session", "no-such-session"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tuiarena:") and "\n" not in err


def test_edit_text_round_trips_through_the_editor(monkeypatch, tmp_path):
    class FakeApp:
        def suspend(self):
            return contextlib.nullcontext()

    monkeypatch.setenv("VISUAL", "sed -i s/draft/final/")
    text, problem = edit_text(FakeApp(), "a draft prompt")
    assert (text, problem) == ("a final prompt", "")
    monkeypatch.setenv("VISUAL", "false")
    text, problem = edit_text(FakeApp(), "x")
    assert text is None and "exited with status 1" in problem


async def test_editor_key_without_a_terminal_is_one_message(tuiarena_home):
    app = make_app()
    said: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (said.append(str(message)), notify(message, **kw))[1]
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        app.compare_screen.query_one("#user").text = "keep me"
        await pilot.press("ctrl+o")  # the test driver cannot suspend: one message, the prompt kept
        await pilot.pause()
        assert app.compare_screen.query_one("#user").text == "keep me"
        assert any("editor" in m for m in said)
