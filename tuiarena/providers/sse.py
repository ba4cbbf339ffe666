"""Turn the raw bytes of an OpenAI-compatible chat answer into plain stream events.

Free of I/O. ``ChunkParser.feed`` takes body bytes as they come and returns text deltas and the
finish; usage, the server's own timings and the count of text-bearing chunks are kept on the
parser for the caller to report at the end. A body that is one JSON object (a server that ignored
``stream: true``) is taken whole at ``flush``; an HTML page or other non-SSE text is an error that
says so. Why raw SSE and jiter: docs/decisions/0020-raw-sse-parsing.md.
"""

from __future__ import annotations

import json
from typing import Any

import jiter

from tuiarena.model import (
    ProviderError,
    ServerTimings,
    StreamEvent,
    StreamFinish,
    TextDelta,
    UsageInfo,
)

_loads = json.JSONDecoder().decode  # json.loads minus its per-call argument checks
_from_json = jiter.from_json
_HINT = "base_url usually ends in /v1"
_MAX_WHOLE = 16 << 20  # a non-streamed answer longer than this is not one we can show


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def usage_from(obj: dict[str, Any]) -> UsageInfo:
    details = obj.get("completion_tokens_details")
    reasoning = details.get("reasoning_tokens") if isinstance(details, dict) else None
    return UsageInfo(
        prompt_tokens=obj.get("prompt_tokens"),
        completion_tokens=obj.get("completion_tokens"),
        reasoning_tokens=reasoning,
        cost_usd=_num(obj.get("cost")),
    )


def timings_from(obj: dict[str, Any]) -> ServerTimings:
    """llama.cpp's ``timings`` object (server-side prefill and decode)."""
    return ServerTimings(
        prompt_ms=_num(obj.get("prompt_ms")),
        predicted_ms=_num(obj.get("predicted_ms")),
        predicted_per_second=_num(obj.get("predicted_per_second")),
        prompt_n=_int(obj.get("prompt_n")),
        predicted_n=_int(obj.get("predicted_n")),
    )


def error_message(err: Any) -> str:
    if isinstance(err, dict):
        inner = err.get("error")
        if isinstance(inner, dict):
            return error_message(inner)
        msg = err.get("message") or inner or json.dumps(err)[:300]
        return str(msg)
    return str(err)


def _shown(data: bytes) -> str:
    return " ".join(data[:100].decode("utf-8", "replace").split())


class ChunkParser:
    """Feeds on raw body bytes; one instance per response.

    ``feed(data, t)`` returns the events in ``data`` (text deltas, the finish). Kept for the caller
    (the last one seen wins): ``usage``, ``timings``. ``done`` is set by ``data: [DONE]``, ``finish``
    by the first ``finish_reason``, ``pieces`` counts chunks that carried text (or an empty
    content chunk between the opening and the finish: a token that ended mid-character). An ``error`` object
    in the stream (or a line that is not JSON, or a body that is not SSE) ends it: ``error`` is set,
    the events before it are still returned and the caller raises it after handing them on. SSE
    comment lines, blank lines and other fields (``event:``, ``id:``, ``retry:``) are skipped. A body
    whose first byte is ``{`` is one JSON answer (``streamed`` becomes False), parsed by ``flush``.
    """

    __slots__ = ("done", "finish", "usage", "timings", "chars", "answered", "error", "events", "pieces",
                 "streamed", "_buf", "_sniffed", "_whole", "_lo", "_hi", "_last")

    def __init__(self) -> None:
        self.done = False
        self.finish: str | None = None
        self.usage: UsageInfo | None = None
        self.timings: ServerTimings | None = None
        self.chars = 0
        self.answered = False  # an answer (not reasoning) token has been seen
        self.error: ProviderError | None = None
        self.events = 0  # data lines parsed
        self.pieces = 0  # data lines that carried text (content or reasoning)
        self.streamed = True
        self._buf = b""
        self._sniffed = False  # the body's first byte has been looked at
        self._whole: list[bytes] | None = None  # a JSON body, kept whole for flush()
        self._lo, self._hi, self._last = 1 << 30, 0, -1  # text lengths of the chunks before the last; the last

    @property
    def even(self) -> bool:
        """Every text chunk but the last had the same length (three or more of them): the text was
        cut by characters (a proxy's mock, a re-chunker), not one token a chunk."""
        return self.pieces >= 4 and self._lo == self._hi
    def _sniff(self, data: bytes) -> bool:
        """Look at the body's first non-blank byte; False if ``data`` is all blank."""
        first = data.lstrip()[:1]
        if not first:
            return False
        self._sniffed = True
        if first == b"{":
            self._whole, self.streamed = [], False
        elif first == b"<":
            self.error = ProviderError(
                "stream_error", f"the server answered with an HTML page, not a chat stream ({_HINT}): {_shown(data)!r}")
        return True

    def feed(self, data: bytes, t: float) -> list[StreamEvent]:
        if self.error is not None:
            return []
        if not self._sniffed and (not self._sniff(self._buf + data) or self.error is not None):
            self._buf += data if self.error is None else b""
            return []
        if self._whole is not None:
            self._whole.append(data)
            if sum(map(len, self._whole)) > _MAX_WHOLE:
                self.error = ProviderError("stream_error", "a non-streamed answer longer than 16 MB")
            return []
        if self._buf:
            data = self._buf + data
        lines = data.split(b"\n")
        self._buf = lines.pop()
        out: list[StreamEvent] = []
        kind: bool | None = None  # reasoning flag of the delta being merged
        parts: list[str] = []
        chars = events = pieces = 0
        n = 0  # chunks merged into parts
        for line in lines:  # (runs once per token on every stream: kept to locals and few calls)
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if not payload:
                continue
            events += 1
            try:
                obj = _from_json(payload)
            except ValueError as exc:
                if payload == b"[DONE]":
                    self.done = True
                    break
                if "recursion limit" in str(exc):  # jiter's depth limit: hostile, not a chunk
                    self.error = ProviderError("stream_error", "stream data nested too deeply to read")
                    break
                try:  # jiter refuses invalid UTF-8 in a string: decode it as a text stream would
                    obj = _loads(payload.decode("utf-8", "replace"))
                except (ValueError, RecursionError):
                    text = payload[:120].decode("utf-8", "replace")
                    self.error = ProviderError("stream_error", f"unreadable stream data: {text!r}")
                    break
            if type(obj) is not dict:
                continue
            if "error" in obj and obj["error"]:
                self.error = ProviderError("stream_error", error_message(obj["error"]))
                break
            choices = obj.get("choices")
            if choices and type(choices) is list and type(choice := choices[0]) is dict:
                delta = choice.get("delta")
                if delta and type(delta) is dict:
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    if reasoning and type(reasoning) is str:
                        if kind is not True and parts:
                            out.append(TextDelta("".join(parts), t, False, n))
                            parts, n = [], 0
                        kind = True
                        parts.append(reasoning)
                        chars += len(reasoning)
                        n += 1
                    content = delta.get("content")
                    if content and type(content) is str:
                        if kind is not False and parts:
                            out.append(TextDelta("".join(parts), t, True, n))
                            parts, n = [], 0
                        kind = False
                        parts.append(content)
                        chars += len(content)
                        n += 1
                        self.answered = True
                    if reasoning or content or (content == "" and "role" not in delta
                                                and not choice.get("finish_reason")):
                        # an empty content chunk that is not the opening role chunk nor the finish
                        # is a token whose bytes end mid-character (llama-cpp-python's server)
                        pieces += 1
                        last = self._last
                        if last >= 0:
                            if last < self._lo:
                                self._lo = last
                            if last > self._hi:
                                self._hi = last
                        self._last = (len(reasoning) if type(reasoning) is str else 0) + (
                            len(content) if type(content) is str else 0)
                fr = choice.get("finish_reason")
                if fr and self.finish is None:
                    self.finish = fr
                    if parts:
                        out.append(TextDelta("".join(parts), t, bool(kind), n))
                        parts, n = [], 0
                    out.append(StreamFinish(fr, t))
            usage = obj.get("usage")
            if usage and type(usage) is dict:
                self.usage = usage_from(usage)
            timings = obj.get("timings")
            if timings and type(timings) is dict:
                self.timings = timings_from(timings)
        self.chars += chars
        self.events += events
        self.pieces += pieces
        if parts:
            out.append(TextDelta("".join(parts), t, bool(kind), n))
        return out

    def flush(self, t: float) -> list[StreamEvent]:
        """The body ended: parse what is left (a last line without a newline, a JSON answer)."""
        if self._whole is not None:
            return self._answer(b"".join(self._whole), t)
        out = self.feed(b"\n", t) if self._buf else []
        if self.error is None and not self.events and self._buf.strip():
            self.error = ProviderError("stream_error", f"not a chat stream ({_HINT}): {_shown(self._buf)!r}")
        return out

    def _answer(self, body: bytes, t: float) -> list[StreamEvent]:
        """A whole ``chat.completion`` object: its text as one piece at ``t``."""
        self._whole = None
        try:
            obj = _loads(body.decode("utf-8", "replace"))
        except ValueError:
            self.error = ProviderError("stream_error", f"not a chat stream nor JSON ({_HINT}): {_shown(body)!r}")
            return []
        if type(obj) is not dict:
            self.error = ProviderError("stream_error", f"not a chat completion ({_HINT}): {_shown(body)!r}")
            return []
        if obj.get("error"):
            self.error = ProviderError("stream_error", error_message(obj["error"]))
            return []
        choices = obj.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        message = choice.get("message") if choice is not None else None
        if not isinstance(message, dict):
            self.error = ProviderError("stream_error", f"not a chat completion ({_HINT}): {_shown(body)!r}")
            return []
        out: list[StreamEvent] = []
        self.events = 1
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            out.append(TextDelta(reasoning, t, True))
            self.chars += len(reasoning)
        content = message.get("content")
        if isinstance(content, str) and content:
            out.append(TextDelta(content, t, False))
            self.chars += len(content)
            self.answered = True
        self.pieces = len(out)
        fr = choice.get("finish_reason") if choice is not None else None
        if isinstance(fr, str) and fr:
            self.finish = fr
            out.append(StreamFinish(fr, t))
        usage = obj.get("usage")
        if isinstance(usage, dict):
            self.usage = usage_from(usage)
        timings = obj.get("timings")
        if isinstance(timings, dict):
            self.timings = timings_from(timings)
        self.done = True
        return out
