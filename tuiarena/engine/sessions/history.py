"""Per-model history across saved sessions: pass rate, judge score, p95 latency and cost over time.

One :class:`HistoryPoint` per (session, model), oldest first. Built from the session files:
:func:`~tuiarena.store.sessions.list_sessions` (cheap, cached) says which sessions used which model,
so only those files are read; the per-session figures are cached in ``<cache>/history.json`` keyed
by file size and mtime, so a second call reads nothing that did not change. The cache is only a
cache: delete it and it is rebuilt.

Definitions follow the suite report (:mod:`tuiarena.engine.suite.aggregate`): pass rate over answers that
have a verdict (an error with a suite verdict counts as failing); judge score = mean 1..5 rubric
grade; latency percentiles over answers that did not fail; cost = sum of known costs (``None``
when no price is known), and cost per answer = that sum over the answers with a known cost.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tuiarena.engine.outcomes import Outcome, outcomes
from tuiarena.engine.suite.aggregate import percentile

CACHE_NAME = "history.json"
CACHE_VERSION = 1


@dataclass(slots=True)
class HistoryPoint:
    session_id: str
    name: str
    kind: str
    created: float
    path: str
    responses: int = 0
    errors: int = 0
    passed: int = 0
    failed: int = 0
    pass_rate: float | None = None
    mean_score: float | None = None  # check score 0..1
    judge_score: float | None = None  # 1..5
    ttft_p95_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    tokens_per_s: float | None = None  # median
    cost_usd: float | None = None
    cost_per_response: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ModelHistory:
    model: str
    points: list[HistoryPoint] = field(default_factory=list)

    def series(self, metric: str) -> list[float | None]:
        """One value per session (oldest first) of ``metric`` (a HistoryPoint field)."""
        return [getattr(p, metric) for p in self.points]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "sessions": len(self.points), "points": [p.to_dict() for p in self.points]}


METRICS = ("pass_rate", "judge_score", "latency_p95_ms", "cost_per_response")


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise_model(rows: Iterable[Outcome], base: dict[str, Any]) -> HistoryPoint:
    """Figures for one model in one session (``base``: the session's id, name, kind, created, path)."""
    p = HistoryPoint(**base)
    latencies, ttfts, rates, checks, judges, costs = [], [], [], [], [], []
    for o in rows:
        p.responses += 1
        failed = o.status in ("error", "cancelled")
        p.errors += failed
        p.passed += o.passed is True
        p.failed += o.passed is False
        if o.check_score is not None:
            checks.append(o.check_score)
        if o.judge_score is not None:
            judges.append(o.judge_score)
        if not failed:
            if o.total_ms is not None:
                latencies.append(o.total_ms)
            if o.ttft_ms is not None:
                ttfts.append(o.ttft_ms)
            if o.tokens_per_s is not None:
                rates.append(o.tokens_per_s)
        if o.cost_usd is not None:
            costs.append(o.cost_usd)
    verdicts = p.passed + p.failed
    p.pass_rate = p.passed / verdicts if verdicts else None
    p.mean_score = _mean(checks)
    p.judge_score = _mean(judges)
    p.latency_p50_ms = percentile(latencies, 50)
    p.latency_p95_ms = percentile(latencies, 95)
    p.ttft_p95_ms = percentile(ttfts, 95)
    p.tokens_per_s = percentile(rates, 50)
    p.cost_usd = sum(costs) if costs else None
    p.cost_per_response = _mean(costs)
    return p


def session_points(log: Any) -> dict[str, HistoryPoint]:
    """model -> figures for one read session log."""
    h = log.header
    base = {"session_id": h.session_id, "name": log.name, "kind": h.kind, "created": h.created, "path": str(log.path)}
    by_model: dict[str, list[Outcome]] = {}
    for o in outcomes(log.events):
        by_model.setdefault(o.model, []).append(o)
    return {m: summarise_model(rows, base) for m, rows in by_model.items()}


def _load_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("files"), dict):
        return {}
    files: dict[str, Any] = data["files"]
    return files


def _point(d: dict[str, Any]) -> HistoryPoint | None:
    try:
        return HistoryPoint(**d)
    except TypeError:
        return None


def model_history(models: list[str] | None = None, *, directory: Path | str | None = None,
                  use_cache: bool = True) -> list[ModelHistory]:
    """History of ``models`` (default: every model in any session), each oldest session first.

    Models are listed in the order asked for; by default by most recent use. Blind sessions count:
    their answers have latency and cost even without verdicts.
    """
    from tuiarena.errors import SessionFileError
    from tuiarena.store import paths
    from tuiarena.store.sessions import list_sessions, read_session

    sessions = list_sessions(directory)
    wanted = set(models) if models else None
    cache_path = paths.cache_dir() / CACHE_NAME
    cache = _load_cache(cache_path) if use_cache else {}
    fresh: dict[str, Any] = {}
    changed = False
    found: dict[str, list[HistoryPoint]] = {}
    for s in sessions:
        if wanted is not None and not wanted.intersection(s.models):
            continue
        try:
            st = os.stat(s.path)
        except OSError:
            continue
        key = str(s.path)
        entry = cache.get(key)
        points: dict[str, HistoryPoint] | None = None
        if isinstance(entry, dict) and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns:
            raw = entry.get("points")
            if isinstance(raw, dict):
                parsed = {m: _point(d) for m, d in raw.items() if isinstance(d, dict)}
                if all(v is not None for v in parsed.values()):
                    points = parsed  # type: ignore[assignment]
                    fresh[key] = entry
        if points is None:
            try:
                points = session_points(read_session(s.path))
            except SessionFileError:
                continue
            fresh[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          "points": {m: p.to_dict() for m, p in points.items()}}
            changed = True
        for model, point in points.items():
            point.name = s.name or point.name  # renames are appended: the summary has the latest
            if wanted is None or model in wanted:
                found.setdefault(model, []).append(point)
    if use_cache:
        # keep entries for sessions not looked at this time (another model's history) unless deleted
        listed = {str(s.path) for s in sessions}
        merged = {k: v for k, v in cache.items() if k not in fresh and k in listed}
        merged.update(fresh)
        if changed or set(merged) != set(cache):
            try:
                paths.write_private(cache_path, json.dumps({"version": CACHE_VERSION, "files": merged}, separators=(",", ":")))
            except OSError:
                pass
    order = list(models) if models else sorted(found, key=lambda m: -max(p.created for p in found[m]))
    out = []
    for model in order:
        pts = sorted(found.get(model, []), key=lambda p: (p.created, p.session_id))
        out.append(ModelHistory(model, pts))
    return out


__all__ = ["METRICS", "HistoryPoint", "ModelHistory", "model_history", "session_points", "summarise_model"]
