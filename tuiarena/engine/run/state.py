"""The fold from events to view state, shared by the live UI, replay and the CLI's progress line.

``apply(state, event)`` never reads a clock and never does I/O: the same events give the same
state, whether they come from the runner or from a saved session. It updates ``state`` in place
(a per-token copy of the whole state would cost more than the tokens) and returns it.

Each column keeps a ``version`` that grows on every change, so a UI refreshing on a timer redraws
only the columns whose version moved since the last frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tuiarena.model import (
    FINAL_STATUSES,
    Event,
    NoteTaken,
    ResponseDelta,
    ResponseDone,
    ResponseRetry,
    ResponseStarted,
    RunStarted,
    ScoreGiven,
    SessionHeader,
    SessionRenamed,
    VoteCast,
)

LIVE_RATE_AFTER_MS = 250.0  # a live tokens/s figure needs this much streaming behind it


@dataclass(slots=True)
class ColumnState:
    """One model's response in one run, as the UI shows it."""

    run_id: str
    response_id: str
    model: str
    status: str = "waiting"  # waiting | thinking | streaming | done | cut | cancelled | error
    answer_parts: list[str] = field(default_factory=list)
    reasoning_parts: list[str] = field(default_factory=list)
    answer_chars: int = 0
    reasoning_chars: int = 0
    ttft_ms: float | None = None
    ttft_answer_ms: float | None = None
    last_ms: float | None = None  # ms of the latest token since the request was sent
    first_chars: int = 0  # characters of the first delta (they arrived at ttft_ms, in no time)
    retries: int = 0
    record: ResponseDone | None = None
    version: int = 0

    @property
    def text(self) -> str:
        if len(self.answer_parts) > 1:  # join once, keep the joined string
            self.answer_parts[:] = ["".join(self.answer_parts)]
        return self.answer_parts[0] if self.answer_parts else ""

    @property
    def reasoning(self) -> str:
        if len(self.reasoning_parts) > 1:
            self.reasoning_parts[:] = ["".join(self.reasoning_parts)]
        return self.reasoning_parts[0] if self.reasoning_parts else ""

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def completion_tokens(self) -> int | None:
        if self.record is not None:
            return self.record.completion_tokens
        if not (self.answer_chars or self.reasoning_chars):
            return None
        return round((self.answer_chars + self.reasoning_chars) / 4)

    @property
    def live_tokens_per_s(self) -> float | None:
        """While streaming: estimated from characters; after the end: the measured figure."""
        if self.record is not None:
            return self.record.tokens_per_s
        if self.ttft_ms is None or self.last_ms is None or self.last_ms - self.ttft_ms < LIVE_RATE_AFTER_MS:
            return None
        # what arrived after the first delta, over the time since it: the first delta (one token, or
        # a coalesced burst in a replayed timeline) came at ttft_ms and took no time
        later = (self.answer_chars + self.reasoning_chars - self.first_chars) / 4
        return later / ((self.last_ms - self.ttft_ms) / 1000.0)


@dataclass(slots=True)
class ViewState:
    session_id: str = ""
    name: str = ""
    kind: str = "compare"
    runs: dict[str, RunStarted] = field(default_factory=dict)
    run_order: list[str] = field(default_factory=list)
    columns: dict[str, ColumnState] = field(default_factory=dict)  # response id -> column
    votes: list[VoteCast] = field(default_factory=list)
    scores: dict[str, list[ScoreGiven]] = field(default_factory=dict)  # response id -> scores
    notes: list[NoteTaken] = field(default_factory=list)
    version: int = 0

    @property
    def current_run(self) -> RunStarted | None:
        return self.runs[self.run_order[-1]] if self.run_order else None

    def columns_of(self, run_id: str) -> list[ColumnState]:
        run = self.runs.get(run_id)
        if run is None:
            return []
        return [self.columns[rid] for rid in run.response_ids.values() if rid in self.columns]


def _column(state: ViewState, run_id: str, rid: str, model: str) -> ColumnState:
    col = state.columns.get(rid)
    if col is None:
        col = state.columns[rid] = ColumnState(run_id=run_id, response_id=rid, model=model)
    return col


def apply(state: ViewState, event: Event) -> ViewState:
    """Fold one event into the state and return it."""
    if type(event) is ResponseDelta:
        col = state.columns.get(event.response_id)
        if col is None:
            return state
        if col.ttft_ms is None:
            col.ttft_ms = event.ms
            col.first_chars = len(event.text)
        col.last_ms = event.ms
        if event.reasoning:
            col.reasoning_parts.append(event.text)
            col.reasoning_chars += len(event.text)
            if col.status in ("waiting", "thinking"):
                col.status = "thinking"
        else:
            if col.ttft_answer_ms is None:
                col.ttft_answer_ms = event.ms
            col.answer_parts.append(event.text)
            col.answer_chars += len(event.text)
            col.status = "streaming"
        col.version += 1
    elif type(event) is ResponseStarted:
        col = _column(state, event.run_id, event.response_id, event.model)
        # a re-run of one column starts it afresh
        col.status, col.answer_parts, col.reasoning_parts = "waiting", [], []
        col.answer_chars = col.reasoning_chars = col.first_chars = 0
        col.ttft_ms = col.ttft_answer_ms = col.last_ms = None
        col.retries, col.record = 0, None
        col.version += 1
    elif type(event) is ResponseDone:
        col = _column(state, event.run_id, event.response_id, event.model)
        col.record = event
        col.status = event.status
        col.answer_parts = [event.text] if event.text else []
        col.reasoning_parts = [event.reasoning] if event.reasoning else []
        col.answer_chars, col.reasoning_chars = len(event.text), len(event.reasoning)
        col.ttft_ms, col.ttft_answer_ms = event.ttft_ms, event.ttft_answer_ms
        col.version += 1
    elif type(event) is ResponseRetry:
        col = state.columns.get(event.response_id)
        if col is not None:
            col.retries += 1
            col.version += 1
    elif type(event) is RunStarted:
        if event.run_id not in state.runs:
            state.run_order.append(event.run_id)
        state.runs[event.run_id] = event
        for model, rid in event.response_ids.items():
            _column(state, event.run_id, rid, model)
    elif type(event) is VoteCast:
        state.votes.append(event)
    elif type(event) is ScoreGiven:
        state.scores.setdefault(event.response_id, []).append(event)
    elif type(event) is SessionHeader:
        state.session_id, state.name, state.kind = event.session_id, event.name, event.kind
    elif type(event) is SessionRenamed:
        state.name = event.name
    elif type(event) is NoteTaken:
        state.notes.append(event)
    state.version += 1
    return state


def concerns(state: ViewState, run_ids: set[str], event: Event) -> bool:
    """Whether ``event`` belongs to one of ``run_ids``: a screen that shares the app's event stream
    with others folds only its own runs (deltas and retries are matched by their response)."""
    if type(event) is ResponseDelta or type(event) is ResponseRetry:
        return event.response_id in state.columns
    return getattr(event, "run_id", None) in run_ids


def fold(events: Iterable[Event], state: ViewState | None = None) -> ViewState:
    state = state or ViewState()
    for ev in events:
        apply(state, ev)
    return state


__all__ = ["ColumnState", "ViewState", "apply", "concerns", "fold"]
