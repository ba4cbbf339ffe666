"""The blind arena: two anonymous answers "A" and "B", a vote from the keyboard, then the reveal.

Until the vote nothing on this screen identifies a model: the columns are titled only "A" / "B",
the status words are neutral ("waiting", "writing", "done", "failed" - no "thinking", no error
text, which could name an endpoint), reasoning is not shown, and there are no token counts, prices
or speeds (live TTFT and tok/s appear only with ``[ui] show_speed_in_blind = true``). After the
vote each column shows its model and full stats; ``n`` goes to the next battle.

The screen drives the app's Runner (``app.runner``) and folds its events (filtered to its own
runs) into a ViewState; a timer redraws the columns. Runs and votes (``VoteCast`` events) go to the
screen's own blind session file when it has a ``session_name`` (the app's blind arena and a suite
judged blind), else to the app's session (``app.session_writer()``: in ``tuiarena serve``, the
connection's own file).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, Input, Static

from tuiarena.engine.arena import (
    OUTCOME_LABELS,
    battle_counts,
    battle_leak,
    choose_pair,
    make_vote,
    shuffle_sides,
)
from tuiarena.engine.run.state import ColumnState, ViewState, apply, concerns
from tuiarena.model import Event, Message, Params, VoteCast, new_id
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.screens.blind_column import BlindColumn
from tuiarena.ui.screens.blind_turns import BlindTurns
from tuiarena.ui.type_ahead import TypeAhead, TypeAheadKeys
from tuiarena.ui.widgets.keybar import KeyBar
from tuiarena.ui.widgets.streamtext import LiveText


def _last_user(messages: list[Message]) -> str:
    return next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")


class BlindScreen(TypeAheadKeys, BlindTurns):
    """Blind A/B battles. ``prompts``: a list to judge in order (strings, or message lists such as
    a suite case's); without it the prompt comes from the box at the top (pre-filled from the
    compare screen's editor). ``models``: the roster to pair from (default: the compare screen's
    selection); ``fixed``: one or two models every battle must use; ``seed``: reproducible
    pairing and sides (tests). :meth:`from_suite` builds one for a suite file."""

    DEFAULT_CSS = """
    BlindScreen #blind-prompt { margin: 0 1; }
    BlindScreen #blind-status { height: auto; padding: 0 1; color: $text-muted; }
    BlindScreen #blind-columns { height: 1fr; }
    BlindScreen #blind-result { height: auto; padding: 0 1; }
    """

    BINDINGS = [
        Binding("a,left", "vote('a')", "A better", id="blind_vote_a"),
        Binding("b,right", "vote('b')", "B better", id="blind_vote_b"),
        Binding("t", "vote('tie')", "Tie", id="blind_vote_tie"),
        Binding("x", "vote('both_bad')", "Both bad", id="blind_vote_both_bad"),
        Binding("n", "next_battle", "Next", id="blind_next"),
        Binding("ctrl+g", "cancel_battle", "Stop", id="blind_cancel", show=False),
        Binding("f3", "focus_prompt", "Prompt", id="blind_focus_prompt", show=False),
        Binding("ctrl+t", "open_leaderboard", "Leaderboard", id="blind_leaderboard"),
        Binding("escape", "back", "Back", id="blind_back"),
    ]

    def __init__(self, prompts: list[str | list[Message]] | None = None, models: list[str] | None = None,
                 fixed: list[str] | None = None, seed: int | None = None,
                 params: list[Params | None] | None = None, session_name: str | None = None) -> None:
        super().__init__()
        self.session_name = session_name  # set: battles and votes go to a session file of their own
        self.type_ahead = TypeAhead(self, {"focus_prompt": "#blind-prompt"})  # f3 + a fast follow-up: no vote
        self._writer = None
        self.queue: list[tuple[list[Message], Params | None]] = []
        for i, p in enumerate(prompts or []):
            messages = [{"role": "user", "content": p}] if isinstance(p, str) else list(p)
            if _last_user(messages).strip():
                self.queue.append((messages, params[i] if params and i < len(params) else None))
        self.total_prompts = len(self.queue)
        self.models = list(models) if models else None
        self.fixed = list(fixed or [])
        self.rng = random.Random(seed)
        self.view = ViewState()
        self.run_ids: set[str] = set()
        self.battle: dict | None = None  # run_id, left, right, prompt, response ids, vote
        self.votes: list[VoteCast] = []
        self._dirty = False
        self.answers_in = Milestone("both answers in")  # this turn's, on screen: the vote is open
        self.voted = Milestone("the vote recorded")  # and the names revealed

    PROMPT_PLACEHOLDER = "Prompt for a blind battle — Enter starts it (before the vote: a follow-up)"
    COLUMN: type[BlindColumn] = BlindColumn  # the arena mode's voters get a column that hides more

    def compose(self) -> ComposeResult:
        show_speed = bool(self.app.config.ui.show_speed_in_blind)
        mask = self.app.options.mask_timings
        yield Header(show_clock=False, icon="⚖")
        yield Input(placeholder=self.PROMPT_PLACEHOLDER, id="blind-prompt", compact=True)
        yield Static(Text(self._intro()), id="blind-status")
        with Horizontal(id="blind-columns"):
            yield self.COLUMN("A", show_speed, mask)
            yield self.COLUMN("B", show_speed, mask)
        yield Static("", id="blind-result")
        yield KeyBar()

    def _key(self, binding_id: str, default: str, every: bool = False) -> str:
        """The key(s) bound to ``binding_id`` now (after ``[keys]``): hints never name a stale key."""
        app: Any = self.app
        return app.keys_for(binding_id, default) if every else app.key_for(binding_id, default)

    def _votes_hint(self, short: bool = False) -> str:
        k = self._key
        a, b = k("blind_vote_a", "a,left", True), k("blind_vote_b", "b,right", True)
        tie, bad = k("blind_vote_tie", "t", True), k("blind_vote_both_bad", "x", True)
        if short:
            return f"{a} · {b} · {tie} tie · {bad} both bad"
        return f"{a} (A better), {b} (B better), {tie} (tie), {bad} (both bad)"

    def _intro(self) -> str:
        src = f"{self.total_prompts} prompts queued; {self._key('blind_next', 'n')} starts the first" \
            if self.queue else "write a prompt and press Enter"
        return f"Blind arena: {src}. Vote {self._votes_hint()}; names are revealed after the vote."

    def on_mount(self) -> None:
        self.app.add_listener(self.fold_event)
        # the frame timer runs only while something is to be drawn (wake): an idle arena does not tick
        self._frame_timer = self.set_interval(1 / max(self.app.options.frame_hz, 1), self.frame, pause=True)
        prompt = self.query_one("#blind-prompt", Input)
        compare = getattr(self.app, "compare_screen", None)
        if compare is not None and not self.queue:
            try:
                prompt.value = compare.query_one("PromptEditor").user_text
            except Exception:  # the editor is optional here
                pass
        if self.queue:
            self.call_after_refresh(self.action_next_battle)
        else:
            prompt.focus()

    def on_unmount(self) -> None:
        self.app.remove_listener(self.fold_event)
        self._cancel_streams()  # (the cancelled answers still reach this screen's own file: the app
        # keeps routing these runs to it, and closes it at exit)

    # -- events -> view state ---------------------------------------------------------------------
    def fold_event(self, event: Event) -> None:
        if not concerns(self.view, self.run_ids, event):
            return
        apply(self.view, event)
        self.wake()

    def frame(self) -> None:
        if not self._dirty or self.battle is None:
            self._frame_timer.pause()
            return
        self._dirty = False
        with self.app.batch_update():
            for column in self.query(BlindColumn):
                column.sync()
        if self.battle["vote"] is None and self.ready_to_vote() and self.answers_drawn():
            self.answers_in.reach()
            more = "" if self.total_prompts else \
                f" · or type a follow-up above ({self._key('blind_focus_prompt', 'f3')}) and Enter"
            self._status(f"Both answers are in. Which is better? {self._votes_hint(short=True)}{more}")

    # -- battles ------------------------------------------------------------------------------------
    def roster(self) -> list[str]:
        if self.models:
            return self.models
        compare = getattr(self.app, "compare_screen", None)
        if compare is not None:
            try:
                selected = list(compare.query_one("Roster").selected)
            except Exception:
                selected = []
            if selected:
                return selected
        return list(self.app.config.ui.selected)

    @classmethod
    def from_suite(cls, suite: str, shuffle: bool = False, seed: int | None = None,
                   models: list[str] | None = None, own_session: bool = False) -> BlindScreen:
        """One battle per case of a suite file (or shipped suite name), in order or shuffled;
        ``own_session``: battles and votes go to a session file of their own ("blind: <suite>"),
        not the app's. Raises SuiteError for a bad suite."""
        from tuiarena.engine.suite.load import load_suite

        cases = list(load_suite(suite).cases)
        if shuffle:
            random.Random(seed).shuffle(cases)
        name = f"blind: {Path(suite).stem}" if own_session else None
        return cls([c.messages for c in cases], models=models, seed=seed, params=[c.params for c in cases],
                   session_name=name)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "blind-prompt":
            self.start_battle(event.value)

    def start_battle(self, prompt: str, messages: list[Message] | None = None,
                     params: Params | None = None) -> bool:
        app = self.app
        messages = messages or [{"role": "user", "content": prompt}]
        if not prompt.strip():
            self.notify("write a prompt first", severity="warning")
            return False
        if app.runner is None:
            self.notify("still discovering models — try again in a moment", severity="warning")
            return False
        if self.battle is not None and self.battle["vote"] is None and not self.ready_to_vote():
            self.notify(f"finish this battle first (or {self._key('blind_cancel', 'ctrl+g')} to stop it)",
                        severity="warning")
            return False
        if self.battle is not None and self.battle["vote"] is None and self.queue_done_or_free():
            return self.follow_up(prompt, params)
        try:
            pair = choose_pair(self.roster(), battle_counts(self.votes), self.rng, self.fixed)
        except ValueError as exc:
            self.notify(f"{exc} (pick models on the compare screen)", severity="warning", markup=False)
            return False
        left, right = shuffle_sides(pair, self.rng)
        run_id = new_id("r")
        if self.session_name is None:
            app.session_writer(name="blind arena")
        else:
            app.run_writers[run_id] = self.writer()
        self.run_ids.add(run_id)
        run, _tasks = app.runner.start_run([left, right], messages, params or app.config.defaults,
                                           label="blind", run_id=run_id)
        self.battle = {"run_id": run_id, "left": left, "right": right, "prompt": prompt,
                       "ids": (run.response_ids[left], run.response_ids[right]), "vote": None,
                       "messages": list(messages), "turns": 1, "history": {left: [], right: []}}
        self.answers_in.clear()
        self.voted.clear()
        for column, rid in zip(self.query(BlindColumn), self.battle["ids"]):
            column.start(self.view.columns[rid])
        self.query_one("#blind-result", Static).update("")
        self._status("Streaming… vote when both answers are in.")
        self.query_one(BlindColumn).body.focus()
        self.wake()
        return True

    def columns(self) -> list[ColumnState]:
        if self.battle is None:
            return []
        return [self.view.columns[rid] for rid in self.battle["ids"] if rid in self.view.columns]

    def ready_to_vote(self) -> bool:
        cols = self.columns()
        return len(cols) == 2 and all(c.final for c in cols)

    def answers_drawn(self) -> bool:
        """Both finished answers are shown in their final (Markdown) form. The status asks for the
        vote only then: a voter judges what they will see, and a key pressed at that moment does not
        wait behind the rendering (votes are taken as soon as both answers are final)."""
        return all(column.body.rendered for column in self.query(BlindColumn))

    def on_live_text_markdown_shown(self, _message: LiveText.MarkdownShown) -> None:
        self.wake()  # the next frame may now ask for the vote

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "vote":
            return None if self.battle is None or self.battle["vote"] is not None else True
        return True

    def action_vote(self, outcome: str) -> None:
        battle = self.battle
        if battle is None or battle["vote"] is not None:
            return
        if not self.ready_to_vote():
            self.notify(f"wait until both answers are in ({self._key('blind_cancel', 'ctrl+g')} stops them)",
                        severity="warning", timeout=3)
            return
        a, b = self.columns()
        vote = make_vote(battle["run_id"], battle["left"], battle["right"], a.record, b.record, outcome,
                         battle["prompt"])
        try:
            (self.writer() if self.session_name is not None else self.app.session_writer()).write(vote)
        except (OSError, ValueError) as exc:
            self.notify(f"cannot write the vote to the session file: {exc}", severity="error", markup=False)
        self.votes.append(vote)
        battle["vote"] = vote
        self.reveal(vote, a, b)
        self.refresh_bindings()
        self.voted.reach()

    def reveal(self, vote: VoteCast, a: ColumnState, b: ColumnState) -> None:
        for column in self.query(BlindColumn):
            column.reveal()
        line = Text()
        line.append(f"You voted: {OUTCOME_LABELS[vote.outcome]}. ", style="bold")
        line.append(f"A was {vote.model_a} · B was {vote.model_b}.")
        if vote.invalid:
            line.append("\nA response failed or was cut: the vote is kept in the session but not rated.",
                        style="bold yellow")
        if vote.identity_leaked:
            hit = battle_leak((a.record, b.record), (vote.model_a, vote.model_b))
            line.append(f"\nIdentity leaked (an answer says {hit!r}): left out of ratings by default.",
                        style="bold yellow")
        self.query_one("#blind-result", Static).update(line)
        more = f" ({len(self.queue)} prompts left)" if self.queue else ""
        self._status(f"Battle {len(self.votes)} recorded. {self._key('blind_next', 'n')}: next battle{more} · "
                     f"{self._key('blind_leaderboard', 'ctrl+t')}: leaderboard")

    def action_next_battle(self) -> None:
        if self.battle is not None and self.battle["vote"] is None and not self.ready_to_vote():
            self.notify(f"finish this battle first (or {self._key('blind_cancel', 'ctrl+g')} to stop it)",
                        severity="warning", timeout=3)
            return
        if self.queue:
            messages, params = self.queue[0]
            prompt = _last_user(messages)
            self.query_one("#blind-prompt", Input).value = prompt
            if self.start_battle(prompt, messages, params):
                self.queue.pop(0)
            return
        if self.battle is not None and self.battle["vote"] is not None:  # the judged battle leaves
            self.battle = None
            for column in self.query(BlindColumn):
                column.clear()
            self.query_one("#blind-result", Static).update("")
            self._status(self._intro())
        if self.total_prompts:
            self._status(f"All {self.total_prompts} prompts judged. {self._key('blind_leaderboard', 'ctrl+t')} "
                         "shows the leaderboard.")
        self.action_focus_prompt()

    def action_focus_prompt(self) -> None:
        box = self.query_one("#blind-prompt", Input)
        box.focus()
        box.select_all()

    def _cancel_streams(self) -> int:
        runner = self.app.runner
        if runner is None:
            return 0
        return sum(runner.cancel(rid) for rid in list(runner.active) if rid in self.view.columns)

    def action_cancel_battle(self) -> None:
        n = self._cancel_streams()
        self.notify("stopped the battle" if n else "nothing is running", timeout=2)

    def action_open_leaderboard(self) -> None:
        from tuiarena.ui.screens.leaderboard import LeaderboardScreen

        self.app.push_screen(LeaderboardScreen())

    def action_back(self) -> None:
        if self.focused is not None and self.focused.id == "blind-prompt" and self.battle is not None:
            self.query_one(BlindColumn).body.focus()
            return
        self._cancel_streams()
        self.app.pop_screen()

    def _status(self, text: str) -> None:
        self.query_one("#blind-status", Static).update(Text(text))


__all__ = ["BlindColumn", "BlindScreen"]
