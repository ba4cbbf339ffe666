"""Answers in whole columns, a page at a time, when side by side they would be too narrow to read
(the compare screen, replay, a suite cell's answers): how many fit, which page holds a column,
each shown column's width, and the one-line strip that says where the reader is. Pure arithmetic:
each screen hides and sizes its own widgets with it."""

from __future__ import annotations

from dataclasses import dataclass


def per_page(total: int, n: int, min_width: int) -> int:
    """How many of ``n`` columns of at least ``min_width`` cells fit side by side in ``total``."""
    return max(1, min(n, total // min_width))


def column_widths(total: int, n: int) -> list[int]:
    """Equal shares of ``total`` for the ``n`` columns of one page (the last takes the rest)."""
    if n <= 0:
        return []
    width = total // n
    return [width] * (n - 1) + [total - width * (n - 1)]


@dataclass(frozen=True, slots=True)
class Page:
    """Columns ``start`` to ``stop`` (exclusive) of ``n`` are on screen: page ``page`` of ``pages``."""

    n: int
    per: int
    page: int

    @property
    def pages(self) -> int:
        return (self.n + self.per - 1) // self.per

    @property
    def start(self) -> int:
        return self.page * self.per

    @property
    def stop(self) -> int:
        return min(self.start + self.per, self.n)

    def strip(self, next_key: str, prev_key: str) -> str:
        """``answers 3–4 of 6 · ] next · [ previous``."""
        first, last = self.start + 1, self.stop
        where = f"{first}" if first == last else f"{first}–{last}"
        return f"answers {where} of {self.n} · {next_key} next · {prev_key} previous"


def page_of(n: int, per: int, anchor: int | None = None, page: int = 0) -> Page:
    """The page holding column ``anchor`` (an index), else page ``page`` (kept within range)."""
    pages = (n + per - 1) // per
    return Page(n, per, anchor // per if anchor is not None else max(0, min(page, pages - 1)))
