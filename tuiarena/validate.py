"""Checks of untrusted input shared by the CLI, config.toml, suites and the UI: one rule per value.

Numbers: :func:`number` refuses NaN, infinities, booleans and out-of-range values; :data:`PARAMS`
holds the ranges of the request parameters, :func:`param` applies them. Text: :func:`text`
refuses what cannot be stored as UTF-8 (undecodable bytes from argv or stdin arrive as lone
surrogates). Nesting: :func:`loads_json` is ``json.loads`` that turns a document nested more than
:data:`MAX_DEPTH` deep into a ``ValueError`` like any other malformed input; :func:`too_deep` checks
an already parsed value (TOML). Every failure is a :class:`BadValue` whose message
names the value; callers prefix where it came from (a flag, a file and line, a key).
"""

from __future__ import annotations

import json
import math
from typing import Any, cast


class BadValue(ValueError):
    """A value that fails its check; ``str()`` says what was wrong and shows the value."""


# name -> (lowest, highest, integer); None = unbounded
PARAMS: dict[str, tuple[float | None, float | None, bool]] = {
    "temperature": (0, 2, False),
    "top_p": (0, 1, False),
    "max_tokens": (1, None, True),
    "seed": (-(2**63), 2**63 - 1, True),
}


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, float) else f"{value:g}"


def number(value: Any, *, lo: float | None = None, hi: float | None = None, integer: bool = False,
           above: bool = False) -> float:
    """``value`` if it is a finite number (an integer when ``integer``) within ``[lo, hi]`` (``(lo, hi]``
    when ``above``), else :class:`BadValue`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and isinstance(value, float)):
        raise BadValue(f"must be {'an integer' if integer else 'a number'}, got {_show(value)}")
    num = cast(float, value)
    if isinstance(num, float) and not math.isfinite(num):
        raise BadValue(f"must be a finite number, got {_show(num)}")
    if lo is not None and (num <= lo if above else num < lo):
        raise BadValue(_range(lo, hi, above) + f", got {_show(num)}")
    if hi is not None and num > hi:
        raise BadValue(_range(lo, hi, above) + f", got {_show(num)}")
    return num


def _range(lo: float | None, hi: float | None, above: bool) -> str:
    if lo is not None and hi is not None:
        return f"must be between {lo:g} and {hi:g}"
    if lo is not None:
        return f"must be {'greater than' if above else 'at least'} {lo:g}"
    return f"must be at most {hi:g}"


def param(name: str, value: Any) -> Any:
    """A request parameter (temperature, top_p, max_tokens, seed) checked against :data:`PARAMS`."""
    lo, hi, integer = PARAMS[name]
    return number(value, lo=lo, hi=hi, integer=integer)


def parse_param(name: str, text: str) -> Any:
    """A request parameter typed by a person (a flag, an input box): parsed, then :func:`param`."""
    integer = PARAMS[name][2]
    try:
        value: Any = int(text.strip()) if integer else float(text.strip())
    except ValueError:
        raise BadValue(f"must be {'an integer' if integer else 'a number'}, got {text!r}") from None
    return param(name, value)


def timeout(value: Any) -> float:
    """A time limit in seconds: finite and greater than zero."""
    return number(value, lo=0, above=True)


def text(value: str) -> str:
    """``value`` if it can be stored as UTF-8 (no lone surrogates from undecodable bytes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start:exc.end].encode("utf-8", "surrogateescape")
        raise BadValue(f"is not valid UTF-8 text (byte {bad[:1].hex()} at character {exc.start + 1})") from None
    return value


MAX_DEPTH = 64  # deeper input is refused: no real config, suite, session or chunk nests like that


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when lists/dicts in ``value`` nest more than ``limit`` levels (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item if isinstance(child, (list, dict)))
    return False


def loads_json(data: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` where a document nested more than ``limit`` deep is a ``ValueError`` like any
    other malformed input (deep nesting breaks recursive code downstream, or the parser itself)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(f"nested more than {limit} levels deep") from None
    opens = data.count(b"[") + data.count(b"{") if isinstance(data, bytes) else data.count("[") + data.count("{")
    if opens > limit and too_deep(value, limit):  # (the count is a cheap bound: most documents stop here)
        raise ValueError(f"nested more than {limit} levels deep")
    return value
