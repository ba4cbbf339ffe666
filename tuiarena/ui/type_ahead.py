"""Keys typed right after a key that moves the focus to a text box go into that box.

Textual forwards each queued key to the widget that has the focus when the app takes the key from
its queue, and looks a screen's (non-priority) bindings up only when the key has bubbled back to
the app. A burst such as "/blind" (a fast typist, a paste, keystrokes bunched by a slow SSH link)
therefore reaches the old focus whole before the "/" binding runs, and each letter then runs a key
of the screen: on the sessions screen the "d" of "blind" opened the delete dialog (seen in tmux),
in the blind arena the "a" of a follow-up typed after f3 would have cast a vote.

A screen mixes in :class:`TypeAheadKeys` and sets ``self.type_ahead`` to a :class:`TypeAhead`: the
focusing key's action runs as the key reaches the screen (keys reach it in order), and the printable
keys after it are typed into the box until the box has the focus.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.screen import Screen
from textual.widgets import Input, TextArea


class TypeAhead:
    """``actions`` maps an action (as the screen's or a widget's bindings name it) to the CSS selector
    of the Input or TextArea that action focuses."""

    def __init__(self, screen: Screen[Any], actions: dict[str, str]) -> None:
        self.screen = screen
        self.actions = actions
        self.box: Input | TextArea | None = None  # the box getting the focus, while it has not got it

    async def key(self, event: events.Key) -> None:
        if self.box is not None:
            if event.is_printable and event.character:
                event.stop()
                event.prevent_default()
                type_into(self.box, event.character)
            return
        if isinstance(self.screen.focused, (Input, TextArea)):
            return  # (a box has the keys: nothing to type ahead of)
        active = self.screen.active_bindings.get(event.key)
        if active is None or not active.enabled:
            return
        selector = self.actions.get(active.binding.action)
        if selector is None:
            return
        box = self.screen.query_one(selector)
        if not isinstance(box, (Input, TextArea)):
            return
        event.stop()
        event.prevent_default()
        self.box = box
        await self.screen.app.run_action(active.binding.action, default_namespace=active.node)

    def focused(self, widget: Any) -> None:
        """A widget got the focus: the box (it takes the keys itself now) or another one."""
        self.box = None


def type_into(box: Input | TextArea, text: str) -> None:
    """As if typed: over the selection (the action may have selected the old text), cursor after it."""
    if isinstance(box, Input):
        start, end = sorted(box.selection)
        box.replace(text, start, end)
    else:
        start_loc, end_loc = sorted(box.selection)
        if start_loc != end_loc:
            box.delete(start_loc, end_loc, maintain_selection_offset=False)
        box.insert(text, maintain_selection_offset=False)


class TypeAheadKeys:
    """Mixed into a screen that sets ``type_ahead``: hands it the keys and the focus changes."""

    type_ahead: TypeAhead

    async def on_key(self, event: events.Key) -> None:
        await self.type_ahead.key(event)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.type_ahead.focused(event.widget)
