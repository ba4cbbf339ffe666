"""The cheap drawing paths stay correct: rows drawn once and reused, columns out of view catching up,
the key bar, the grid's one-line cells, and the garbage-collection policy putting things back."""

from __future__ import annotations

import gc
import io

from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Static

from tests.ui_helpers import columns, make_app, ready, select, type_prompt, wait_done
from tuiarena.ui.gcpolicy import QuietCollector
from tuiarena.ui.widgets.keybar import KeyBar
from tuiarena.ui.widgets.lines import TextLine
from tuiarena.ui.widgets.results import Cell
from tuiarena.ui.widgets.streamtext import LiveText


def rows(widget, width: int, height: int) -> list[str]:
    """What the compositor gets from the widget (its own lines, padding included)."""
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


class Host(App):
    BINDINGS = [("ctrl+t", "toggle_note", "Note")]

    def __init__(self) -> None:
        super().__init__()
        self.noted = 0

    def compose(self) -> ComposeResult:
        yield TextLine(Text("TTFT 120ms · 180.0 tok/s · 26 tok · 1.52s"))
        yield LiveText()
        yield KeyBar()

    def action_toggle_note(self) -> None:
        self.noted += 1


async def test_rows_are_redrawn_when_their_line_changes_and_kept_otherwise():
    app = Host()
    async with app.run_test(size=(30, 10)) as pilot:
        live = app.query_one(LiveText)
        live.sync("", "alpha beta")
        await pilot.pause()
        first = live.render_lines(Region(0, 0, 30, 3))
        assert first[0].text.strip() == "alpha beta"
        assert first[0].text.startswith(" alpha")  # the padding is drawn too
        again = live.render_lines(Region(0, 0, 30, 3))
        assert again[0] is first[0]  # unchanged row: the same strip, not drawn again
        live.sync("", "alpha beta gamma")  # the last line grows in place
        await pilot.pause()
        assert rows(live, 30, 1)[0].strip() == "alpha beta gamma"
        live.sync("thinking", "alpha beta gamma")  # reasoning arrives above: every row moves
        await pilot.pause()
        assert [r.strip() for r in rows(live, 30, 3)] == ["thinking", "", "alpha beta gamma"]


async def test_columns_side_by_side_take_turns_to_jump():
    app = Host()
    async with app.run_test(size=(30, 22)) as pilot:
        live = app.query_one(LiveText)
        height = live.size.height
        text = "".join(f"line {i}\n" for i in range(height - 3))
        live.jump_phase = 0.0
        live.sync("", text)
        await pilot.pause()
        assert live.top == 0  # room left: no jump yet
        live.clear()
        live.jump_phase = 0.9
        live.sync("", text)
        await pilot.pause()
        assert live.top > 0  # this column jumps a little earlier than its neighbour
        assert f"line {height - 4}" in [r.strip() for r in rows(live, 30, height + 2)]


async def test_stats_line_cuts_with_an_ellipsis_and_follows_updates():
    app = Host()
    async with app.run_test(size=(20, 10)) as pilot:
        line = app.query_one(TextLine)
        shown = rows(line, 20, 1)[0]
        assert shown.startswith("TTFT 120ms · 180.0") and shown.rstrip().endswith("…") and len(shown) == 20
        line.update(Text("TTFT 90ms"))
        await pilot.pause()
        assert rows(line, 20, 1)[0].rstrip() == "TTFT 90ms"


async def test_key_bar_lists_the_keys_and_a_click_presses_one():
    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        bar = app.query_one(KeyBar)
        shown = rows(bar, 60, 1)[0]
        assert "^t Note" in shown and "palette" in shown
        x = shown.index("^t")
        await pilot.click(KeyBar, offset=(x, 0))
        assert app.noted == 1


async def test_key_bar_follows_the_focus(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(app, pilot)
        await select(app, pilot, ["demo/swift"])
        await type_prompt(app, pilot, "hi")
        await pilot.press("ctrl+r")
        await wait_done(app, pilot)
        bar = app.screen.query_one(KeyBar)
        assert "Zoom" not in rows(bar, 160, 1)[0]
        columns(app)[0].body.focus()
        await pilot.pause()
        assert "Zoom" in rows(bar, 160, 1)[0] and "Run" in rows(bar, 160, 1)[0]


async def test_a_column_out_of_view_catches_up_when_its_page_is_shown(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:  # four columns do not fit: they are paged
        await ready(app, pilot)
        await select(app, pilot, ["demo/swift", "demo/steady", "demo/terse", "demo/verbose"])
        await type_prompt(app, pilot, "Explain python generators")
        await pilot.press("ctrl+r")
        cols = await wait_done(app, pilot)
        last = columns(app)[-1]
        screen = app.compare_screen
        assert last not in screen.visible_columns()
        screen.show_column(last)
        await last.body.rendered.wait()  # drawn in full once shown: its final Markdown on screen
        assert last in screen.visible_columns()
        assert last.text == cols[-1].text and last.body.text == cols[-1].text
        assert last.shown_final_at is not None


def test_grid_cells_render_like_rich_text_in_one_line():
    console = Console(width=40, force_terminal=True, color_system="truecolor", file=io.StringIO())
    for cell in (Cell("1,234", 1234, right=True), Cell("demo/swift", "demo/swift"),
                 Cell("a very long error message indeed", None, style="red"), Cell("streaming", style="dim")):
        for width in (6, 12):
            options = console.options.update(width=width, no_wrap=True)
            fast = list(console.render(cell, options))
            plain = Text(cell.plain, style=cell.style, justify=cell.justify, no_wrap=True, overflow="ellipsis")
            assert fast == list(console.render(plain, options))


def test_collector_puts_the_collector_back():
    before, enabled = gc.get_threshold(), gc.isenabled()
    collector = QuietCollector()
    collector.start_up()
    assert not gc.isenabled()
    collector.settle()
    assert gc.isenabled() and gc.get_threshold()[2] > before[2] and gc.get_freeze_count() > 0
    collector.tick()
    collector.restore()
    assert gc.get_threshold() == before and gc.isenabled() == enabled and gc.get_freeze_count() == 0


async def test_static_is_not_needed_for_stats():  # the stats line is a TextLine: markup is not parsed
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        line = app.query_one(TextLine)
        line.update(Text("[bold red]x[/] stays"))
        await pilot.pause()
        assert rows(line, 40, 1)[0].rstrip() == "[bold red]x[/] stays"
        assert not app.query(Static)


async def test_response_format_steps_with_the_keys(tuiarena_home):
    from tuiarena.ui.widgets.choice import Choice
    from tuiarena.ui.widgets.prompt import PromptEditor

    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        editor = app.compare_screen.query_one(PromptEditor)
        choice = editor.query_one("#format", Choice)
        assert editor.params().response_format == "text"
        choice.focus()
        await pilot.press("right")
        assert editor.params().response_format == "json_object"
        await pilot.press("space", "space")
        assert choice.value == "text"  # wraps around
        await pilot.press("left")
        assert editor.params().response_format == "json_schema" and editor.params().json_schema == {"type": "object"}
        assert "JSON schema" in rows_text(choice)


def rows_text(widget) -> str:
    return widget.render().plain
