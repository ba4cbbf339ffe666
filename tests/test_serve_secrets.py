"""API keys never reach a browser, and model identities only after the vote: ``tuiarena serve``
runs with a recognisable OPENAI_API_KEY whose endpoint (OPENAI_BASE_URL) is a loopback fake
OpenAI server, so a real battle streams through the real ``openai`` SDK; headless Chromium plays
the battle, votes, sees the reveal and the leaderboard, and everything it received (every HTTP
response's headers and body, every websocket frame, the page's DOM and cookies) is searched."""

from __future__ import annotations

import pytest

from tests.fakeserver import FakeServer
from tests.serve_helpers import CHROMIUM_ARGS, Stream, need_browser, session_records, start_arena, wait_until

KEY = "sk-test-NEVER-IN-BROWSER-123"
NAMES = ["alpha-secret-one", "beta-secret-two"]  # names that appear nowhere else on the page
MODELS = [f"openai/{n}" for n in NAMES]


@pytest.fixture
def keyed_arena(tmp_path, monkeypatch):
    fake = FakeServer(ttft=0.02, tokens_per_s=400, n_tokens=40, models=NAMES).start()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # the server's environment; its apps inherit it
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    server, stop = start_arena(tmp_path, MODELS, "Say something.")
    yield server, fake
    stop()
    fake.stop()


def test_api_key_never_reaches_the_browser_and_names_wait_for_the_vote(keyed_arena, tuiarena_home):
    from playwright.sync_api import sync_playwright

    chromium = need_browser()
    server, fake = keyed_arena
    stream = Stream()
    responses = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 640})
            stream.attach(page)
            page.on("response", lambda r: responses.append(r))
            page.goto(f"http://127.0.0.1:{server.bound_port}/")
            page.wait_for_selector("body.-first-byte", timeout=20_000)
            wait_until(lambda: "Your name for the leaderboard" in stream.text, 20, "the voter prompt", page)
            page.click("#terminal")
            page.keyboard.type("kim")
            page.keyboard.press("Enter")
            wait_until(lambda: "Both answers are in" in stream.text, 30, "both answers", page)
            before_vote = "".join(stream.chunks)
            plain_before = stream.text
            page.keyboard.press("a")
            wait_until(lambda: "You voted" in stream.text and "A was openai/" in stream.text, 20, "the reveal", page)
            page.keyboard.press("Control+t")
            wait_until(lambda: "Votes per voter" in stream.text and "kim" in stream.text.split("Votes per voter")[-1],
                       20, "the leaderboard", page)
            bodies = []
            for r in responses:
                headers = " ".join(f"{k}: {v}" for k, v in r.all_headers().items())
                try:
                    body = r.body()
                except Exception:  # the websocket upgrade and redirects have no body
                    body = b""
                bodies.append((r.url, headers, body.decode("utf-8", "replace")))
            dom = page.evaluate("document.documentElement.outerHTML")
            cookies = str(page.context.cookies())
            storage = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
        finally:
            browser.close()

    # the key was in use: the fake endpoint got it from the app processes, on the server's side
    chats = fake.chat_requests
    assert len(chats) >= 2 and all(r.headers.get("authorization") == f"Bearer {KEY}" for r in chats)
    # ... and nothing the browser received carries it
    frames = "".join(stream.chunks)
    assert len(frames) > 10_000 and len(bodies) >= 3
    assert KEY not in frames and KEY not in stream.text
    for url, headers, body in bodies:
        assert KEY not in headers and KEY not in body, url
    for where in (dom, cookies, storage):
        assert KEY not in where
    # the models' names and their endpoint's address: nowhere before the vote, the names after it
    for secret in (*NAMES, f"127.0.0.1:{fake.port}"):
        assert secret not in before_vote and secret not in plain_before
        for url, headers, body in bodies:
            assert secret not in body and secret not in headers, url
    [vote] = [r for r in session_records(tuiarena_home / "sessions") if r.get("type") == "vote"]
    assert vote["voter"] == "kim" and {vote["model_a"], vote["model_b"]} == set(MODELS)
    assert f"A was {vote['model_a']}" in stream.text
