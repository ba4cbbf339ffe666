"""The column's stats line at narrow widths: whole figures, most important first, none cut."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region

from tuiarena.ui.widgets.column import StatsLine, pack_parts

PARTS = ["TTFT 134ms", "0.28s", "30 tok", "$0.000012", "196.3 tok/s", "conn 12ms", "prefill 40ms"]


def test_pack_parts_keeps_whole_figures_in_order_and_counts_the_rest():
    assert pack_parts(PARTS, 200, 1) == [" · ".join(PARTS)]
    assert pack_parts(PARTS, 52, 1) == ["TTFT 134ms · 0.28s · 30 tok · $0.000012 +3"]
    rows = pack_parts(PARTS, 24, 2)
    assert rows == ["TTFT 134ms · 0.28s", "30 tok · $0.000012 +3"]
    assert all(len(r) <= 24 for r in rows)


def test_pack_parts_gives_back_a_figure_to_make_room_for_the_count():
    assert pack_parts(["aaaa", "bbbb", "cccc"], 11, 1) == ["aaaa +2"]
    assert pack_parts(["a-very-long-figure", "b"], 5, 1) == ["a-very-long-figure +1"]  # cut when drawn


def drawn(line: StatsLine) -> list[str]:
    return [strip.text.rstrip() for strip in line.render_lines(Region(0, 0, *line.outer_size))]


class Narrow(App[None]):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def compose(self) -> ComposeResult:
        line = StatsLine(PARTS)
        line.styles.width = self.width
        yield line


async def test_a_narrow_stats_line_takes_two_rows_and_shows_tokens_and_cost():
    app = Narrow(26)
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        line = app.query_one(StatsLine)
        assert line.size.height == 2
        assert drawn(line) == ["TTFT 134ms · 0.28s", "30 tok · $0.000012 +3"]


async def test_a_wide_stats_line_stays_one_row():
    app = Narrow(60)
    async with app.run_test(size=(70, 6)) as pilot:
        await pilot.pause()
        line = app.query_one(StatsLine)
        assert line.size.height == 1
        assert drawn(line) == ["TTFT 134ms · 0.28s · 30 tok · $0.000012 · 196.3 tok/s +2"]
