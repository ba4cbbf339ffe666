"""The base of tuiarena's full screens: ``self.app`` typed as the arena app (for mypy only), and the
frame timer that sleeps while there is nothing to draw (the compare screen's and the blind arena's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen
from textual.timer import Timer

if TYPE_CHECKING:
    from tuiarena.ui.app import TuiArena

ResultType = TypeVar("ResultType")


class ArenaScreen(Screen[ResultType]):
    if TYPE_CHECKING:
        app: TuiArena

    _dirty = False
    _frame_timer: Timer | None = None  # set by a screen that draws in frames; its frame() pauses it when idle

    def wake(self) -> None:
        """Something to draw: the frame timer runs until the screen is up to date again."""
        self._dirty = True
        if self._frame_timer is not None:
            self._frame_timer.resume()
