"""Greedy word wrapping that grows with a stream (:class:`Wrapped`).

Greedy wrapping only ever changes the last wrapped line when text is appended, so each append
re-wraps that line plus the new text: O(new text), not O(answer).
"""

from __future__ import annotations

from rich.cells import cell_len

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
