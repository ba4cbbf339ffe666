"""The arena-mode app one browser connection runs: only the battle and the leaderboard reachable,
the voter label asked once per browser, one session file per connection with the voter on each
vote, no model name in any title or notification before the vote, a live leaderboard."""

from __future__ import annotations

from textual.widgets import Input

from tests.ui_helpers import notifications, ready, shown
from tuiarena.model import VoteCast
from tuiarena.store.sessions import SessionWriter, list_sessions, read_session
from tuiarena.ui.app import AppOptions
from tuiarena.ui.dialogs import TextPrompt
from tuiarena.ui.screens.arena_mode import ArenaBlindScreen, ArenaLeaderboardScreen
from tuiarena.ui.serve.app import GENERIC, ArenaApp, load_voter

MODELS = ["demo/swift", "demo/steady"]
BROWSER = "0123456789abcdef0123456789abcdef"
# every action a key can reach in arena mode (screen, widgets, app)
ALLOWED = {"vote", "next_battle", "focus_prompt", "cancel_battle", "open_leaderboard", "back", "quit",
           "app.focus_next", "app.focus_previous", "screen.copy_text", "scroll_lines", "scroll_page",
           "scroll_to", "toggle_leaked", "refresh", "cancel"}
FORBIDDEN = {"command_palette", "new_session", "rename_session", "help", "open_screen", "change_theme"}


def make(prompts=None, browser=BROWSER) -> ArenaApp:
    opts = AppOptions(probe_local=False, demo_speed=200.0, cursor_blink=False, frame_hz=30.0)
    return ArenaApp(MODELS, str(prompts) if prompts else None, browser, opts)


async def arena(app, pilot) -> ArenaBlindScreen:
    """The arena on screen after discovery (the app's ``discovered`` event, Textual's screen-change
    signal): no polling."""
    await ready(app, pilot)
    return await shown(app, ArenaBlindScreen)


def key_actions(app) -> set[str]:
    """Actions of the app and the screen reachable by a key now (widgets' own moving and editing
    keys - the prompt box, the tables, scrolling - aside)."""
    from textual.app import App
    from textual.screen import Screen

    return {active.binding.action.split("(", 1)[0] for active in app.active_bindings.values()
            if isinstance(active.node, (App, Screen))}


async def test_voter_is_asked_once_per_browser_and_stamped_on_votes(tuiarena_home, tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "1", "input": "Name a colour."}\n', encoding="utf-8")
    app = make(prompts)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"carol", "enter")
        screen = await arena(app, pilot)
        await screen.answers_in.wait()  # the first prompt's battle
        titles = " ".join([app.title, app.sub_title, str(screen.title), str(screen.sub_title)])
        for model in MODELS:
            assert model not in titles
        await pilot.press("b")
        await screen.voted.wait()
    assert load_voter(BROWSER) == "carol"
    [summary] = list_sessions()
    log = read_session(summary.path)
    assert log.header.kind == "blind" and log.header.meta == {"serve": "arena", "voter": "carol"}
    [vote] = [e for e in log.events if isinstance(e, VoteCast)]
    assert vote.voter == "carol" and vote.outcome == "b"

    again = make(prompts)  # the same browser comes back: not asked, its label shown
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(again.screen, ArenaBlindScreen)
        assert "carol" in again.sub_title


async def test_only_arena_keys_and_no_command_palette(tuiarena_home):
    app = make(browser="")  # no browser id: asked, nothing stored
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")  # skip the label
        await arena(app, pilot)
        assert app.voter == "" and not app.ENABLE_COMMAND_PALETTE
        assert key_actions(app) <= ALLOWED, key_actions(app) - ALLOWED
        every = {a.binding.action.split("(", 1)[0] for a in app.active_bindings.values()}
        assert not every & FORBIDDEN
        for key in ("ctrl+p", "f1", "ctrl+n", "f2", "escape", "escape"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ArenaBlindScreen), key
        await pilot.press("ctrl+t")
        await shown(app, ArenaLeaderboardScreen)
        assert key_actions(app) <= ALLOWED, key_actions(app) - ALLOWED
        await pilot.press("escape")
        screen = await shown(app, ArenaBlindScreen)  # back to voting
        screen.query_one("#blind-prompt", Input).focus()
        await pilot.press(*"own prompt", "enter")  # a voter's own prompt starts a battle
        await screen.answers_in.wait()
        assert screen.battle["prompt"] == "own prompt"


async def test_notifications_that_could_name_a_path_are_replaced(tuiarena_home, capfd):
    app = make(browser="")
    messages: list = []
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        app.notify("cannot write the vote to the session file: /secret/path/x.jsonl", severity="error")
        app.notify("discovery: openai at https://internal.example failed", severity="warning")
        app.notify("write a prompt first", severity="warning")
        await pilot.pause()
        shown = " ".join(notifications(messages))  # what reached the screen, as tests/test_ui_app.py reads it
        assert GENERIC.split(";")[0] in shown and "write a prompt first" in shown
        assert "/secret" not in shown and "internal.example" not in shown
    err = capfd.readouterr().err
    assert "/secret/path/x.jsonl" in err and "internal.example" in err  # the host sees them


async def test_leaderboard_picks_up_votes_from_other_connections(tuiarena_home):
    app = make(browser="")
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("escape")
        await pilot.press("ctrl+t")
        board = await shown(app, ArenaLeaderboardScreen)
        await board.computed.wait()  # the first computation
        assert board.voters.rows == []
        with SessionWriter.create(kind="blind") as other:  # another browser's process votes
            other.write(VoteCast(run_id="r", model_a="demo/swift", model_b="demo/steady", response_a="1",
                                 response_b="2", outcome="a", voter="eve"))
        board.poll()  # what the one-second timer does: a file changed, so it computes anew
        await board.computed.wait()
        assert board.voters.rows[0].voter == "eve"
        assert board.board.votes == 1


async def test_judge_runs_on_the_voted_pair_after_the_vote(tuiarena_home):
    from tuiarena.model import ScoreGiven

    opts = AppOptions(probe_local=False, demo_speed=200.0, cursor_blink=False, frame_hz=30.0)
    app = ArenaApp(MODELS, None, "", opts, judge="demo/thinker")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")
        screen = await arena(app, pilot)
        screen.query_one("#blind-prompt", Input).focus()
        await pilot.press(*"hello", "enter")
        await screen.answers_in.wait()
        assert not [w for w in app.workers if w.group == "judge"]  # nothing judged before the vote
        await pilot.press("t")
        await screen.voted.wait()
        await app.workers.wait_for_complete()
    [summary] = list_sessions()
    events = read_session(summary.path).events
    [vote] = [e for e in events if isinstance(e, VoteCast)]
    [score] = [e for e in events if isinstance(e, ScoreGiven)]
    assert score.scorer == "judge:pairwise" and score.detail["judge_model"] == "demo/thinker"
    assert {score.detail["response_a"], score.detail["response_b"]} == {vote.response_a, vote.response_b}


async def test_a_failed_answer_is_revealed_without_its_error_text(tuiarena_home, capfd):
    from tuiarena.ui.screens.arena_mode import ArenaColumn

    opts = AppOptions(probe_local=False, demo_speed=200.0, cursor_blink=False, frame_hz=30.0)
    app = ArenaApp(["demo/swift", "demo/nosuchmodel"], None, "", opts)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("escape")
        screen = await arena(app, pilot)
        screen.query_one("#blind-prompt", Input).focus()
        await pilot.press(*"hello", "enter")
        await screen.answers_in.wait()
        [failed] = [c for c in screen.columns() if c.status != "done"]
        assert failed.record.error  # the error the voter must not see
        await pilot.press("a")
        await screen.voted.wait()  # the names revealed with the vote, and what failed

        def stats() -> str:
            return " ".join(str(c.query_one(".blind-stats").render()) for c in screen.query(ArenaColumn))

        assert "this answer failed" in stats()
        assert failed.record.error not in stats()
    assert failed.record.error in capfd.readouterr().err  # the host's log has it
