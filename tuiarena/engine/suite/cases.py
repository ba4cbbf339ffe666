"""A suite's cases: one JSONL line or one inline ``[[cases]]`` table each, checked field by field
(see :mod:`tuiarena.engine.suite.load` for the format). Every problem is a
:class:`~tuiarena.errors.SuiteError` naming the file, the line and the field."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    A small file gives a list; a big one (over :data:`LAZY_BYTES`) a
    :class:`~tuiarena.engine.suite.casefile.CaseFile` that keeps only each case's offset and reads a
    case again when it is asked for."""
    where = where or str(path)
    try:
        fh = path.open("rb")
        stat = os.fstat(fh.fileno())
    except OSError as exc:
        raise SuiteError(f"{where}: cannot read: {exc.strerror}") from None
    if stat.st_size > LAZY_BYTES:
        from tuiarena.engine.suite.casefile import scan

        with fh:
            return scan(fh, stat, path, defaults, where)
    cases: list[Case] = []
    seen: dict[str, str] = {}
    stem = path.stem
    with fh:
        for lineno, line in enumerate(fh, 1):
            case = _case_at(line, lineno, stem, defaults, where)
            if case is not None:
                unique(case, seen, case.where)
                cases.append(case)
    if not cases:
        raise SuiteError(f"{where}: no cases (one JSON object per line)")
    return cases


_DECODER = json.JSONDecoder()


def _case_at(line: bytes, lineno: int, stem: str, defaults: dict[str, Any], where: str) -> Case | None:
    """The case on one JSONL line (None for a blank or ``#`` comment line); SuiteError naming the line.
    ``stem`` is the file's name without its suffix (a case without an id is ``stem-lineno``)."""
    raw = read_line(line, lineno, where)
    if raw is NO_CASE:
        return None
    return parse_case(raw, defaults, f"{where}: line {lineno}", default_id=f"{stem}-{lineno}")


NO_CASE = object()  # read_line of a blank or comment line


def read_line(line: bytes, lineno: int, where: str) -> Any:
    """The JSON value on one JSONL line, or :data:`NO_CASE`; SuiteError naming the line."""
    try:
        text = line.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise SuiteError(f"{where}: not UTF-8 text ({exc.reason}, line {lineno})") from None
    if not text or text[0] == "#":
        return NO_CASE
    # (a line shorter than this cannot nest deeper than MAX_DEPTH: no need to count its brackets)
    if len(text) < _SHALLOW or text.count("{") + text.count("[") <= validate.MAX_DEPTH:
        try:  # the common case, without json.loads's per-call overhead (a 400k-line suite is read twice)
            raw, end = _DECODER.raw_decode(text)
            if end == len(text):
                return raw
        except (ValueError, RecursionError):
            pass
    try:  # malformed, or nested: read again the careful way, for its message
        return validate.loads_json(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{where}: line {lineno}: invalid JSON at column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        raise SuiteError(f"{where}: line {lineno}: invalid JSON: {exc}") from None


_SHALLOW = 2 * validate.MAX_DEPTH + 2  # MAX_DEPTH + 1 opening brackets and as many closing ones



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


def __getattr__(name: str) -> Any:  # CaseFile lives in casefile (which imports this module)
    if name == "CaseFile":
        from tuiarena.engine.suite.casefile import CaseFile

        return CaseFile
    raise AttributeError(name)
