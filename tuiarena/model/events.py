"""Session events: the records of a session log, and ``to_record`` / ``from_record`` for them.

Persisted events are written one JSON object a line to the session file (see
``tuiarena.store.sessions``); transient ones (deltas) only travel to live subscribers (the UI's
buffers, the CLI's progress line). Stdlib only; importers use ``tuiarena.model``, which
re-exports everything here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from tuiarena.model.refs import Message, now_wall

TOKEN_SOURCES = ("server", "server-timings", "chunks", "estimate")

ResponseStatus = Literal["waiting", "thinking", "streaming", "done", "cut", "cancelled", "error"]
FINAL_STATUSES = frozenset({"done", "cut", "cancelled", "error"})


@dataclass(slots=True)
class Event:
    type: ClassVar[str] = "event"
    persisted: ClassVar[bool] = True

    def to_record(self) -> dict[str, Any]:
        rec = {"type": self.type}
        for f in dataclasses.fields(self):
            rec[f.name] = getattr(self, f.name)
        return rec


@dataclass(slots=True)
class SessionHeader(Event):
    """First line of every session file."""

    type: ClassVar[str] = "header"
    session_id: str = ""
    name: str = ""
    kind: str = "compare"  # compare | blind | suite
    created: float = field(default_factory=now_wall)
    format: int = 1
    app_version: str = ""
    parent_session: str | None = None  # set when this session re-runs another
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RunStarted(Event):
    """One prompt sent to several models. ``messages`` per model when conversations differ."""

    type: ClassVar[str] = "run"
    run_id: str = ""
    models: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # shared prompt (last turn included)
    params: dict[str, Any] = field(default_factory=dict)
    response_ids: dict[str, str] = field(default_factory=dict)  # model id -> response id
    history: dict[str, list[Message]] = field(default_factory=dict)  # per-model earlier turns
    case_id: str | None = None  # suite case
    repeat: int = 0
    label: str = ""  # blind battle / suite name etc.
    t_wall: float = field(default_factory=now_wall)


@dataclass(slots=True)
class ResponseStarted(Event):
    type: ClassVar[str] = "response_start"
    persisted: ClassVar[bool] = False
    run_id: str = ""
    response_id: str = ""
    model: str = ""


@dataclass(slots=True)
class ResponseDelta(Event):
    """Text arriving for one response; ``ms`` since the request was sent."""

    type: ClassVar[str] = "delta"
    persisted: ClassVar[bool] = False
    response_id: str = ""
    text: str = ""
    ms: float = 0.0
    reasoning: bool = False


@dataclass(slots=True)
class ResponseRetry(Event):
    type: ClassVar[str] = "retry"
    persisted: ClassVar[bool] = False
    response_id: str = ""
    attempt: int = 0
    status: int | None = None
    wait_s: float | None = None


@dataclass(slots=True)
class ResponseDone(Event):
    """A response at its end (complete, cut, cancelled or failed), stored once, with all figures.

    Times are milliseconds from a monotonic clock, measured from just before the request was sent.
    ``timeline``/``reasoning_timeline``: ``[[ms, cumulative_chars], ...]`` coalesced to ~20 ms; stored
    as a compact string, so read them with ``tuiarena.engine.run.timeline.points()``.
    ``tokens_source``: where ``completion_tokens`` came from (``TOKEN_SOURCES``); None in files
    written before it was recorded (then ``tokens_estimated`` tells). Fields named ``server_*`` are
    the server's own figures, beside the client's.
    """

    type: ClassVar[str] = "response"
    run_id: str = ""
    response_id: str = ""
    model: str = ""
    status: str = "done"  # done | cut | cancelled | error
    text: str = ""
    reasoning: str = ""
    ttft_ms: float | None = None  # first token of any kind (reasoning included)
    ttft_answer_ms: float | None = None  # first answer token
    total_ms: float | None = None
    tokens_per_s: float | None = None  # completion tokens over the decode phase
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    tokens_estimated: bool = False  # True unless tokens_source is "server" / "server-timings"
    tokens_source: str | None = None  # server | server-timings | chunks | estimate
    cost_usd: float | None = None  # None = unknown price, never 0 by default
    finish_reason: str | None = None
    retries: list[dict[str, Any]] = field(default_factory=list)
    error_kind: str | None = None
    error: str | None = None
    timeline: list[list[float]] | str = field(default_factory=list)
    reasoning_timeline: list[list[float]] | str = field(default_factory=list)
    cached: bool = False
    connect_ms: float | None = None  # connection set-up; None: a reused connection (or unknown)
    timed_by: str | None = None  # "socket" | "read" (see StreamInfo)
    streamed: bool = True  # False: the server answered one JSON object, timed as one piece
    itl_p50_ms: float | None = None  # inter-token latency over text chunks (vLLM's ITL)
    itl_p95_ms: float | None = None
    tokens_per_chunk: float | None = None  # completion tokens / text chunks
    server_prompt_ms: float | None = None  # the server's prefill time (llama.cpp timings)
    server_decode_ms: float | None = None  # the server's decode time
    server_tokens_per_s: float | None = None  # the server's decode rate
    server_cost_usd: float | None = None  # the server's own charge (OpenRouter usage.cost)
    t_wall: float = field(default_factory=now_wall)

    def to_record(self) -> dict[str, Any]:
        # Timelines are stored as one compact string ("ms,chars ms,chars ..."): parsing thousands of
        # nested JSON arrays made opening a big session 3x slower. Decode with
        # ``tuiarena.engine.run.timeline.points``; in memory they may be either form.
        rec = Event.to_record(self)
        rec["timeline"] = encode_timeline(self.timeline)
        rec["reasoning_timeline"] = encode_timeline(self.reasoning_timeline)
        return rec


def encode_timeline(points: list[list[float]] | str) -> str:
    if isinstance(points, str):
        return points
    return " ".join(f"{ms:g},{chars:g}" for ms, chars in points)


@dataclass(slots=True)
class VoteCast(Event):
    """A blind A/B vote. outcome: "a" | "b" | "tie" | "both_bad"."""

    type: ClassVar[str] = "vote"
    run_id: str = ""
    model_a: str = ""
    model_b: str = ""
    response_a: str = ""
    response_b: str = ""
    outcome: str = ""
    identity_leaked: bool = False
    invalid: bool = False  # an error / cut stream: not a normal win
    prompt: str = ""
    t_wall: float = field(default_factory=now_wall)
    voter: str = ""  # the voter's label (``tuiarena serve``); "" = not given (and in older files)


@dataclass(slots=True)
class ScoreGiven(Event):
    """A score for one response: a check, a judge grade or a pairwise verdict."""

    type: ClassVar[str] = "score"
    response_id: str = ""
    run_id: str = ""
    scorer: str = ""  # "check:contains", "judge:rubric", "judge:pairwise", "rouge_l", ...
    passed: bool | None = None
    score: float | None = None  # 0..1 for checks; rubric totals as given
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    t_wall: float = field(default_factory=now_wall)


@dataclass(slots=True)
class NoteTaken(Event):
    type: ClassVar[str] = "note"
    text: str = ""
    run_id: str | None = None
    t_wall: float = field(default_factory=now_wall)


@dataclass(slots=True)
class SessionRenamed(Event):
    type: ClassVar[str] = "rename"
    name: str = ""
    t_wall: float = field(default_factory=now_wall)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        SessionHeader,
        RunStarted,
        ResponseStarted,
        ResponseDelta,
        ResponseRetry,
        ResponseDone,
        VoteCast,
        ScoreGiven,
        NoteTaken,
        SessionRenamed,
    )
}


def from_record(rec: dict[str, Any]) -> Event:
    """Build an event from a stored JSON object; unknown fields are ignored (forward compatible).

    Raises KeyError for an unknown ``type``.
    """
    cls = EVENT_TYPES[rec["type"]]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in rec.items() if k in names})
