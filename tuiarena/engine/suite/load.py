"""Loading test suites: a JSONL file of cases, optionally wrapped by a TOML file.

JSONL, one case per line (blank lines and lines starting with ``#`` are skipped)::

    {"id": "extract_1", "system": "Extract ... Return JSON.", "input": "Hi, I'm John Smith...",
     "expected": {"name": "John Smith", "sentiment": "negative"}, "category": "extraction",
     "checks": [{"type": "json-fields"}], "max_tokens": 200}

Case fields: ``id``, ``input`` (str) or ``messages`` (list of {role, content}), ``system``,
``expected``, ``checks`` (list of check objects, see :mod:`tuiarena.scoring.checks`), ``category``,
``max_tokens``, ``temperature``, ``seed``, ``top_p``, ``weight`` (of the case in the model's mean
score), ``pass_threshold`` (0..1), ``max_latency_ms``, ``max_cost_usd`` (become ``latency`` /
``cost`` checks), ``default_checks`` (false: skip the suite's default checks), ``meta`` (free).
A case with no checks and an object ``expected`` gets a ``json-fields`` check.

TOML wrapper: ``name``, ``description``, ``models`` (used when no ``-m`` is given), ``cases``
(a JSONL path relative to the TOML file, or ``[[cases]]`` tables inline), ``[defaults]``
(temperature, max_tokens, seed, top_p, system, category, pass_threshold, max_latency_ms,
max_cost_usd and ``checks`` added to every case), ``[judge]`` (model, rubric or rubric_file,
pairwise, pass_total, max_tokens) and ``[requirements]`` (see :data:`REQUIREMENTS`).

Every problem is a :class:`~tuiarena.errors.SuiteError` naming the file, the line (or the inline
case) and the field; a malformed line is an error, never skipped. This module reads the file and
the TOML wrapper; each case is read by :mod:`tuiarena.engine.suite.cases`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuiarena import validate
from tuiarena.engine.suite.cases import (
    Case,
    load_cases,
    number,
    parse_case,
    parse_checks,
    unique,
)
from tuiarena.errors import SuiteError

# requirement -> (description, kind): "max" limits, "min" floors, "rate" fractions 0..1, "count"
REQUIREMENTS: dict[str, str] = {
    "max_p50_latency_ms": "max",
    "max_p95_latency_ms": "max",
    "max_p99_latency_ms": "max",
    "max_p95_ttft_ms": "max",
    "max_cost_per_request": "max",
    "max_cost_per_acceptable": "max",
    "max_monthly_cost": "max",
    "min_pass_rate": "rate",
    "min_mean_score": "rate",
    "min_judge_score": "min",
    "min_tokens_per_s": "min",
    "max_error_rate": "rate",
    "max_refusal_rate": "rate",
    "max_invalid_json_rate": "rate",
    "requests_per_month": "count",
}
DEFAULT_FIELDS = {
    "temperature", "max_tokens", "seed", "top_p", "system", "category", "pass_threshold",
    "max_latency_ms", "max_cost_usd", "checks",
}
JUDGE_FIELDS = {"model", "rubric", "rubric_file", "pairwise", "pass_total", "max_tokens"}
TOP_FIELDS = {"name", "description", "models", "cases", "defaults", "judge", "requirements"}


@dataclass(slots=True)
class JudgeSpec:
    model: str | None = None
    rubric: str | None = None
    pairwise: bool = False
    pass_total: float | None = None
    max_tokens: int = 400


@dataclass(slots=True)
class Suite:
    name: str
    path: Path
    cases: Sequence[Case]  # a list, or a CaseFile streaming a big JSONL file
    description: str = ""
    models: list[str] = field(default_factory=list)
    judge: JudgeSpec = field(default_factory=JudgeSpec)
    requirements: dict[str, float] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        return sorted({c.category for c in self.cases})


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name if path.is_relative_to(shipped_dir()) else str(path)


DEMO_JUDGES = ("demo/terse", "demo/steady", "demo/swift", "demo/thinker", "demo/verbose")


def demo_judge(suite: Suite, models: list[str]) -> str | None:
    """The judge of an offline run: when the suite wants one (a rubric, or ``min_judge_score``) but
    names none, and every candidate is a demo model, a demo model that is not a candidate (its grades
    are simulated, like the answers), so a newcomer's first suite run is not red for want of a judge."""
    wants = suite.judge.rubric is not None or "min_judge_score" in suite.requirements
    if suite.judge.model or not wants or not models or not all(m.startswith("demo/") for m in models):
        return None
    return next((j for j in DEMO_JUDGES if j not in models), None)


def shipped_dir() -> Path:
    from tuiarena.store.paths import data_path

    return data_path("sample_suites")


def shipped_suites() -> list[Path]:
    """The suites that ship with tuiarena (TOML files, and JSONL files no TOML wraps)."""
    d = shipped_dir()
    if not d.is_dir():
        return []
    tomls = sorted(d.glob("*.toml"))
    wrapped: set[str] = set()
    for t in tomls:
        try:
            cases = tomllib.loads(t.read_text(encoding="utf-8")).get("cases")
        except (OSError, tomllib.TOMLDecodeError, RecursionError):
            continue
        if isinstance(cases, str):
            wrapped.add((t.parent / cases).resolve().name)
    return tomls + [p for p in sorted(d.glob("*.jsonl")) if p.name not in wrapped]


def resolve_suite_path(name: str | Path) -> Path:
    """A suite file path, or the name of a shipped suite (``support`` -> ``sample_suites/support.toml``)."""
    p = Path(name).expanduser()
    if p.is_file():
        return p
    if p.exists():
        raise SuiteError(f"{name}: not a file (give a .toml or .jsonl suite file)")
    d = shipped_dir()
    for cand in (d / str(name), d / f"{name}.toml", d / f"{name}.jsonl"):
        if cand.is_file():
            return cand
    known = ", ".join(s.stem for s in shipped_suites()) or "none"
    raise SuiteError(f"{name}: no such suite file, and no shipped suite of that name (shipped: {known})")


def load_suite(name: str | Path) -> Suite:
    path = resolve_suite_path(name)
    if path.suffix.lower() == ".toml":
        return _load_toml(path)
    cases = load_cases(path, defaults={}, where=_display(path))
    return Suite(name=path.stem, path=path, cases=cases)


# ------------------------------------------------------------------ TOML wrapper


def _load_toml(path: Path) -> Suite:
    where = _display(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if validate.too_deep(data):
            raise RecursionError
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{where}: invalid TOML: {exc}") from None
    except RecursionError:
        raise SuiteError(f"{where}: invalid TOML: a value is nested too deeply to read") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{where}: cannot read: {exc}") from None
    for key in data:
        if key not in TOP_FIELDS:
            raise SuiteError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(TOP_FIELDS))})")
    defaults = _section(data, "defaults", where)
    for key in defaults:
        if key not in DEFAULT_FIELDS:
            raise SuiteError(f"{where}: [defaults]: unknown key {key!r} (known: {', '.join(sorted(DEFAULT_FIELDS))})")
    if "checks" in defaults:
        defaults = dict(defaults, checks=parse_checks(defaults["checks"], None, f"{where}: [defaults]", "checks"))
    judge = _judge(_section(data, "judge", where), path, where)
    requirements = _requirements(_section(data, "requirements", where), where)
    models = data.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) and "/" in m for m in models):
        raise SuiteError(f'{where}: field "models": must be a list of "endpoint/model" strings')
    raw_cases = data.get("cases")
    cases: Sequence[Case]
    if isinstance(raw_cases, str):
        cases_path = (path.parent / raw_cases).resolve()
        if not cases_path.is_file():
            raise SuiteError(f'{where}: field "cases": file {raw_cases!r} not found (relative to {where})')
        cases = load_cases(cases_path, defaults, where=_display(cases_path))
    elif isinstance(raw_cases, list):
        listed: list[Case] = []
        seen: dict[str, str] = {}
        for i, raw in enumerate(raw_cases, 1):
            loc = f"{where}: [[cases]] #{i}"
            case = parse_case(raw, defaults, loc, default_id=f"case-{i}")
            unique(case, seen, loc)
            listed.append(case)
        cases = listed
    else:
        raise SuiteError(f'{where}: field "cases": give a JSONL file name (cases = "cases.jsonl") or [[cases]] tables')
    if not cases:
        raise SuiteError(f"{where}: the suite has no cases")
    name = data.get("name", path.stem)
    desc = data.get("description", "")
    if not isinstance(name, str) or not isinstance(desc, str):
        raise SuiteError(f'{where}: fields "name" and "description" must be strings')
    return Suite(name=name, path=path, cases=cases, description=desc, models=models, judge=judge, requirements=requirements)


def _section(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise SuiteError(f"{where}: {key!r} must be a table ([{key}])")
    return value


def _judge(raw: dict[str, Any], path: Path, where: str) -> JudgeSpec:
    for key in raw:
        if key not in JUDGE_FIELDS:
            raise SuiteError(f"{where}: [judge]: unknown key {key!r} (known: {', '.join(sorted(JUDGE_FIELDS))})")
    spec = JudgeSpec()
    if "model" in raw:
        if not isinstance(raw["model"], str) or "/" not in raw["model"]:
            raise SuiteError(f'{where}: [judge]: field "model": must be "endpoint/model"')
        spec.model = raw["model"]
    if "rubric" in raw and "rubric_file" in raw:
        raise SuiteError(f"{where}: [judge]: give rubric or rubric_file, not both")
    if "rubric" in raw:
        if not isinstance(raw["rubric"], str) or not raw["rubric"].strip():
            raise SuiteError(f'{where}: [judge]: field "rubric": must be non-empty text')
        spec.rubric = raw["rubric"]
    if "rubric_file" in raw:
        rp = path.parent / str(raw["rubric_file"])
        try:
            spec.rubric = rp.read_text(encoding="utf-8")
        except OSError as exc:
            raise SuiteError(f'{where}: [judge]: field "rubric_file": cannot read {rp}: {exc.strerror}') from None
    if "pairwise" in raw:
        if not isinstance(raw["pairwise"], bool):
            raise SuiteError(f'{where}: [judge]: field "pairwise": must be true or false')
        spec.pairwise = raw["pairwise"]
    if "pass_total" in raw:
        spec.pass_total = number(raw["pass_total"], f'{where}: [judge]: field "pass_total"', 3, 15)
    if "max_tokens" in raw:
        spec.max_tokens = int(number(raw["max_tokens"], f'{where}: [judge]: field "max_tokens"', 1, None, integer=True))
    return spec


def _requirements(raw: dict[str, Any], where: str) -> dict[str, float]:
    out = {}
    for key, value in raw.items():
        kind = REQUIREMENTS.get(key)
        loc = f"{where}: [requirements]: {key}"
        if kind is None:
            hint = " (did you mean max_p95_latency_ms?)" if "latency" in key else ""
            raise SuiteError(f"{where}: [requirements]: unknown requirement {key!r}{hint} (known: {', '.join(REQUIREMENTS)})")
        if kind == "rate":
            out[key] = number(value, loc, 0, 1, hint="a fraction: 0.9 means 90%")
        elif kind == "count":
            out[key] = number(value, loc, 0, None, integer=True)
        else:
            out[key] = number(value, loc, 0, None)
    return out
