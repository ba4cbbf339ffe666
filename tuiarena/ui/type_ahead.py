"""Keys typed right after a key that moves the focus to a text box go into that box.

Textual forwards each queued key to the widget that has the focus when the app takes the key from
its queue, and looks a screen's (non-priority) bindings up only when the key has bubbled back to
the app. A burst such as "/blind" (a fast typist, a paste, keystrokes bunched by a slow SSH link)
therefore reaches the old focus whole before the "/" binding runs, and each letter then runs a key
of the screen: on the sessions screen the "d" of "blind" opened the delete dialog (seen in tmux),
in the blind arena the "a" of a follow-up typed after f3 would have cast a vote.

A screen with a :class:`TypeAhead` calls :meth:`TypeAhead.key` from its ``on_key`` (keys reach the
screen in order) and :meth:`TypeAhead.focused` from ``on_descendant_focus``: the focusing key's
action runs at once, and the printable keys after it are typed into the box until it has the focus.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.screen import Screen
from textual.widgets import Input


class TypeAhead:
    """``actions`` maps an action of ``screen`` (as its bindings name it) to the id of the Input it focuses."""

    def __init__(self, screen: Screen[Any], actions: dict[str, str]) -> None:
        self.screen = screen
        self.actions = actions
        self.box: Input | None = None  # the box that is getting the focus, while it has not got it

    async def key(self, event: events.Key) -> None:
        if self.box is not None:
            if event.is_printable and event.character:
                event.stop()
                event.prevent_default()
                box = self.box
                start, end = sorted(box.selection)
                box.replace(event.character, start, end)  # (the action may have selected the old text)
            return
        active = self.screen.active_bindings.get(event.key)
        if active is None or not active.enabled or isinstance(self.screen.focused, Input):
            return
        box_id = self.actions.get(active.binding.action)
        if box_id is None:
            return
        event.stop()
        event.prevent_default()
        self.box = self.screen.query_one(f"#{box_id}", Input)
        await self.screen.run_action(active.binding.action)

    def focused(self, widget: Any) -> None:
        """A widget got the focus: the box (it takes the keys itself now) or another one."""
        self.box = None
