"""A suite's cases: one JSONL line or one inline ``[[cases]]`` table each, checked field by field
(see :mod:`tuiarena.engine.suite.load` for the format). Every problem is a
:class:`~tuiarena.errors.SuiteError` naming the file, the line and the field."""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, overload

from tuiarena import validate
from tuiarena.errors import SuiteError
from tuiarena.model import Message, Params
from tuiarena.scoring.checks import CheckSpecError, validate_check

CASE_FIELDS = {
    "id", "input", "messages", "system", "expected", "checks", "category", "max_tokens", "temperature",
    "seed", "top_p", "weight", "pass_threshold", "max_latency_ms", "max_cost_usd", "default_checks", "meta",
}
ROLES = ("system", "user", "assistant")


@dataclass(slots=True)
class Case:
    id: str
    messages: list[Message]
    params: Params
    checks: list[dict[str, Any]] = field(default_factory=list)
    expected: Any = None
    category: str = ""
    weight: float = 1.0
    pass_threshold: float | None = None
    where: str = ""  # "support.jsonl: line 7" — for messages about this case


def number(value: Any, loc: str, lo: float | None, hi: float | None, *, integer: bool = False, hint: str = "") -> float:
    try:
        return validate.number(value, lo=lo, hi=hi, integer=integer)
    except validate.BadValue as exc:
        raise SuiteError(f"{loc}: {exc}" + (f" ({hint})" if hint else "")) from None


# ------------------------------------------------------------------ JSONL cases


LAZY_BYTES = 4_000_000  # a JSONL file bigger than this is read as a stream (CaseFile), not kept in memory


def load_cases(path: Path, defaults: dict[str, Any], where: str | None = None) -> Sequence[Case]:
    """The cases of a JSONL file, every line checked; ``where`` names it in messages (default: its path).

    A small file gives a list; a big one (over :data:`LAZY_BYTES`) a :class:`CaseFile` that keeps
    only each case's offset and parses a case again when it is asked for."""
    where = where or str(path)
    try:
        size = path.stat().st_size
        fh = path.open("rb")
    except OSError as exc:
        raise SuiteError(f"{where}: cannot read: {exc.strerror}") from None
    lazy = size > LAZY_BYTES
    cases: list[Case] = []
    offsets, linenos = array("q"), array("q")
    seen: dict[str, str] = {}
    stem = path.stem
    ids: set[str] = set()  # lazy: the ids only (a duplicate's first line is found again on the error path)
    with fh:
        offset = 0
        for lineno, line in enumerate(fh, 1):
            start, offset = offset, offset + len(line)
            case = _case_at(line, lineno, stem, defaults, where)
            if case is None:
                continue
            if not lazy:
                unique(case, seen, f"{where}: line {lineno}")
                cases.append(case)
            elif case.id in ids:
                first = next(c.where for c in CaseFile(path, defaults, where, offsets, linenos) if c.id == case.id)
                raise SuiteError(f'{where}: line {lineno}: field "id": duplicate id {case.id!r} (first at {first.rsplit(": ", 1)[-1]})')
            else:
                ids.add(case.id)
                offsets.append(start)
                linenos.append(lineno)
    if not (offsets if lazy else cases):
        raise SuiteError(f"{where}: no cases (one JSON object per line)")
    return CaseFile(path, defaults, where, offsets, linenos, size) if lazy else cases


_DECODER = json.JSONDecoder()


def _case_at(line: bytes, lineno: int, stem: str, defaults: dict[str, Any], where: str) -> Case | None:
    """The case on one JSONL line (None for a blank or ``#`` comment line); SuiteError naming the line.
    ``stem`` is the file's name without its suffix (a case without an id is ``stem-lineno``)."""
    try:
        text = line.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise SuiteError(f"{where}: not UTF-8 text ({exc.reason}, line {lineno})") from None
    if not text or text[0] == "#":
        return None
    loc = f"{where}: line {lineno}"
    raw: Any = _NOT_READ
    if text.count("{") + text.count("[") <= validate.MAX_DEPTH:
        try:  # the common case, without json.loads's per-call overhead (a 400k-line suite is read twice)
            raw, end = _DECODER.raw_decode(text)
            if end != len(text):
                raw = _NOT_READ
        except (ValueError, RecursionError):
            raw = _NOT_READ
    if raw is _NOT_READ:  # malformed, or nested: read again the careful way, for its message
        try:
            raw = validate.loads_json(text)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{loc}: invalid JSON at column {exc.colno}: {exc.msg}") from None
        except ValueError as exc:
            raise SuiteError(f"{loc}: invalid JSON: {exc}") from None
    return parse_case(raw, defaults, loc, default_id=f"{stem}-{lineno}")


_NOT_READ = object()


class CaseFile(Sequence[Case]):
    """The cases of a big JSONL file, read as a stream: only each case's byte offset is kept
    (8 bytes a case); iterating reads the file in order, indexing seeks to one line. The few cases
    last asked for are kept, since a suite run asks for each once per model."""

    def __init__(self, path: Path, defaults: dict[str, Any], where: str, offsets: array[int], linenos: array[int],
                 size: int | None = None) -> None:
        self.path, self.defaults, self.where = path, defaults, where
        self.offsets, self.linenos = offsets, linenos
        self.size = size
        self._fh: BinaryIO | None = None
        self._recent: dict[int, Case] = {}

    def __len__(self) -> int:
        return len(self.offsets)

    def _read(self, i: int) -> Case:
        if self._fh is None:
            try:
                self._fh = self.path.open("rb")
            except OSError as exc:
                raise SuiteError(f"{self.where}: cannot read: {exc.strerror}") from None
            if self.size is not None and os.fstat(self._fh.fileno()).st_size != self.size:
                raise SuiteError(f"{self.where}: the file changed while the suite was running; load it again")
        self._fh.seek(self.offsets[i])
        line = self._fh.readline()
        lineno = self.linenos[i]
        case = _case_at(line, lineno, self.path.stem, self.defaults, self.where)
        if case is None:
            raise SuiteError(f"{self.where}: line {lineno}: the file changed while the suite was running; load it again")
        return case

    @overload
    def __getitem__(self, i: int) -> Case: ...
    @overload
    def __getitem__(self, i: slice) -> list[Case]: ...
    def __getitem__(self, i: int | slice) -> Case | list[Case]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        case = self._recent.get(i)
        if case is None:
            if len(self._recent) >= 256:
                self._recent.pop(next(iter(self._recent)))
            case = self._recent[i] = self._read(i)
        return case

    def __iter__(self) -> Iterator[Case]:
        stem = self.path.stem
        with self.path.open("rb") as fh:
            for lineno, line in enumerate(fh, 1):
                case = _case_at(line, lineno, stem, self.defaults, self.where)
                if case is not None:
                    yield case

    def __del__(self) -> None:
        if self._fh is not None:
            self._fh.close()


def unique(case: Case, seen: dict[str, str], loc: str) -> None:
    if case.id in seen:
        raise SuiteError(f'{loc}: field "id": duplicate id {case.id!r} (first at {seen[case.id]})')
    seen[case.id] = loc.rsplit(": ", 1)[-1]


def parse_case(raw: Any, defaults: dict[str, Any], loc: str, default_id: str) -> Case:
    # (written for speed: a 400k-line suite file goes through here twice, once to check, once to run)
    if raw.__class__ is not dict and not isinstance(raw, dict):
        raise SuiteError(f"{loc}: a case must be a JSON object, got {type(raw).__name__}")
    if not CASE_FIELDS.issuperset(raw):
        key = next(k for k in raw if k not in CASE_FIELDS)
        raise SuiteError(f"{loc}: unknown field {key!r} (known: {', '.join(sorted(CASE_FIELDS))})")

    cid = raw.get("id", default_id)
    if cid.__class__ is not str or not cid or cid.isspace():
        if isinstance(cid, bool) or not isinstance(cid, (str, int)) or not str(cid).strip():
            raise _bad(loc, "id", "must be a non-empty string")
        cid = str(cid)

    system = raw.get("system", defaults.get("system"))
    if system is not None and not isinstance(system, str):
        raise _bad(loc, "system", "must be a string")
    text = raw.get("input", _ABSENT)
    if text is not _ABSENT:
        if "messages" in raw:
            raise _bad(loc, "input", 'give "input" or "messages", not both')
        if not isinstance(text, str) or not text or text.isspace():
            raise _bad(loc, "input", "must be a non-empty string")
        messages: list[Message] = [{"role": "user", "content": text}]
    elif "messages" in raw:
        messages = raw["messages"]
        if not isinstance(messages, list) or not messages:
            raise _bad(loc, "messages", "must be a non-empty list of {\"role\", \"content\"} objects")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
                raise _bad(loc, f"messages[{i}]", f'must be {{"role": one of {"/".join(ROLES)}, "content": a string}}')
        if messages[-1]["role"] == "assistant":
            raise _bad(loc, "messages", "the last message must be from the user")
    else:
        raise _bad(loc, "input", 'missing: each case needs "input" (text) or "messages"')
    if system and not any(m["role"] == "system" for m in messages):
        messages = [{"role": "system", "content": system}] + messages

    keys = raw.keys() | defaults.keys() if defaults else raw.keys()
    given = keys & _PARAM_NAMES  # most cases give none of these: skip the lot
    params = Params(**{  # the same ranges as the CLI flags and config.toml (tuiarena.validate.PARAMS)
        name: _opt(raw, defaults, name, loc, lo, hi, integer=integer)
        for name, (lo, hi, integer) in validate.PARAMS.items() if name in given
    }) if given else Params()
    expected = raw.get("expected")
    checks: list[dict[str, Any]] = []
    if defaults and raw.get("default_checks", True) is not False:
        checks.extend(defaults.get("checks", ()))
    if "checks" in raw:
        checks.extend(parse_checks(raw["checks"], expected, loc, "checks"))
    elif isinstance(expected, dict) and expected:
        checks.append(validate_check({"type": "json-fields"}, expected))
    given = keys & _LIMIT_NAMES
    pass_threshold = None
    if given:
        lat = _opt(raw, defaults, "max_latency_ms", loc, 0, None)
        if lat is not None:
            checks.append({"type": "latency", "max_ms": lat, "name": "max_latency_ms"})
        cost = _opt(raw, defaults, "max_cost_usd", loc, 0, None)
        if cost is not None:
            checks.append({"type": "cost", "max_usd": cost, "name": "max_cost_usd"})
    category = raw.get("category", defaults.get("category", "")) or ""
    if category.__class__ is not str and not isinstance(category, str):
        raise _bad(loc, "category", "must be a string")
    weight = _opt(raw, {}, "weight", loc, 0, None) if "weight" in raw else None
    if given:
        pass_threshold = _opt(raw, defaults, "pass_threshold", loc, 0, 1)
    return Case(cid, messages, params, checks, expected, category, 1.0 if weight is None else weight, pass_threshold, loc)


_ABSENT = object()
_PARAM_NAMES = frozenset(validate.PARAMS)
_LIMIT_NAMES = frozenset({"max_latency_ms", "max_cost_usd", "pass_threshold"})


def _bad(loc: str, fld: str, msg: str) -> SuiteError:
    return SuiteError(f'{loc}: field "{fld}": {msg}')


def _opt(raw: dict[str, Any], defaults: dict[str, Any], key: str, loc: str, lo: float | None,
         hi: float | None, *, integer: bool = False) -> Any:
    value = raw.get(key, defaults.get(key))
    if value is None:
        return None
    try:
        return number(value, "", lo, hi, integer=integer)
    except SuiteError as exc:
        raise _bad(loc, key, str(exc).lstrip(": ")) from None


def parse_checks(raw: Any, expected: Any, loc: str, name: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise SuiteError(f'{loc}: field "{name}": must be a list of check objects')
    out = []
    for i, spec in enumerate(raw):
        try:
            out.append(_validated(spec, expected))
        except CheckSpecError as exc:
            sub = f".{exc.field}" if exc.field else ""
            raise SuiteError(f'{loc}: field "{name}"[{i}]{sub}: {exc.message}') from None
    return out


_CHECK_MEMO: dict[str, dict[str, Any]] = {}  # repr of (spec, expected) -> the normalised check (read-only, shared)


def _validated(spec: Any, expected: Any) -> dict[str, Any]:
    """:func:`validate_check`, remembered: a big suite repeats the same few checks on every line."""
    if expected is not None and not isinstance(expected, str):
        return validate_check(spec, expected)
    key = repr((spec, expected))
    got = _CHECK_MEMO.get(key)
    if got is None:
        got = validate_check(spec, expected)
        if len(_CHECK_MEMO) < 4096:
            _CHECK_MEMO[key] = got
    return got
