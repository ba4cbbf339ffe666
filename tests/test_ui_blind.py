"""Pilot tests of the blind arena and leaderboard screens against the offline demo models."""

from __future__ import annotations

import json

from textual.widgets import DataTable

from tests.ui_helpers import make_app, on_event, ready, screen_text
from tuiarena.ui.screens.blind import BlindColumn, BlindScreen
from tuiarena.ui.screens.leaderboard import LeaderboardScreen

ROSTER = ["demo/swift", "demo/steady", "demo/terse"]
IDENTIFYING = ("demo/", "swift", "steady", "terse", "nosuchmodel", "$", "tok/s", "TTFT", " tok")


async def wait_battle(screen: BlindScreen, pilot, timeout: float = 10.0) -> None:
    """Wait (on the app's event stream, no polling) until both answers are in, then let them draw."""
    app = screen.app
    await on_event(app, screen.ready_to_vote, lambda: f"battle did not finish: {[c.status for c in screen.columns()]}",
                   timeout)
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def vote_records(home) -> list[dict]:
    out = []
    for f in (home / "sessions").glob("*.jsonl"):
        out += [r for r in map(json.loads, f.read_text().splitlines()) if r["type"] == "vote"]
    return out


def assert_hidden(text: str) -> None:
    lowered = text.lower()
    for word in IDENTIFYING:
        assert word.lower() not in lowered, f"{word!r} visible before the vote:\n{text}"


async def test_full_vote_flow_vote_reveal_next(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(app, pilot)
        screen = BlindScreen(prompts=["Explain python generators", "What is a closure?"], models=ROSTER, seed=1)
        app.push_screen(screen)
        await pilot.pause()
        await wait_battle(screen, pilot)
        first = screen.battle
        assert first["prompt"] == "Explain python generators"
        assert first["left"] != first["right"] and {first["left"], first["right"]} <= set(ROSTER)
        assert_hidden(screen_text(app))
        assert all(c.text for c in screen.columns())

        await pilot.press("a")
        await screen.voted.wait()
        vote = first["vote"]
        assert vote is not None and vote.outcome == "a"
        assert (vote.model_a, vote.model_b) == (first["left"], first["right"])
        assert not vote.invalid and not vote.identity_leaked
        shown = screen_text(app)
        assert f"A was {first['left']}" in shown and f"B was {first['right']}" in shown
        assert "tok/s" in shown and "You voted: A is better" in shown
        assert all(c.revealed for c in screen.query(BlindColumn))
        await pilot.press("b")  # a second vote on the same battle is ignored
        await pilot.pause()
        assert len(screen.votes) == 1

        await pilot.press("n")
        await pilot.pause()
        second = screen.battle
        assert second is not first and second["prompt"] == "What is a closure?"
        assert not any(c.revealed for c in screen.query(BlindColumn))
        await wait_battle(screen, pilot)
        assert_hidden(screen_text(app))
        await pilot.press("right")
        await screen.voted.wait()
        assert second["vote"].outcome == "b"

        records = vote_records(tuiarena_home)
        assert [r["outcome"] for r in records] == ["a", "b"]
        assert records[0]["model_a"] == first["left"] and records[0]["response_a"] == first["ids"][0]
        assert records[0]["prompt"] == "Explain python generators"


async def test_prompt_box_tie_and_both_bad(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = BlindScreen(models=ROSTER, seed=4)
        app.push_screen(screen)
        await pilot.pause()
        await pilot.press("a")  # no battle yet: nothing happens
        assert screen.votes == []
        box = screen.query_one("#blind-prompt")
        box.value = "tell me about table"
        box.focus()
        await pilot.press("end", "b", "enter")  # letters go to the box, not to votes
        await pilot.pause()
        assert screen.battle["prompt"] == "tell me about tableb"
        await wait_battle(screen, pilot)
        assert_hidden(screen_text(app))
        await pilot.press("t")
        await pilot.pause()
        assert screen.votes[-1].outcome == "tie"
        revealed = screen.votes[-1].model_a
        await pilot.press("n")  # no queue: back to the prompt box, the judged battle gone
        await pilot.pause()
        assert screen.focused is box
        assert screen.battle is None and not any(c.revealed for c in screen.query(BlindColumn))
        assert revealed not in screen_text(app) and "You voted" not in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        await wait_battle(screen, pilot)
        await pilot.press("x")
        await pilot.pause()
        assert [v.outcome for v in screen.votes] == ["tie", "both_bad"]
        # pairs favour fewer battles: the second battle is a different pair
        pairs = [frozenset((v.model_a, v.model_b)) for v in screen.votes]
        assert pairs[0] != pairs[1]


async def test_failed_answer_stays_anonymous_and_vote_is_invalid(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = BlindScreen(prompts=["hello there"], models=["demo/swift", "demo/nosuchmodel"],
                             fixed=["demo/swift", "demo/nosuchmodel"], seed=2)
        app.push_screen(screen)
        await pilot.pause()
        await wait_battle(screen, pilot)
        statuses = sorted(c.status for c in screen.columns())
        assert statuses[0] == "done" and statuses[1] != "done"
        text = screen_text(app)
        assert_hidden(text)
        assert "failed" in text
        await pilot.press("a")
        await pilot.pause()
        vote = screen.votes[-1]
        assert vote.invalid
        assert "not rated" in screen_text(app)
        assert vote_records(tuiarena_home)[0]["invalid"] is True


async def test_leaderboard_screen_shows_votes(tuiarena_home):
    from tuiarena.model import VoteCast
    from tuiarena.store.sessions import SessionWriter

    with SessionWriter.create(kind="blind", name="votes") as w:
        for outcome in ["a"] * 8 + ["b"] * 2 + ["tie"]:
            w.write(VoteCast(model_a="demo/swift", model_b="demo/terse", outcome=outcome))
        w.write(VoteCast(model_a="demo/terse", model_b="demo/swift", outcome="a", identity_leaked=True))
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = LeaderboardScreen()
        await app.push_screen(screen)
        await screen.computed.wait()
        await pilot.pause()
        table = screen.query_one("#lb-table", DataTable)
        assert table.row_count == 2
        assert str(table.get_row_at(0)[1]) == "demo/swift"
        assert screen.board.votes == 11
        text = screen_text(app)
        assert "BT score" in text and "95% CI" in text and "1 identity-leaked" in text
        await pilot.press("i")
        await pilot.pause()
        assert screen.include_leaked  # the key is handled: the board is being computed anew
        await screen.computed.wait()
        assert screen.board.votes == 12
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LeaderboardScreen)


async def test_suite_battles_with_speed_setting(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        app.config.ui.show_speed_in_blind = True
        screen = BlindScreen.from_suite("classification", models=ROSTER, seed=3, own_session=True)
        assert screen.total_prompts >= 2
        first_prompt = screen.queue[0][0][-1]["content"]
        app.push_screen(screen)
        await pilot.pause()
        await wait_battle(screen, pilot)
        assert screen.battle["prompt"] == first_prompt
        text = screen_text(app)
        assert "tok/s" in text and "TTFT" in text  # speed shown on request...
        for word in ("demo/", "swift", "steady", "terse", "$", " tok ·"):
            assert word not in text  # ...but still no names, prices or token counts
        await pilot.press("left")
        await pilot.pause()
        assert screen.votes[-1].outcome == "a"
        assert len(screen.queue) == screen.total_prompts - 1
    # the suite's battles and votes have a session file of their own, not the compare session's
    files = {f: [json.loads(line) for line in f.read_text().splitlines()]
             for f in (tuiarena_home / "sessions").glob("*.jsonl")}
    assert len(files) == 1
    (records,) = files.values()
    assert records[0]["kind"] == "blind" and "classification" in records[0]["name"]
    assert [r["type"] for r in records].count("vote") == 1


async def test_follow_up_turns_before_the_vote(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = BlindScreen(models=ROSTER, seed=5)
        app.push_screen(screen)
        await pilot.pause()
        box = screen.query_one("#blind-prompt")
        box.value = "Explain python generators"
        box.focus()
        await pilot.press("enter")
        await wait_battle(screen, pilot)
        first = {c.model: c.text for c in screen.columns()}
        left, right = screen.battle["left"], screen.battle["right"]
        box.value = "And when would you not use one?"
        box.focus()
        await pilot.press("enter")  # before the vote: a follow-up to the same pair
        await pilot.pause()
        assert screen.battle["turns"] == 2 and (screen.battle["left"], screen.battle["right"]) == (left, right)
        await wait_battle(screen, pilot)
        run = screen.view.runs[screen.battle["run_id"]]
        for model in (left, right):  # each side saw its own earlier answer
            assert run.history[model][-1] == {"role": "assistant", "content": first[model]}
        assert_hidden(screen_text(app))
        await pilot.press("a")
        await pilot.pause()
        assert len(screen.votes) == 1 and screen.votes[0].run_id == screen.battle["run_id"]


async def test_blind_arena_opened_by_key_keeps_its_own_session(tuiarena_home):
    """f7 from the compare screen: battles and votes go to a blind session of their own, not into a
    compare session (the sessions list then says what they are)."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BlindScreen)
        screen.start_battle("Explain python generators")
        await wait_battle(screen, pilot)
        await pilot.press("a")
        await pilot.pause()
    files = list((tuiarena_home / "sessions").glob("*.jsonl"))
    assert len(files) == 1, files
    records = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert records[0]["kind"] == "blind" and records[0]["name"] == "blind arena"
    assert [r["type"] for r in records].count("run") == 1 and len(vote_records(tuiarena_home)) == 1


async def test_a_follow_up_typed_fast_after_f3_is_not_a_vote(tuiarena_home):
    """f3 then "a bit more" arriving in one burst (a fast typist, a paste, a slow SSH link): every
    key used to reach the answers before f3 moved the focus, and the "a" cast a vote."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = BlindScreen(models=ROSTER, seed=5)
        app.push_screen(screen)
        await pilot.pause()
        screen.start_battle("Explain python generators")
        await wait_battle(screen, pilot)
        assert screen.focused is not screen.query_one("#blind-prompt")
        for key, char in [("f3", None), *(("space" if c == " " else c, c) for c in "a bit more")]:
            app.post_message(events.Key(key, char))
        await pilot.pause()
        assert screen.battle["vote"] is None and not screen.votes and vote_records(tuiarena_home) == []
        assert screen.query_one("#blind-prompt").value == "a bit more"
