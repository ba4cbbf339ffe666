"""`tuiarena serve` in a real browser: headless Chromium (the system's) driven by Playwright opens
the arena, gives a voter label, votes with the keyboard, and the vote lands in the sessions
folder, on the leaderboard (command and screen), with no model name sent before the vote."""

from __future__ import annotations

import json
import os

import pytest

from tests.serve_helpers import (
    CHROMIUM_ARGS,
    Stream,
    need_browser,
    session_records,
    start_arena,
    wait_until,
)

MODELS = ["demo/swift", "demo/steady"]


@pytest.fixture
def arena(tmp_path, tuiarena_home, monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "40")
    server, stop = start_arena(tmp_path, MODELS, "Explain recursion in one sentence.")
    yield server, tuiarena_home
    stop()


def test_vote_in_the_browser_lands_in_the_sessions_folder_and_on_the_leaderboard(arena, capsys):
    from playwright.sync_api import sync_playwright

    chromium = need_browser()
    server, home = arena
    sessions = home / "sessions"
    stream = Stream()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 640})
            stream.attach(page)
            page.goto(f"http://127.0.0.1:{server.bound_port}/")
            assert page.title() == "tuiarena arena"
            page.wait_for_selector("body.-first-byte", timeout=20_000)
            wait_until(lambda: "Your name for the leaderboard" in stream.text, 20, "the voter prompt", page)
            page.click("#terminal")
            page.keyboard.type("alice")
            page.keyboard.press("Enter")
            wait_until(lambda: list((home / "serve" / "voters").glob("*")), 20, "the voter label on disk", page)
            wait_until(lambda: "Both answers are in" in stream.text, 25, "both answers", page)
            before_vote = stream.text
            shot = os.environ.get("TUIARENA_SERVE_SCREENSHOT")  # docs/serve-arena.png is made this way
            if shot:
                page.wait_for_timeout(300)  # let the final frame reach the canvas
                page.screenshot(path=shot)
            for model in MODELS:  # nothing the browser received so far names a model
                assert model not in before_vote
            page.keyboard.press("a")
            votes = wait_until(lambda: [r for r in session_records(sessions) if r.get("type") == "vote"], 20,
                               "the vote in the sessions folder", page)
            wait_until(lambda: "You voted" in stream.text, 20, "the reveal", page)
            page.keyboard.press("Control+t")
            wait_until(lambda: "Votes per voter" in stream.text and "alice" in stream.text.split("Votes per voter")[-1],
                       20, "the leaderboard with alice's vote", page)
        finally:
            browser.close()
    assert len(votes) == 1
    vote = votes[0]
    assert vote["voter"] == "alice" and vote["outcome"] == "a"
    assert {vote["model_a"], vote["model_b"]} == set(MODELS)
    assert f"A was {vote['model_a']}" in stream.text
    from tuiarena.cli import main

    capsys.readouterr()
    assert main(["leaderboard", "--json", "--rounds", "0"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert board["votes"] == 1
    assert {r["model"] for r in board["rows"]} == set(MODELS)
    assert board["voters"]["voters"][0]["voter"] == "alice"
