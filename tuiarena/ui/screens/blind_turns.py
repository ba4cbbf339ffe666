"""The blind arena's conversations and files (:class:`BlindTurns`, mixed into ``BlindScreen``).

Before the vote a battle can go on: a prompt typed in the box is a follow-up to the same pair, each
side seeing its own earlier answers (as Chatbot Arena allows); the vote then judges the whole
conversation. A screen opened with a ``session_name`` (a suite judged blind) writes its battles and
votes to a session file of its own, never into the compare screen's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuiarena.engine.run.state import ColumnState, ViewState
from tuiarena.model import Params, new_id
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.screens.base import ArenaScreen

if TYPE_CHECKING:
    from textual.timer import Timer

    from tuiarena.store.sessions import SessionWriter


class BlindTurns(ArenaScreen[None]):
    """The base of :class:`~tuiarena.ui.screens.blind.BlindScreen` (which owns the state)."""

    session_name: str | None
    total_prompts: int
    battle: dict[str, Any] | None
    run_ids: set[str]
    view: ViewState
    _writer: SessionWriter | None
    _dirty: bool
    _frame_timer: Timer  # (set at mount)
    answers_in: Milestone

    if TYPE_CHECKING:
        def columns(self) -> list[ColumnState]: ...
        def _status(self, text: str) -> None: ...

    def writer(self) -> SessionWriter:
        """This screen's own session file (created at the first battle)."""
        if self._writer is None:
            from tuiarena.store.sessions import SessionWriter

            self._writer = SessionWriter.create(kind="blind", name=self.session_name or "blind arena")
        return self._writer

    def queue_done_or_free(self) -> bool:
        """A typed prompt during an unvoted battle is a follow-up (not with a queue of prompts)."""
        return not self.total_prompts

    def follow_up(self, prompt: str, params: Params | None = None) -> bool:
        """Another turn of the same battle before the vote: each side sees its own earlier answers
        (as in Chatbot Arena); the vote then judges the whole conversation."""
        from tuiarena.ui.screens.blind_column import BlindColumn

        battle, app, runner = self.battle, self.app, self.app.runner
        if battle is None or runner is None:
            return False
        for model, col in zip((battle["left"], battle["right"]), self.columns()):
            battle["history"][model] += [m for m in battle["messages"] if m.get("role") != "system"]
            battle["history"][model].append({"role": "assistant", "content": col.text})
        system = [m for m in battle["messages"] if m.get("role") == "system"]
        messages = system + [{"role": "user", "content": prompt}]
        run_id = new_id("r")
        if self.session_name is not None:
            app.run_writers[run_id] = self.writer()
        self.run_ids.add(run_id)
        run, _tasks = runner.start_run([battle["left"], battle["right"]], messages,
                                           params or app.config.defaults, label="blind", run_id=run_id,
                                           history={m: list(h) for m, h in battle["history"].items()})
        battle.update(run_id=run_id, prompt=prompt, messages=messages, turns=battle["turns"] + 1,
                      ids=(run.response_ids[battle["left"]], run.response_ids[battle["right"]]))
        self.answers_in.clear()
        for column, rid in zip(self.query(BlindColumn), battle["ids"]):
            column.start(self.view.columns[rid])
        self._status(f"Turn {battle['turns']}: streaming… vote when both answers are in (the vote judges "
                     "the whole conversation).")
        self.query_one(BlindColumn).body.focus()
        self.wake()
        return True
