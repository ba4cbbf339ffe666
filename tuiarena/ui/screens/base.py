"""The base of tuiarena's full screens: ``self.app`` is typed as the arena app (for mypy only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen

if TYPE_CHECKING:
    from tuiarena.ui.app import TuiArena

ResultType = TypeVar("ResultType")


class ArenaScreen(Screen[ResultType]):
    if TYPE_CHECKING:
        app: TuiArena
