"""A cheap, wrapping text view for streaming model output (:class:`LiveText`).

Model output is data: text goes through :func:`tuiarena.fmt.visible` and is drawn as plain
segments, so Rich markup, ANSI escapes and control characters show literally.

Appending is incremental: greedy word wrapping only ever changes the last wrapped line, so each
append re-wraps the last line plus the new text — O(new text), not O(answer). Only visible lines
are rendered (Line API). Re-wrapping everything happens only when the width changes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tuiarena.fmt import visible


def _fit(text: str, width: int) -> int:
    """How many characters of ``text`` fit in ``width`` cells."""
    if text.isascii():
        return min(len(text), width)
    used = 0
    for i, ch in enumerate(text):
        used += cell_len(ch)
        if used > width:
            return max(i, 1)
    return len(text)


def wrap_line(line: str, width: int) -> list[str]:
    """Greedy word wrap of one logical line (no newlines) into lines of at most ``width`` cells."""
    width = max(width, 1)
    out: list[str] = []
    while cell_len(line) > width:
        cut = _fit(line, width)
        space = line.rfind(" ", 0, cut + 1)
        if space > 0:
            out.append(line[:space])
            line = line[space + 1:]
        else:
            out.append(line[:cut])
            line = line[cut:]
    out.append(line)
    return out


class Wrapped:
    """Text wrapped to a width, growing by appends: only the last wrapped line is ever re-wrapped."""

    __slots__ = ("chunks", "length", "width", "lines", "tail")

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.length = 0  # characters received (before escaping)
        self.width = 0
        self.lines: list[str] = []
        self.tail = ""

    @property
    def text(self) -> str:
        if len(self.chunks) > 1:
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""

    def clear(self) -> None:
        self.chunks, self.length, self.lines, self.tail = [], 0, [], ""

    def sync(self, full_text: str) -> int | None:
        """Catch up with ``full_text``; returns the first changed line, or None if nothing changed."""
        if len(full_text) == self.length:
            return None
        if len(full_text) < self.length:
            self.clear()
        raw = full_text[self.length:]
        self.length = len(full_text)
        piece = visible(raw).replace("\t", "    ")
        self.chunks.append(piece)
        return self._wrap_more(piece) if self.width else 0

    def _wrap_more(self, piece: str) -> int:
        lines = self.lines
        if lines:
            lines.pop()
        first = len(lines)
        parts = (self.tail + piece).split("\n")
        for part in parts[:-1]:
            lines.extend(wrap_line(part, self.width))
        last = wrap_line(parts[-1], self.width)
        lines.extend(last)
        self.tail = last[-1]
        return first

    def rewrap(self, width: int) -> None:
        self.width, self.lines, self.tail = width, [], ""
        text = self.text
        if text:
            self._wrap_more(text)


class LiveText(Widget, can_focus=True):
    """Streaming reasoning + answer in a fixed-size box that scrolls itself.

    A growing ``height: auto`` widget, or a ScrollView's ``virtual_size``, asks the whole screen for a
    new layout on every new line: with eight columns streaming that cost ~250 ms a frame. This box
    never changes size; new text only repaints its own region. It follows the end while streaming
    unless the user scrolls up (keys or wheel); ``end`` follows again.
    """

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

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.reasoning = Wrapped()
        self.answer = Wrapped()
        self.show_reasoning = True
        self.follow = True
        self.top = 0
        self._width = 0
        self._styles: tuple[Style, Style, Style] | None = None  # base, reasoning, hint
        self.markdown: str | None = None  # final answer to show rendered
        self._md_strips: list[Strip] | None = None
        self._md_width = 0
        self._md_gen = 0
        self.error: list[str] = []  # wrapped error lines, shown in the error colour
        self._error_raw = ""
        self.rendered = False  # True once the final Markdown is on screen

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
        self.markdown, self._md_strips, self.rendered = None, None, False
        self._md_gen += 1
        self.error, self._error_raw = [], ""
        self.refresh()

    def show_final(self, markdown: str | None, error: str = "") -> None:
        """The stream ended: render ``markdown`` (off the event loop) and show ``error`` below it."""
        self._error_raw = error
        self.error = [ln for part in error.split("\n") for ln in wrap_line(part, max(self._width, 1))] if error else []
        self.markdown = markdown or None
        self._md_strips = None
        self.rendered = not self.markdown
        if self.markdown and self._width:
            # the full plain text is painted first; the Markdown replaces it when ready
            self.call_after_refresh(self._render_markdown)
        self._settle(streaming=False)

    def _render_markdown(self) -> None:
        self._md_gen += 1
        self.run_worker(self._md_render(self._md_gen, self._width, self.markdown or ""), group="markdown",
                        exit_on_error=False)

    async def _md_render(self, gen: int, width: int, text: str) -> None:
        # One shared thread renders every column's Markdown in turn: when eight streams end
        # together, eight rendering threads would starve the event loop of the GIL.
        strips = await asyncio.wrap_future(_markdown_pool().submit(render_markdown, text, width))
        if gen == self._md_gen and width == self._width:
            self._md_strips, self._md_width, self.rendered = strips, width, True
            self._settle(streaming=False)

    def sync(self, reasoning: str, answer: str) -> bool:
        before = self.line_count
        first_r = self.reasoning.sync(reasoning)
        first_a = self.answer.sync(answer)
        if first_r is None and first_a is None:
            return False
        if first_r is not None or not self.show_reasoning:
            first = 0 if first_r is None else first_r
        else:
            r, _a = self._rows()
            first = len(r) + first_a - (1 if before == len(r) - 1 else 0)  # the blank separator appears
        self._settle(first_changed=max(0, min(first, before - 1)))
        return True

    def set_show_reasoning(self, show: bool) -> None:
        self.show_reasoning = show
        self._settle()

    def _rows(self) -> tuple[list[str], list]:
        answer = self._md_strips if self._md_strips is not None else self.answer.lines
        reasoning = self.reasoning.lines if self.show_reasoning else []
        if reasoning and answer:
            reasoning = reasoning + [""]  # one blank line between thinking and answer
        return reasoning, answer

    @property
    def line_count(self) -> int:
        r, a = self._rows()
        return len(r) + len(a) + len(self.error)

    def _settle(self, first_changed: int | None = None, streaming: bool = True) -> None:
        """Place the view and repaint what changed.

        Following a stream moves the view in half-page jumps rather than a line at a time: a view
        that shifts repaints every line of it, and with several columns streaming that is most of
        the screen every frame; between jumps only the changed last lines are repainted.
        """
        height = max(self.size.height, 1)
        count = self.line_count
        last_top = max(0, count - height)
        top = self.top
        if not self.follow:
            top = min(top, last_top)
        elif not streaming or self.markdown is not None:
            top = last_top
        elif count > top + height:
            top = max(0, count - height + height // 2) if height > 4 else last_top
            top = min(top, max(0, count - 1))
        if top != self.top or first_changed is None:
            self.top = top
            self.refresh()
        else:  # same view: repaint only the lines that changed (from the first changed one to the end)
            y = max(first_changed - top, 0)
            end = min(height, count - top)
            if y < end:
                self.refresh(Region(0, y, self.size.width, end - y))

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
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._styles is None:  # rich_style walks the ancestors: once per style change, not per line
            base = self.rich_style
            try:
                error = base + Style.parse(self.app.theme_variables.get("error", "red"))
            except Exception:  # an odd theme value: plain red
                error = base + Style(color="red")
            self._styles = (base, base + Style(dim=True, italic=True), base + Style(dim=True, reverse=True), error)
        base, dim, hint_style, error_style = self._styles
        reasoning, answer = self._rows()
        height = self.size.height
        below = self.line_count - (self.top + height)
        if y == height - 1 and below > 0 and not self.follow:
            hint = f"↓ {below} more line{'s' if below != 1 else ''} · end follows"[:width]
            return Strip([Segment(hint, hint_style)], cell_len(hint)).extend_cell_length(width, base)
        i = self.top + y
        if i < len(reasoning):
            line, style = reasoning[i], dim
        elif i - len(reasoning) < len(answer):
            line, style = answer[i - len(reasoning)], base
            if isinstance(line, Strip):  # rendered Markdown
                return line.apply_style(base).crop_extend(0, width, base)
        elif i - len(reasoning) - len(answer) < len(self.error):
            line, style = self.error[i - len(reasoning) - len(answer)], error_style
        else:
            return Strip.blank(width, base)
        return Strip([Segment(line, style)], cell_len(line)).extend_cell_length(width, base)


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
                      file=_NullFile(), emoji=False, highlight=False)
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
