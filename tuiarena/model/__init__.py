"""The plain data every layer speaks: model refs, parameters, stream events and session events.

Nothing here imports anything heavier than the stdlib. The package is one public name, split by
role: ``refs`` (model refs, endpoints, parameters, ids), ``stream`` (what a provider's stream
yields, ``ProviderError``) and ``events`` (session events and their JSON records, see
``tuiarena.store.sessions``). Import from ``tuiarena.model``; an import-linter contract keeps the
rest of the code off the submodules, so they can be rearranged freely.
"""

from __future__ import annotations

from tuiarena.model.events import (
    EVENT_TYPES,
    FINAL_STATUSES,
    TOKEN_SOURCES,
    Event,
    NoteTaken,
    ResponseDelta,
    ResponseDone,
    ResponseRetry,
    ResponseStarted,
    ResponseStatus,
    RunStarted,
    ScoreGiven,
    SessionHeader,
    SessionRenamed,
    VoteCast,
    encode_timeline,
    from_record,
)
from tuiarena.model.refs import (
    EndpointSpec,
    Message,
    ModelRef,
    Params,
    ResponseFormat,
    new_id,
    now_wall,
)
from tuiarena.model.stream import (
    ProviderError,
    RequestSent,
    RetryNotice,
    ServerTimings,
    StreamEnd,
    StreamEvent,
    StreamFinish,
    StreamInfo,
    TextDelta,
    TimedBy,
    UsageInfo,
)

__all__ = [
    "EVENT_TYPES",
    "EndpointSpec",
    "Event",
    "FINAL_STATUSES",
    "Message",
    "ModelRef",
    "NoteTaken",
    "Params",
    "ProviderError",
    "RequestSent",
    "ResponseDelta",
    "ResponseDone",
    "ResponseFormat",
    "ResponseRetry",
    "ResponseStarted",
    "ResponseStatus",
    "RetryNotice",
    "RunStarted",
    "ScoreGiven",
    "ServerTimings",
    "SessionHeader",
    "SessionRenamed",
    "StreamEnd",
    "StreamEvent",
    "StreamFinish",
    "StreamInfo",
    "TOKEN_SOURCES",
    "TextDelta",
    "TimedBy",
    "UsageInfo",
    "VoteCast",
    "encode_timeline",
    "from_record",
    "new_id",
    "now_wall",
]
