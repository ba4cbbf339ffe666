"""A cheap, wrapping text view for streaming model output (:class:`LiveText`).

Model output is data: text goes through :func:`tuiarena.fmt.visible` and is drawn as plain
segments, so Rich markup, ANSI escapes and control characters show literally.

Appending is incremental (:mod:`tuiarena.ui.widgets.wrap`): each append re-wraps the last line
plus the new text — O(new text), not O(answer). Only visible rows are drawn, each once, when it
first shows a line (:mod:`tuiarena.ui.widgets.lines`). Re-wrapping everything happens only when the
width changes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from functools import partial

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from tuiarena.fmt import visible
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.widgets.lines import OwnLines, fresh
from tuiarena.ui.widgets.wrap import Wrapped, wrap_line

__all__ = ["LiveText", "Wrapped", "render_markdown", "wrap_line"]


MARKDOWN_DELAY = 0.25  # seconds between a stream's end and rendering its Markdown


class LiveText(OwnLines, can_focus=True):
    """Streaming reasoning + answer in a fixed-size box that scrolls itself.

    A growing ``height: auto`` widget, or a ScrollView's ``virtual_size``, asks the whole screen for a
    new layout on every new line: with eight columns streaming that cost ~250 ms a frame. This box
    never changes size; new text only repaints its own region. It follows the end while streaming
    unless the user scrolls up (keys or wheel); ``end`` follows again.
    """

    class MarkdownShown(Message):
        """Posted when a finished stream's rendered Markdown has replaced its plain text."""

    DEFAULT_CSS = """
    LiveText { height: 1fr; width: 1fr; padding: 0 1; }
    LiveText:focus { background: $boost; }
    """

    BINDINGS = [
        Binding("up,k", "scroll_lines(-1)", "Up", show=False, id="live_up"),
        Binding("down,j", "scroll_lines(1)", "Down", show=False, id="live_down"),
        Binding("pageup", "scroll_page(-1)", "Page up", show=False, id="live_page_up"),
        Binding("pagedown,space", "scroll_page(1)", "Page down", show=False, id="live_page_down"),
        Binding("home", "scroll_to(0)", "Top", show=False, id="live_top"),
        Binding("end", "scroll_to(-1)", "Follow", show=False, id="live_end"),
    ]

    def __init__(self, *, jump_phase: float = 0.0, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.jump_phase = jump_phase
        self.reasoning = Wrapped()
        self.answer = Wrapped()
        self.show_reasoning = True
        self.follow = True
        self.top = 0
        self._width = 0
        self._styles: tuple[Style, Style, Style, Style] | None = None  # base, reasoning, hint, error
        self._outer_seen: Size | None = None
        self._view = Size(0, 0)
        self.markdown: str | None = None  # final answer to show rendered
        self._md_strips: list[Strip] | None = None
        self._md_width = 0
        self._md_gen = 0
        self.error: list[str] = []  # wrapped error lines, shown in the error colour
        self._error_raw = ""
        self.rendered = Milestone("the final Markdown on screen")  # (or no Markdown to render)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    # -- content -------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.answer.text

    def clear(self) -> None:
        self.reasoning.clear()
        self.answer.clear()
        self.top, self.follow = 0, True
        self.markdown, self._md_strips = None, None
        self.rendered.clear()
        self._md_gen += 1
        self.error, self._error_raw = [], ""
        self.refresh()

    def show_final(self, markdown: str | None, error: str = "") -> None:
        """The stream ended: render ``markdown`` (off the event loop) and show ``error`` below it.

        The plain text already on screen stays where it is (only an error adds lines), so the end
        of a stream repaints nothing but those lines; the Markdown replaces the text when ready.
        """
        # the error (if any) starts after the text; Markdown shown before means all lines change
        text_lines = None if self._md_strips is not None else self.line_count - len(self.error)
        self._error_raw = error
        self.error = [ln for part in error.split("\n") for ln in wrap_line(part, max(self._width, 1))] if error else []
        self.markdown = markdown or None
        self._md_strips = None
        self.rendered.set_to(not self.markdown)
        if self.markdown and self._width:
            # the plain text is painted first; streams that end together are painted before the
            # Markdown thread starts taking turns with the event loop for the GIL
            self._md_gen += 1
            self.set_timer(MARKDOWN_DELAY, partial(self._render_markdown, self._md_gen))
        self._settle(first_changed=text_lines, streaming=False)

    def _render_markdown(self, gen: int | None = None) -> None:
        if not self.markdown or (gen is not None and gen != self._md_gen):
            return  # cleared, or shown again, since this was asked for
        self._md_gen += 1
        # a callable, not a coroutine: a worker that never starts (the column is going) leaves nothing behind
        self.run_worker(partial(self._md_render, self._md_gen, self._width, self.markdown or ""),  # type: ignore[arg-type]
                        group="markdown", exit_on_error=False)

    async def _md_render(self, gen: int, width: int, text: str) -> None:
        # One shared thread renders every column's Markdown in turn: when eight streams end
        # together, eight rendering threads would starve the event loop of the GIL.
        strips = await asyncio.wrap_future(_markdown_pool().submit(render_markdown, text, width))
        if gen == self._md_gen and width == self._width:
            self._md_strips, self._md_width = strips, width
            self.rendered.reach()
            self._settle(streaming=False)
            self.post_message(self.MarkdownShown())

    def sync(self, reasoning: str, answer: str) -> bool:
        before = self.line_count
        first_r = self.reasoning.sync(reasoning)
        first_a = self.answer.sync(answer)
        if first_r is None and first_a is None:
            return False
        shown_r = len(self.reasoning.lines) if self.show_reasoning else 0
        changed = []
        if first_r is not None and self.show_reasoning:
            changed.append(first_r)
        if first_a is not None:
            gap = 1 if shown_r else 0  # one blank line between thinking and answer
            changed.append(shown_r + gap + first_a - (1 if gap and before == shown_r else 0))  # the gap appears
        if changed:
            self._settle(first_changed=max(0, min(min(changed), before - 1)))
        return True

    def set_show_reasoning(self, show: bool) -> None:
        self.show_reasoning = show
        self._settle()

    def _rows(self) -> tuple[list[str], list]:
        answer = self._md_strips if self._md_strips is not None else self.answer.lines
        reasoning = self.reasoning.lines if self.show_reasoning else []
        return reasoning, answer

    @property
    def line_count(self) -> int:
        r, a = self._rows()
        return len(r) + (1 if r and a else 0) + len(a) + len(self.error)

    def _settle(self, first_changed: int | None = None, streaming: bool = True) -> None:
        """Place the view and repaint what changed.

        Following a stream moves the view in half-page jumps rather than a line at a time: a view
        that shifts repaints every line of it, and with several columns streaming that is most of
        the screen every frame; between jumps only the changed last lines are repainted. Columns
        that stream at the same pace would all jump in the same frame: ``jump_phase`` (0 to 1,
        one per column) makes the first jump that share of half a page early, so they take turns.
        """
        width, height = self._view_size()
        height = max(height, 1)
        count = self.line_count
        last_top = max(0, count - height)
        top = min(self.top, last_top)  # fewer lines than before (a re-wrap at a new width): no blank view
        half = height // 2
        early = int(self.jump_phase * half) if top == 0 else 0
        if self.follow and (self._md_strips is not None or (not streaming and count > top + height)):
            top = last_top  # the rendered Markdown, or an ended stream whose end is out of view
        elif self.follow and count > top + height - early:
            top = max(0, count - height + half) if height > 4 else last_top
            top = min(top, max(0, count - 1))
        if top != self.top or first_changed is None:
            self.top = top
            self.refresh()
        else:  # same view: repaint only the lines that changed (from the first changed one to the end)
            y = max(first_changed - top, 0)
            end = min(height, count - top)
            if y < end:
                self.refresh(Region(0, y, width, end - y))

    # -- size ------------------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        width = max(self.size.width, 1)
        if width != self._width:
            self._width = width
            self.reasoning.rewrap(width)
            self.answer.rewrap(width)
            if self._error_raw:
                self.error = [ln for part in self._error_raw.split("\n") for ln in wrap_line(part, width)]
            if self.markdown:
                self._render_markdown()  # the plain lines show until it is ready
        self._settle()

    # -- scrolling -------------------------------------------------------------------------------
    def _scroll(self, top: int) -> None:
        last_top = max(0, self.line_count - max(self.size.height, 1))
        self.top = max(0, min(top, last_top))
        self.follow = self.top >= last_top
        self.refresh()

    def action_scroll_lines(self, n: int) -> None:
        self._scroll(self.top + n)

    def action_scroll_page(self, n: int) -> None:
        self._scroll(self.top + n * max(self.size.height - 1, 1))

    def action_scroll_to(self, where: int) -> None:
        self._scroll(0 if where == 0 else 10**9)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll(self.top - 3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll(self.top + 3)

    # -- drawing ---------------------------------------------------------------------------------
    def _view_size(self) -> Size:
        """The content size, read from Textual only when the outer size changed.

        ``Widget.size`` looks the widget up in the screen's map; once per rendered line that was
        half the cost of drawing a line.
        """
        outer = self.outer_size
        if outer != self._outer_seen:
            self._outer_seen = outer
            self._view = self.size
        return self._view

    def _line_styles(self) -> tuple[Style, Style, Style, Style]:
        if self._styles is None:  # rich_style walks the ancestors: once per style change, not per line
            base = self.rich_style
            try:
                error = base + Style.parse(self.app.theme_variables.get("error", "red"))
            except Exception:  # an odd theme value: plain red
                error = base + Style(color="red")
            self._styles = (base, base + Style(dim=True, italic=True), base + Style(dim=True, reverse=True), error)
        return self._styles

    def row_source(self, y: int) -> tuple[str, object, Callable[[], Strip]]:
        """What content row ``y`` shows: (kind, the line object, how to draw it)."""
        width, height = self._view_size()
        base, dim, hint_style, error_style = self._line_styles()
        reasoning = self.reasoning.lines if self.show_reasoning else ()
        answer = self._md_strips if self._md_strips is not None else self.answer.lines
        n_reasoning = len(reasoning)
        gap = 1 if n_reasoning and answer else 0  # one blank line between thinking and answer
        n_text = n_reasoning + gap + len(answer)
        below = n_text + len(self.error) - (self.top + height)
        if y == height - 1 and below > 0 and not self.follow:
            hint = f"↓ {below} more line{'s' if below != 1 else ''} · end follows"[:width]
            return "hint", fresh(), lambda: _plain_strip(hint, hint_style, base, width)
        i = self.top + y
        if i < n_reasoning:
            line = reasoning[i]
            return "reasoning", line, lambda: _plain_strip(line, dim, base, width)
        if n_reasoning <= i < n_text:
            row = answer[i - n_reasoning - gap] if i >= n_reasoning + gap else None
            if isinstance(row, Strip):  # rendered Markdown
                strip = row
                return "markdown", strip, lambda: strip.apply_style(base).crop_extend(0, width, base)
            if row is not None:
                text = row
                return "answer", text, lambda: _plain_strip(text, base, base, width)
        elif 0 <= i - n_text < len(self.error):
            line = self.error[i - n_text]
            return "error", line, lambda: _plain_strip(line, error_style, base, width)
        return "blank", None, lambda: Strip.blank(width, base)

    def render_line(self, y: int) -> Strip:
        return self.row_source(y)[2]()


def _plain_strip(line: str, style: Style, base: Style, width: int) -> Strip:
    """One line of plain text padded to ``width`` with ``base``: a single Strip, built once."""
    cells = len(line) if line.isascii() else cell_len(line)
    pad = width - cells
    if pad < 0:  # wider than the box (the width changed and the re-wrap has not run yet)
        return Strip([Segment(line, style)], cells).crop(0, width)
    if style is base:
        return Strip([Segment(line + " " * pad, base)], width)
    return Strip([Segment(line, style), Segment(" " * pad, base)], width)


_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def _markdown_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tuiarena-markdown")
    return _POOL


def render_markdown(text: str, width: int) -> list[Strip]:
    """Model output rendered as Markdown into lines (safe in a thread: a private Console).

    Rich's Markdown does not interpret console markup, and ``visible`` has already turned escape
    sequences and control characters into literal text, so the output stays data.
    """
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(width=width, force_terminal=True, color_system="truecolor", legacy_windows=False,
                      file=_NullFile(), emoji=False, highlight=False)  # type: ignore[arg-type]  # only write() is used
    options = console.options.update(width=width)
    lines = console.render_lines(Markdown(visible(text), hyperlinks=False), options, pad=False, new_lines=False)
    while lines and not "".join(seg.text for seg in lines[-1]).strip():
        lines.pop()  # Rich ends blocks with a blank line
    return [Strip(line) for line in lines]


class _NullFile:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None
