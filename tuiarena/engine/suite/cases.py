"""A suite's cases: one JSONL line or one inline ``[[cases]]`` table each, checked field by field
(see :mod:`tuiarena.engine.suite.load` for the format). Every problem is a
:class:`~tuiarena.errors.SuiteError` naming the file, the line and the field."""

from __future__ import annotations

import json
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
    checks: list[dict] = field(default_factory=list)
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


def load_cases(path: Path, defaults: dict, where: str | None = None) -> list[Case]:
    """The cases of a JSONL file; ``where`` names it in messages (default: its path)."""
    where = where or str(path)
    cases: list[Case] = []
    seen: dict[str, str] = {}
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{where}: cannot read: {exc.strerror}") from None
    with fh:
        try:
            for lineno, line in enumerate(fh, 1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                loc = f"{where}: line {lineno}"
                try:
                    raw = validate.loads_json(text)
                except json.JSONDecodeError as exc:
                    raise SuiteError(f"{loc}: invalid JSON at column {exc.colno}: {exc.msg}") from None
                except ValueError as exc:
                    raise SuiteError(f"{loc}: invalid JSON: {exc}") from None
                case = parse_case(raw, defaults, loc, default_id=f"{path.stem}-{lineno}")
                unique(case, seen, loc)
                cases.append(case)
        except UnicodeDecodeError as exc:
            raise SuiteError(f"{where}: not UTF-8 text ({exc.reason})") from None
    if not cases:
        raise SuiteError(f"{where}: no cases (one JSON object per line)")
    return cases


def unique(case: Case, seen: dict[str, str], loc: str) -> None:
    if case.id in seen:
        raise SuiteError(f'{loc}: field "id": duplicate id {case.id!r} (first at {seen[case.id]})')
    seen[case.id] = loc.rsplit(": ", 1)[-1]


def parse_case(raw: Any, defaults: dict, loc: str, default_id: str) -> Case:
    if not isinstance(raw, dict):
        raise SuiteError(f"{loc}: a case must be a JSON object, got {type(raw).__name__}")
    for key in raw:
        if key not in CASE_FIELDS:
            raise SuiteError(f"{loc}: unknown field {key!r} (known: {', '.join(sorted(CASE_FIELDS))})")

    def bad(fld: str, msg: str) -> SuiteError:
        return SuiteError(f'{loc}: field "{fld}": {msg}')

    cid = raw.get("id", default_id)
    if isinstance(cid, bool) or not isinstance(cid, (str, int)) or not str(cid).strip():
        raise bad("id", "must be a non-empty string")
    cid = str(cid)

    system = raw.get("system", defaults.get("system"))
    if system is not None and not isinstance(system, str):
        raise bad("system", "must be a string")
    if "input" in raw and "messages" in raw:
        raise bad("input", 'give "input" or "messages", not both')
    if "input" in raw:
        if not isinstance(raw["input"], str) or not raw["input"].strip():
            raise bad("input", "must be a non-empty string")
        messages: list[Message] = [{"role": "user", "content": raw["input"]}]
    elif "messages" in raw:
        messages = raw["messages"]
        if not isinstance(messages, list) or not messages:
            raise bad("messages", "must be a non-empty list of {\"role\", \"content\"} objects")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
                raise bad(f"messages[{i}]", f'must be {{"role": one of {"/".join(ROLES)}, "content": a string}}')
        if messages[-1]["role"] == "assistant":
            raise bad("messages", "the last message must be from the user")
    else:
        raise bad("input", 'missing: each case needs "input" (text) or "messages"')
    if system and not any(m["role"] == "system" for m in messages):
        messages = [{"role": "system", "content": system}] + messages

    params = Params(**{  # the same ranges as the CLI flags and config.toml (tuiarena.validate.PARAMS)
        name: _opt(raw, defaults, name, bad, lo, hi, integer=integer)
        for name, (lo, hi, integer) in validate.PARAMS.items()
    })
    expected = raw.get("expected")
    checks: list[dict] = []
    if raw.get("default_checks", True) is not False:
        checks.extend(defaults.get("checks", ()))
    if "checks" in raw:
        checks.extend(parse_checks(raw["checks"], expected, loc, "checks"))
    elif isinstance(expected, dict) and expected:
        checks.append(validate_check({"type": "json-fields"}, expected))
    lat = _opt(raw, defaults, "max_latency_ms", bad, 0, None)
    if lat is not None:
        checks.append({"type": "latency", "max_ms": lat, "name": "max_latency_ms"})
    cost = _opt(raw, defaults, "max_cost_usd", bad, 0, None)
    if cost is not None:
        checks.append({"type": "cost", "max_usd": cost, "name": "max_cost_usd"})
    category = raw.get("category", defaults.get("category", "")) or ""
    if not isinstance(category, str):
        raise bad("category", "must be a string")
    weight = _opt(raw, {}, "weight", bad, 0, None)
    return Case(
        id=cid,
        messages=messages,
        params=params,
        checks=checks,
        expected=expected,
        category=category,
        weight=1.0 if weight is None else weight,
        pass_threshold=_opt(raw, defaults, "pass_threshold", bad, 0, 1),
        where=loc,
    )


def _opt(raw: dict, defaults: dict, key: str, bad, lo, hi, *, integer: bool = False):
    value = raw.get(key, defaults.get(key))
    if value is None:
        return None
    try:
        return number(value, "", lo, hi, integer=integer)
    except SuiteError as exc:
        raise bad(key, str(exc).lstrip(": ")) from None


def parse_checks(raw: Any, expected: Any, loc: str, name: str) -> list[dict]:
    if not isinstance(raw, list):
        raise SuiteError(f'{loc}: field "{name}": must be a list of check objects')
    out = []
    for i, spec in enumerate(raw):
        try:
            out.append(validate_check(spec, expected))
        except CheckSpecError as exc:
            sub = f".{exc.field}" if exc.field else ""
            raise SuiteError(f'{loc}: field "{name}"[{i}]{sub}: {exc.message}') from None
    return out
