"""Pieces of tests/fakeserver.py: what it records per request, its per-request settings, and the
stream events it renders as it sends them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestRecord:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    t_received: float  # server perf_counter (only meaningful inside the same process)
    ttft: float = 0.0  # configured TTFT applied to this request
    tokens_per_s: float = 0.0
    status: int = 200
    outcome: str = "open"  # open | done | cut | error | disconnected
    chunks_sent: int = 0
    t_first_chunk: float | None = None  # server perf_counter when the first token chunk was written


@dataclass
class _Conf:
    ttft: float
    rate: float
    n_tokens: int
    flags: set[str] = field(default_factory=set)


class LazyEvents:
    """The stream's events (role chunk, reasoning, content), each rendered when it is sent, so a
    long answer costs the server nothing up front and a burst of requests is read promptly."""

    def __init__(self, head: str, rfield: str, reasoning: list[str], content: list[str]) -> None:
        self.head, self.rfield, self.reasoning, self.content = head, rfield, reasoning, content

    def __len__(self) -> int:
        return 1 + len(self.reasoning) + len(self.content)

    def __getitem__(self, i: int) -> bytes:
        if i == 0:
            return (self.head + '{"role":"assistant","content":""},"finish_reason":null}]}\n\n').encode()
        i -= 1
        if i < len(self.reasoning):
            field, tok = self.rfield, self.reasoning[i]
        else:
            field, tok = "content", self.content[i - len(self.reasoning)]
        return (self.head + '{"%s":%s},"finish_reason":null}]}\n\n' % (field, json.dumps(tok))).encode()
