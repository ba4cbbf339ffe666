"""Checks: cheap, exact scores of one answer against what a suite case expects.

A check is a dict from the suite, ``{"type": "contains", "value": "Paris", "weight": 2}``.
:func:`validate_check` normalises one (raising :class:`CheckSpecError` naming the field) when the
suite is loaded, so a typo fails before any model is called; :func:`run_check` applies it to an
answer. Every check returns a :class:`CheckResult`: ``passed`` (True / False, or None when it
cannot decide, e.g. a cost limit for a model whose price is unknown), ``score`` in 0..1 and a
one-line ``reason``.

How a case is scored from its checks (:func:`score_case`):

* case score = weighted mean of the check scores (``weight`` per check, default 1);
* without a ``pass_threshold`` the case passes when every check that gave a verdict passed
  (the default threshold of 1.0 means "all checks pass"); with one, it passes when the case
  score >= ``pass_threshold``;
* a case with no checks that give a verdict has ``passed = None`` (scored by the judge only).

Score-only metrics (``rouge-l`` / ``bleu`` without a ``threshold``) give no verdict; with a
``threshold`` they pass when the score reaches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tuiarena.scoring import text_metrics
from tuiarena.scoring.answers import detect_refusal, parse_json_answer

Spec = dict[str, Any]  # one check as written in a suite (validated by validate_check)
FieldType = type | tuple[type, ...]  # what a check's field may hold, for isinstance


@dataclass(slots=True)
class CheckResult:
    passed: bool | None
    score: float
    reason: str


class CheckSpecError(ValueError):
    """A malformed check; ``field`` is the offending key (the suite loader adds file and line)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(slots=True)
class CheckContext:
    """What a check may look at besides the answer text."""

    expected: Any = None
    response: Any = None  # tuiarena.model.ResponseDone


# ------------------------------------------------------------------ the checks


def _short(s: Any, n: int = 40) -> str:
    s = str(s)
    return repr(s if len(s) <= n else s[: n - 1] + "…")


def _values(spec: Spec) -> list[str]:
    return list(spec["values"])


def _norm(s: str, spec: Spec) -> str:
    return s.lower() if spec.get("ignore_case") else s


def _equals(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    want = spec.get("value", ctx.expected)
    got = text.strip() if spec.get("strip", True) else text
    want_s = str(want).strip() if spec.get("strip", True) else str(want)
    ok = _norm(got, spec) == _norm(want_s, spec)
    return CheckResult(ok, float(ok), "equal" if ok else f"expected {_short(want_s)}, got {_short(got)}")


def _contains(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    hay = _norm(text, spec)
    values = _values(spec)
    found = [v for v in values if _norm(v, spec) in hay]
    missing = [v for v in values if v not in found]
    if spec.get("mode", "all") == "any":
        ok = bool(found)
        return CheckResult(ok, float(ok), f"found {_short(found[0])}" if ok else f"none of {missing} found")
    score = len(found) / len(values)
    return CheckResult(not missing, score, "all found" if not missing else f"missing {', '.join(_short(v) for v in missing)}")


def _not_contains(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    hay = _norm(text, spec)
    values = _values(spec)
    present = [v for v in values if _norm(v, spec) in hay]
    score = 1 - len(present) / len(values)
    return CheckResult(not present, score, "none present" if not present else f"contains {', '.join(_short(v) for v in present)}")


def _regex(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    rx: re.Pattern[str] = spec["_compiled"]
    m = rx.fullmatch(text.strip()) if spec.get("match") == "full" else rx.search(text)
    if m is None:
        return CheckResult(False, 0.0, f"no match for /{spec['pattern']}/")
    return CheckResult(True, 1.0, f"matched {_short(m.group(0))}")


def _is_json(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    ok, value = parse_json_answer(text)
    if not ok:
        return CheckResult(False, 0.0, "not valid JSON")
    kind = spec.get("kind")
    if kind == "object" and not isinstance(value, dict):
        return CheckResult(False, 0.0, f"JSON {type(value).__name__}, expected an object")
    if kind == "array" and not isinstance(value, list):
        return CheckResult(False, 0.0, f"JSON {type(value).__name__}, expected an array")
    return CheckResult(True, 1.0, "valid JSON")


def _field_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip().lower()
    return json.dumps(value, sort_keys=True, ensure_ascii=False).strip().lower()


def _json_fields(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    fields = spec.get("fields", ctx.expected)
    ok, value = parse_json_answer(text)
    if not ok:
        return CheckResult(False, 0.0, "not valid JSON")
    if not isinstance(value, dict):
        return CheckResult(False, 0.0, f"JSON {type(value).__name__}, expected an object")
    wrong = [k for k, want in fields.items() if k not in value or _field_text(value[k]) != _field_text(want)]
    score = 1 - len(wrong) / len(fields)
    threshold = spec.get("threshold", 1.0)
    detail = "all fields match" if not wrong else "mismatch: " + ", ".join(
        f"{k} (got {_short(value[k], 24) if k in value else 'nothing'})" for k in wrong
    )
    return CheckResult(score >= threshold, score, f"{len(fields) - len(wrong)}/{len(fields)} fields; {detail}")


def _length(spec: Spec, text: str) -> tuple[int, str]:
    if spec.get("unit", "chars") == "words":
        return len(text.split()), "words"
    return len(text.strip()), "chars"


def _min_length(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    n, unit = _length(spec, text)
    ok = n >= spec["value"]
    return CheckResult(ok, float(ok), f"{n} {unit} {'>=' if ok else '<'} {spec['value']}")


def _max_length(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    n, unit = _length(spec, text)
    ok = n <= spec["value"]
    return CheckResult(ok, float(ok), f"{n} {unit} {'<=' if ok else '>'} {spec['value']}")


def _finish(ctx: CheckContext) -> str | None:
    return getattr(ctx.response, "finish_reason", None)


def _refusal(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    hit = detect_refusal(text, _finish(ctx))
    return CheckResult(hit is not None, float(hit is not None), f"refused ({hit})" if hit else "answered, no refusal detected")


def _not_refused(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    hit = detect_refusal(text, _finish(ctx))
    return CheckResult(hit is None, float(hit is None), "no refusal detected" if hit is None else f"refused ({hit})")


def _latency(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    r = ctx.response
    if r is None:
        return CheckResult(None, 0.0, "no response figures")
    fails: list[str] = []
    says: list[str] = []
    for key, got, label in (("max_ms", r.total_ms, "total"), ("max_ttft_ms", r.ttft_ms, "TTFT")):
        if key not in spec:
            continue
        if got is None:
            return CheckResult(None, 0.0, f"{label} unknown")
        (fails if got > spec[key] else says).append(f"{label} {got:.0f} ms {'>' if got > spec[key] else '<='} {spec[key]:g} ms")
    return CheckResult(not fails, float(not fails), "; ".join(fails or says))


def _cost(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
    cost = getattr(ctx.response, "cost_usd", None)
    if cost is None:
        return CheckResult(None, 0.0, "cost unknown (no price for this model)")
    ok = cost <= spec["max_usd"]
    return CheckResult(ok, float(ok), f"${cost:.6f} {'<=' if ok else '>'} ${spec['max_usd']:g}")


def _metric(name: str, fn: Callable[[str, Any], float]) -> Callable[[Spec, str, CheckContext], CheckResult]:
    def check(spec: Spec, text: str, ctx: CheckContext) -> CheckResult:
        reference = spec.get("reference", ctx.expected)
        score = fn(text, reference)
        threshold = spec.get("threshold")
        if threshold is None:
            return CheckResult(None, score, f"{name} {score:.3f}")
        ok = score >= threshold
        return CheckResult(ok, score, f"{name} {score:.3f} {'>=' if ok else '<'} {threshold:g}")

    return check


# ------------------------------------------------------------------ registry and validation


@dataclass(frozen=True, slots=True)
class CheckType:
    fn: Callable[[Spec, str, CheckContext], CheckResult]
    fields: dict[str, FieldType] = field(default_factory=dict)  # allowed keys -> types
    required: tuple[str, ...] = ()
    expected: str | None = None  # "str" / "dict" / "text": which `expected` it falls back on, if any
    uses_response: bool = False


_NUM = (int, float)
_CASE = {"ignore_case": bool}
CHECKS: dict[str, CheckType] = {
    "equals": CheckType(_equals, {"value": (str, int, float, bool), "strip": bool, **_CASE}, expected="str"),
    "contains": CheckType(_contains, {"value": str, "values": list, "mode": str, **_CASE}, expected="str"),
    "not-contains": CheckType(_not_contains, {"value": str, "values": list, **_CASE}),
    "regex": CheckType(_regex, {"pattern": str, "match": str, "multiline": bool, "dotall": bool, **_CASE}, ("pattern",)),
    "is-json": CheckType(_is_json, {"kind": str}),
    "json-fields": CheckType(_json_fields, {"fields": dict, "threshold": _NUM}, expected="dict"),
    "min-length": CheckType(_min_length, {"value": int, "unit": str}, ("value",)),
    "max-length": CheckType(_max_length, {"value": int, "unit": str}, ("value",)),
    "refusal": CheckType(_refusal, uses_response=True),
    "not-refused": CheckType(_not_refused, uses_response=True),
    "latency": CheckType(_latency, {"max_ms": _NUM, "max_ttft_ms": _NUM}, uses_response=True),
    "cost": CheckType(_cost, {"max_usd": _NUM}, ("max_usd",), uses_response=True),
    "rouge-l": CheckType(_metric("ROUGE-L", text_metrics.rouge_l), {"reference": (str, list), "threshold": _NUM}, expected="text"),
    "bleu": CheckType(_metric("BLEU", text_metrics.bleu), {"reference": (str, list), "threshold": _NUM}, expected="text"),
}
SCORE_ONLY = frozenset({"rouge-l", "bleu"})  # give a score even without a verdict
COMMON_FIELDS: dict[str, FieldType] = {"type": str, "weight": _NUM, "name": str}
_CHOICES = {"mode": ("any", "all"), "unit": ("chars", "words"), "kind": ("object", "array", "any"), "match": ("search", "full")}
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true/false", list: "a list", dict: "an object"}


def _type_name(t: FieldType) -> str:
    if t == _NUM:
        return "a number"
    types = t if isinstance(t, tuple) else (t,)
    return " or ".join(_TYPE_NAMES.get(x, x.__name__) for x in types)


def validate_check(spec: Any, expected: Any = None) -> Spec:
    """Check one check spec and return its normalised form (a new dict).

    ``expected`` is the case's expected value, used by checks that fall back on it. Raises
    :class:`CheckSpecError` whose ``field`` names the bad key ("type", "values", ...).
    """
    if not isinstance(spec, dict):
        raise CheckSpecError("", f"a check must be an object like {{\"type\": \"contains\", \"value\": \"...\"}}, got {type(spec).__name__}")
    kind = spec.get("type")
    if not isinstance(kind, str):
        raise CheckSpecError("type", "missing check type")
    ct = CHECKS.get(kind) or CHECKS.get(kind.replace("_", "-").lower())
    if ct is None:
        raise CheckSpecError("type", f'unknown check "{kind}" (known: {", ".join(CHECKS)})')
    out = dict(spec, type=kind.replace("_", "-").lower())
    allowed = {**COMMON_FIELDS, **ct.fields}
    for key, value in spec.items():
        if key not in allowed:
            raise CheckSpecError(key, f"unknown field for check {out['type']!r} (allowed: {', '.join(k for k in allowed if k != 'type')})")
        want = allowed[key]
        if isinstance(value, bool) and want in (int, _NUM):
            raise CheckSpecError(key, f"must be {_type_name(want)}, got {value!r}")
        if not isinstance(value, want):
            raise CheckSpecError(key, f"must be {_type_name(want)}, got {type(value).__name__}")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise CheckSpecError(key, f"must be one of {', '.join(_CHOICES[key])}, got {value!r}")
    for key in ct.required:
        if key not in spec:
            raise CheckSpecError(key, f"check {out['type']!r} needs {key!r}")
    if out.get("weight", 1) < 0:
        raise CheckSpecError("weight", "must be >= 0")
    if out["type"] in ("contains", "not-contains"):
        values = out.pop("values", None)
        if "value" in out:
            values = [out.pop("value")] + list(values or [])
        if values is None and ct.expected == "str" and isinstance(expected, str):
            values = [expected]
        if not values or not all(isinstance(v, str) and v for v in values):
            raise CheckSpecError("values", "needs \"value\" (a string) or \"values\" (a list of non-empty strings)")
        out["values"] = values
    if out["type"] == "equals" and "value" not in out and not isinstance(expected, (str, int, float)):
        raise CheckSpecError("value", "check 'equals' needs \"value\" or a string \"expected\" on the case")
    if out["type"] == "json-fields":
        fields = out.get("fields", expected)
        if not isinstance(fields, dict) or not fields:
            raise CheckSpecError("fields", "check 'json-fields' needs \"fields\" or an object \"expected\" on the case")
    if out["type"] in ("rouge-l", "bleu"):
        ref = out.get("reference", expected)
        ok = isinstance(ref, str) and ref.strip() or isinstance(ref, list) and ref and all(isinstance(r, str) for r in ref)
        if not ok:
            raise CheckSpecError("reference", f"check {out['type']!r} needs \"reference\" or a text \"expected\" on the case")
    if out["type"] == "latency" and not ({"max_ms", "max_ttft_ms"} & out.keys()):
        raise CheckSpecError("max_ms", "check 'latency' needs \"max_ms\" and/or \"max_ttft_ms\"")
    if out["type"] == "regex":
        flags = (re.I if out.get("ignore_case") else 0) | (re.M if out.get("multiline") else 0) | (re.S if out.get("dotall") else 0)
        try:
            out["_compiled"] = re.compile(out["pattern"], flags)
        except re.error as exc:
            raise CheckSpecError("pattern", f"bad regular expression: {exc}") from None
    return out


def check_label(spec: Spec) -> str:
    return str(spec.get("name") or spec["type"])


def run_check(spec: Spec, text: str, ctx: CheckContext | None = None) -> CheckResult:
    """Apply one validated check to an answer. Never raises on odd answers."""
    ctx = ctx or CheckContext()
    return CHECKS[spec["type"]].fn(spec, text, ctx)


@dataclass(slots=True)
class CaseScore:
    passed: bool | None
    score: float | None
    results: list[tuple[Spec, CheckResult]]

    def reason(self) -> str:
        failing = [f"{check_label(s)}: {r.reason}" for s, r in self.results if r.passed is False]
        if failing:
            return "; ".join(failing)
        return "all checks pass" if self.passed else "no verdict"


def score_case(checks: list[Spec], text: str, ctx: CheckContext, pass_threshold: float | None = None) -> CaseScore:
    """Run every check on one answer and combine them (rule in the module docstring)."""
    results = [(spec, run_check(spec, text, ctx)) for spec in checks]
    # a check that could not decide (unknown cost, cached latency) is left out of the mean
    scored = [(spec, r) for spec, r in results if r.passed is not None or spec["type"] in SCORE_ONLY]
    total_w = sum(spec.get("weight", 1) for spec, _ in scored)
    score = sum(spec.get("weight", 1) * r.score for spec, r in scored) / total_w if total_w > 0 else None
    verdicts = [r.passed for spec, r in results if r.passed is not None and spec.get("weight", 1) > 0]
    if pass_threshold is not None and score is not None:
        passed: bool | None = score >= pass_threshold
    elif verdicts:
        passed = all(verdicts)
    else:
        passed = None
    return CaseScore(passed, score, results)
