"""The two screens a voter sees in ``tuiarena serve --mode arena``: the blind battle and the
leaderboard, with only their own keys (no way to other screens, settings or files).

``ArenaBlindScreen`` is the blind screen with a fixed roster and a shared prompt list that
starts over (reshuffled) when it runs out; the first battle waits for discovery. Escape only
moves focus: there is no screen underneath to go back to. ``ArenaLeaderboardScreen`` is the
app's leaderboard (votes per voter and judge agreement included) re-reading the sessions folder
whenever a session file changes (checked every second), so every connection's votes show within
a second or two.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

from rich.text import Text
from textual.binding import Binding

from tuiarena.engine.arena import invalid_reason
from tuiarena.engine.run.state import ColumnState
from tuiarena.ui.screens.blind import BlindScreen
from tuiarena.ui.screens.blind_column import BlindColumn
from tuiarena.ui.screens.leaderboard import LeaderboardScreen
from tuiarena.ui.widgets.column import stats_text

FOCUS_KEYS = [
    Binding("tab", "app.focus_next", "Focus Next", show=False),
    Binding("shift+tab", "app.focus_previous", "Focus Previous", show=False),
]


class ArenaColumn(BlindColumn):
    """A side whose reveal says that an answer failed, but not why: an error message can name an
    endpoint's address (the server's log has it)."""

    def _reveal_stats(self, col: ColumnState) -> Text:
        text = stats_text(col, col.record.total_ms if col.record else None, self.mask_timings)
        problem = invalid_reason(col.record)
        if problem:
            status = col.record.status if col.record is not None else "no response"
            text.append(f"\n{status}: this answer failed (the details are in the server's log)", style="bold red")
            if col.response_id not in _LOGGED:
                _LOGGED.add(col.response_id)
                print(f"tuiarena serve: {col.model}: {problem}", file=sys.stderr)
        return text


_LOGGED: set[str] = set()


class ArenaBlindScreen(BlindScreen, inherit_bindings=False):
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("a,left", "vote('a')", "A better", id="blind_vote_a"),
        Binding("b,right", "vote('b')", "B better", id="blind_vote_b"),
        Binding("t", "vote('tie')", "Tie", id="blind_vote_tie"),
        Binding("x", "vote('both_bad')", "Both bad", id="blind_vote_both_bad"),
        Binding("n", "next_battle", "Next", id="blind_next"),
        Binding("f3", "focus_prompt", "Own prompt", id="blind_focus_prompt"),
        Binding("ctrl+g", "cancel_battle", "Stop", id="blind_cancel", show=False),
        Binding("ctrl+t", "open_leaderboard", "Leaderboard", id="blind_leaderboard"),
        Binding("escape", "back", "Answers", id="blind_back", show=False),
    ]

    PROMPT_PLACEHOLDER = "Your own prompt for a blind battle — Enter starts it"
    COLUMN = ArenaColumn

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.pool = list(self.queue)
        self.waiting_for_models = False

    def _intro(self) -> str:
        src = ("n starts the next prompt from the shared list, or f3 to write your own" if self.pool
               else "write a prompt and press Enter")
        return (f"Blind arena: {src}. Two anonymous models answer; vote a / ← (A better), b / → (B better), "
                "t (tie), x (both bad). Their names are revealed after your vote.")

    def action_next_battle(self) -> None:
        # the first battle waits for discovery and for the voter's label (so the session file
        # is named after the voter from its first line)
        if self.app.runner is None or getattr(self.app, "voter", "") is None:
            self.waiting_for_models = True
            if self.app.runner is None:
                self._status("Getting the models ready…")
            return
        if not self.queue and self.pool:  # the shared list starts over, in a new order
            self.queue = random.Random().sample(self.pool, len(self.pool))
        super().action_next_battle()

    def models_ready(self) -> None:
        """Discovery is done or the voter label was given: start the battle that was waiting."""
        if self.waiting_for_models:
            self.waiting_for_models = False
            self.action_next_battle()
        elif self.battle is None and self.app.runner is not None:
            self._status(self._intro())

    def action_vote(self, outcome: str) -> None:
        battle = self.battle
        fresh = battle is not None and battle["vote"] is None
        super().action_vote(outcome)
        if fresh and battle is not None and battle["vote"] is not None:
            a, b = self.columns()
            judge = getattr(self.app, "judge_battle", None)
            if judge is not None:
                judge(battle["prompt"], a.record, b.record)

    def action_back(self) -> None:
        """Escape: from the prompt box back to the answers (there is no other screen to go to)."""
        if self.focused is not None and self.focused.id == "blind-prompt":
            self.query_one(BlindColumn).body.focus()

    def action_open_leaderboard(self) -> None:
        self.app.push_screen(ArenaLeaderboardScreen())


def sessions_signature(directory: str) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of every session file: changes whenever any connection writes."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return ()
    out = []
    for e in entries:
        if e.name.endswith(".jsonl"):
            try:
                st = e.stat()
            except OSError:
                continue
            out.append((e.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


class ArenaLeaderboardScreen(LeaderboardScreen, inherit_bindings=False):
    """The leaderboard (votes per voter and judge agreement included) with only its own keys, kept
    current: every connection writes its own session file, so the folder is re-read when any of
    them changed."""

    BINDINGS = [
        *FOCUS_KEYS,
        Binding("i", "toggle_leaked", "Include leaked", id="leaderboard_toggle_leaked"),
        Binding("r,f5", "refresh", "Refresh", id="leaderboard_refresh"),
        Binding("escape,q,ctrl+t", "back", "Back to voting", id="leaderboard_back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._signature: tuple[tuple[str, int, int], ...] | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self.poll)

    def poll(self) -> None:
        """Recompute when any session file changed since the last computation."""
        from tuiarena.store.paths import sessions_dir

        if sessions_signature(str(sessions_dir())) != self._signature:
            self.action_refresh()

    def read_votes(self) -> tuple[list[Any], list[Any], int, list[str]]:
        from tuiarena.store.paths import sessions_dir

        # taken before reading: a write during the read changes it again, so the next poll rereads
        self._signature = sessions_signature(str(sessions_dir()))
        return super().read_votes()
