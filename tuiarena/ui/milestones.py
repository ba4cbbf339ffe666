"""Moments a screen announces when it reaches them (its data loaded, a replay finished, a report on
screen, a Markdown render drawn), so whoever needs one (the tests, a screen that follows another)
awaits it instead of polling a flag on a timer.

A :class:`Milestone` is true once reached, like the boolean flag it replaces (``if screen.loaded:``
reads the same), and :meth:`Milestone.wait` returns as soon as it is reached, or raises
``TimeoutError`` naming it, so a broken screen fails a test rather than hanging it.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Milestone:
    """A moment reached once, or again after :meth:`clear` (a screen that loads anew)."""

    __slots__ = ("_event", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._event = asyncio.Event()  # (bound to no loop until it is awaited: fine to make in __init__)

    def reach(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def reach_after_refresh(self, *widgets: Any) -> None:
        """Reach once each of ``widgets`` has handled what was queued for it and the screen has been
        repainted after that. A ``DataTable`` measures its columns when it is next idle: reached
        at once, the milestone let a picture be taken with the old column widths (1 run in 6)."""
        left = len(widgets)
        if not left:
            self.reach()
            return

        def one() -> None:
            nonlocal left
            left -= 1
            if left == 0:
                self.reach()

        for widget in widgets:
            widget.call_after_refresh(one)  # (forwarded to the screen: run after its next repaint)

    def set_to(self, reached: bool) -> None:
        """Reached or not, as ``reached`` says (for a flag that goes both ways)."""
        if reached:
            self._event.set()
        else:
            self._event.clear()

    def __bool__(self) -> bool:
        return self._event.is_set()

    def __repr__(self) -> str:
        return f"<Milestone {self.name}: {'reached' if self else 'not yet'}>"

    async def wait(self, timeout: float = 30.0) -> None:
        """Return once reached. ``timeout`` is not a speed limit, only how long a test waits before
        it says the screen never got there (30 s: a shared machine under load is slow, not broken)."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(f"{self.name}: not reached within {timeout:g} s") from None


__all__ = ["Milestone"]
