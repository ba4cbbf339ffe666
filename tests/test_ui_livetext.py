"""LiveText: follows a growing stream, lets the user scroll away and back, shows output literally,
and never changes its size (so streaming never re-lays out the screen)."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult

from tuiarena.ui.widgets.streamtext import LiveText, Wrapped, wrap_line


class Host(App):
    def compose(self) -> ComposeResult:
        yield LiveText()


def lines(n: int) -> str:
    return "".join(f"line {i}\n" for i in range(n))


def visible_rows(live: LiveText) -> list[str]:
    return [live.render_line(y).text.rstrip() for y in range(live.size.height)]


async def test_follows_the_end_then_stops_when_scrolled_up_and_resumes_on_end():
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        live = app.query_one(LiveText)
        size = live.size
        for n in (5, 25, 60):
            live.sync("", lines(n))
            await pilot.pause()
            assert f"line {n - 1}" in visible_rows(live)  # the newest line is on screen
        assert live.size == size  # growing text never resizes the box
        live.focus()
        await pilot.press("up", "up", "up")
        assert not live.follow
        top = live.top
        live.sync("", lines(80))
        await pilot.pause()
        assert live.top == top and "line 79" not in visible_rows(live)  # stays where the user is
        assert "more lines" in visible_rows(live)[-1]
        await pilot.press("end")
        assert live.follow and "line 79" in visible_rows(live)


async def test_output_is_data_and_final_markdown_replaces_plain_text():
    app = Host()
    shown_md = asyncio.Event()

    def hook(message) -> None:
        if isinstance(message, LiveText.MarkdownShown):
            shown_md.set()

    async with app.run_test(size=(50, 12), message_hook=hook) as pilot:
        live = app.query_one(LiveText)
        nasty = "\x1b[31mred [bold red]x[/] [link=http://x]y[/link] \x07bell"
        live.sync("thinking…", nasty)
        await pilot.pause()
        shown = " ".join(visible_rows(live))
        assert "\\x1b[31mred [bold red]x[/] [link=http://x]y[/link] \\x07bell" in shown
        assert "thinking…" in shown
        live.show_final("# Title\n\n- **bold** item", error="cut off: stream ended")
        await asyncio.wait_for(shown_md.wait(), 10)  # rendered off the event loop, then posted
        await pilot.pause()
        shown = "\n".join(visible_rows(live))
        assert live.rendered and "Title" in shown and "bold item" in shown and "**" not in shown
        assert "cut off: stream ended" in shown


def test_incremental_wrapping_matches_wrapping_all_at_once():
    text = "The quick brown fox jumps over the lazy dog. " * 20 + "\nnext paragraph here"
    w = Wrapped()
    w.rewrap(17)
    for i in range(0, len(text), 7):
        w.sync(text[: i + 7])
    whole = [ln for part in text.split("\n") for ln in wrap_line(part, 17)]
    assert w.lines == whole
