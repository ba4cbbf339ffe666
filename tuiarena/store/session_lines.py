"""One session line to one event, checked: the rules shared by :func:`tuiarena.store.sessions.read_session`
and the streaming readers (:func:`iter_session`, for files too big to hold in memory).

A line that is not valid JSON, not an object, of an unknown type, a second header, or has a field
of the wrong JSON type (``"text": 5``) becomes a reason string: the caller skips and counts it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tuiarena.model import EVENT_TYPES, Event
from tuiarena.validate import MAX_DEPTH, too_deep

# field names per event type, computed once (from_record recomputes them per call)
FIELDS: dict[str, frozenset[str]] = {
    t: frozenset(f.name for f in dataclasses.fields(cls)) for t, cls in EVENT_TYPES.items()
}


def _json_kinds(hint: Any) -> tuple[type, ...]:
    """The JSON value types a field annotated ``hint`` may hold (shallow: list, not list[str])."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return tuple(k for arg in typing.get_args(hint) for k in _json_kinds(arg))
    if origin is typing.Literal:
        return tuple({type(a) for a in typing.get_args(hint)})
    if hint is float:
        return (int, float)
    if hint is Any:
        return (object,)
    return (origin or hint,)


# event type -> {field: the JSON types it may hold}; a record with any other is skipped
_KINDS: dict[str, dict[str, tuple[type, ...]]] = {
    t: {name: _json_kinds(hint) for name, hint in typing.get_type_hints(cls).items() if name in FIELDS[t]}
    for t, cls in EVENT_TYPES.items()
}


# event type -> {field: the exact classes json.loads gives for a right-typed value}: a set lookup per
# field settles nearly every value; anything else (a subclass, object) goes through _KINDS
_EXACT: dict[str, dict[str, frozenset[type]]] = {
    t: {name: frozenset(k for k in (str, int, float, bool, list, dict, type(None))
                        if issubclass(k, kinds) and (k is not bool or bool in kinds))
        for name, kinds in per.items()}
    for t, per in _KINDS.items()
}


def _wrong_field(rec: dict[str, Any], kinds: dict[str, tuple[type, ...]], exact: dict[str, frozenset[type]]) -> str | None:
    for name, value in rec.items():
        fast = exact.get(name)
        if fast is None or value.__class__ in fast:
            continue
        allowed = kinds[name]
        if not isinstance(value, allowed) or (value.__class__ is bool and bool not in allowed):
            return name
    return None


_DECODER = json.JSONDecoder()
_JSON_SPACE = " \t\n\r"


def _loads(line: bytes) -> Any:
    """``json.loads(line)``, without its per-call overhead for the usual line (UTF-8, no leading space)."""
    try:
        text = line.decode("utf-8")
        if text[:1] not in _JSON_SPACE:  # ("" is in it: an empty line goes the slow way too)
            value, end = _DECODER.raw_decode(text)
            if end == len(text) or not text[end:].strip(_JSON_SPACE):
                return value
    except (ValueError, RecursionError):
        pass
    return json.loads(line)  # the exact behaviour and message (a BOM, other encodings, garbage)



def parse_line(line: bytes, last: bool = False) -> Event | str | None:
    """The event on ``line``, or why it is skipped (a str), or None for a blank line."""
    if not line.strip():
        return None
    try:
        rec = _loads(line)
    except RecursionError:
        return "nested too deeply to read"
    except ValueError:
        return "torn last line (incomplete write)" if last else "not valid JSON"
    if line.count(b"[") + line.count(b"{") > MAX_DEPTH and too_deep(rec):
        return "nested too deeply to read"
    if not isinstance(rec, dict):
        return "not a JSON object"
    etype = rec.get("type")
    cls = EVENT_TYPES.get(etype) if isinstance(etype, str) else None
    if cls is None or not isinstance(etype, str):
        return f"unknown event type {etype!r}"
    if etype == "header":
        return "a second header line"
    wrong = _wrong_field(rec, _KINDS[cls.type], _EXACT[cls.type])
    if wrong is not None:
        return f"{etype} event with a wrong-typed field {wrong!r}"
    names = FIELDS[cls.type]
    try:
        del rec["type"]  # (the rest are all fields, from our own writer: no copy needed)
        return cls(**(rec if names.issuperset(rec) else {k: v for k, v in rec.items() if k in names}))
    except TypeError as exc:
        return f"malformed {etype} event ({exc})"


def quick_ids(line: bytes, prefix: bytes) -> tuple[str, str] | None:
    """(run id, response id) of a line that starts with ``prefix`` (``{"type":"response","run_id":"``)
    then ``...","response_id":"...",``, read without parsing the JSON (text and all); else None.
    Both ids are plain strings without escapes in our own files."""
    if not line.startswith(prefix):
        return None
    i = len(prefix)
    j = line.find(b'","response_id":"', i)
    if j < 0:
        return None
    k = line.find(b'"', j + 17)
    if k < 0:
        return None
    run_id, rid = line[i:j], line[j + 17 : k]
    if b"\\" in run_id or b"\\" in rid or b'"' in run_id:
        return None
    try:
        return run_id.decode("utf-8"), rid.decode("utf-8")
    except UnicodeDecodeError:
        return None


def iter_lines(path: Path, skipped: list[tuple[int, str]], quick: bytes | None = None
               ) -> Iterator[tuple[int, int, Event | tuple[str, str]]]:
    """(byte offset, line number, event) for every event line after the header, read as a stream;
    skipped lines are appended to ``skipped`` as (line number, reason). With ``quick``, a line
    starting with it yields only its :func:`quick_ids` (the caller reads it in full later)."""
    with open(path, "rb") as fh:
        offset = len(fh.readline())
        lineno = 1
        line = fh.readline()
        while line:
            lineno += 1
            nxt = fh.readline()
            got: Event | tuple[str, str] | str | None = quick_ids(line, quick) if quick else None
            if got is None:
                got = parse_line(line, last=not nxt and not line.endswith(b"\n"))
            if isinstance(got, str):
                skipped.append((lineno, got))
            elif got is not None:
                yield offset, lineno, got
            offset += len(line)
            line = nxt


def event_at(path_or_file: Any, offset: int) -> Event | str | None:
    """The event on the line starting at ``offset`` of an open binary file."""
    path_or_file.seek(offset)
    return parse_line(path_or_file.readline())
