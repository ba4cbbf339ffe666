"""Compare two sessions prompt by prompt: old and new answers with the change in latency, tokens,
cost and scores. Used by the sessions screen's diff view and by ``tuiarena suite --baseline``.

Runs are matched by suite case (``case_id`` and ``repeat``) when they have one, otherwise by their
prompt (the shared messages, system included); the n-th run of a prompt in the old session meets
the n-th run of the same prompt in the new one. Within a matched pair, responses are matched by
model; when the sessions used different models (a re-run against others), the models present on
one side only are paired in roster order, so "gpt-4o vs its replacement" still lines up. Anything
left over appears with one side missing.

Pure functions of two :class:`~tuiarena.store.sessions.SessionLog` objects (or any object with
``events``); nothing here does I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tuiarena.model import ResponseDone, RunStarted, ScoreGiven

_N = TypeVar("_N", int, float)

CASE_SCORERS = ("checks", "case")  # the suite runner's overall verdict for a response, when present


@dataclass(slots=True)
class Side:
    """One response as the diff sees it."""

    run_id: str
    response_id: str
    model: str
    status: str
    text: str
    ttft_ms: float | None
    total_ms: float | None
    completion_tokens: int | None
    cost_usd: float | None
    cached: bool = False
    scores: dict[str, ScoreGiven] = field(default_factory=dict)  # scorer -> latest score

    @property
    def passed(self) -> bool | None:
        """The overall verdict: the suite's "checks" score if present, else every non-judge verdict."""
        for name in CASE_SCORERS:
            if name in self.scores:
                return self.scores[name].passed
        verdicts = [s.passed for name, s in self.scores.items() if s.passed is not None and not name.startswith("judge:")]
        if self.status != "done" and self.scores:
            return False
        return all(verdicts) if verdicts else None


@dataclass(slots=True)
class ScoreChange:
    scorer: str
    old_score: float | None
    new_score: float | None
    old_passed: bool | None
    new_passed: bool | None

    @property
    def delta(self) -> float | None:
        return _delta(self.old_score, self.new_score)

    @property
    def regressed(self) -> bool:
        return self.old_passed is True and self.new_passed is False

    @property
    def improved(self) -> bool:
        return self.old_passed is False and self.new_passed is True


@dataclass(slots=True)
class ModelDiff:
    old_model: str | None
    new_model: str | None
    old: Side | None
    new: Side | None
    scores: list[ScoreChange] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.old_model == self.new_model or self.new_model is None:
            return self.old_model or ""
        if self.old_model is None:
            return self.new_model
        return f"{self.old_model} → {self.new_model}"

    @property
    def d_total_ms(self) -> float | None:
        return _delta(self.old.total_ms if self.old else None, self.new.total_ms if self.new else None)

    @property
    def d_ttft_ms(self) -> float | None:
        return _delta(self.old.ttft_ms if self.old else None, self.new.ttft_ms if self.new else None)

    @property
    def d_tokens(self) -> int | None:
        return _delta(self.old.completion_tokens if self.old else None, self.new.completion_tokens if self.new else None)

    @property
    def d_cost_usd(self) -> float | None:
        return _delta(self.old.cost_usd if self.old else None, self.new.cost_usd if self.new else None)

    @property
    def text_changed(self) -> bool:
        return (self.old.text if self.old else None) != (self.new.text if self.new else None)

    @property
    def regressed(self) -> bool:
        """Passed before and fails now (or the new response failed where the old one was fine)."""
        if self.old is None or self.new is None:
            return False
        if self.old.passed is True and self.new.passed is False:
            return True
        return self.old.status == "done" and self.new.status != "done"

    @property
    def improved(self) -> bool:
        if self.old is None or self.new is None:
            return False
        if self.old.passed is False and self.new.passed is True:
            return True
        return self.old.status != "done" and self.new.status == "done"


@dataclass(slots=True)
class PromptDiff:
    key: str  # "case:<id>#<repeat>" or "prompt:<n>"
    prompt: str  # the last user message (what a person recognises the run by)
    case_id: str | None
    old_run: RunStarted | None
    new_run: RunStarted | None
    models: list[ModelDiff] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.old_run is None:
            return "added"
        if self.new_run is None:
            return "removed"
        return "matched"

    @property
    def regressed(self) -> bool:
        return any(m.regressed for m in self.models)


def _delta(old: _N | None, new: _N | None) -> _N | None:
    if old is None or new is None:
        return None
    return new - old


def prompt_text(run: RunStarted) -> str:
    """The run's last user message as plain text."""
    for message in reversed(run.messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _run_key(run: RunStarted) -> str:
    if run.case_id is not None:
        return f"case:{run.case_id}#{run.repeat}"
    return "prompt:" + json.dumps(run.messages, sort_keys=True, ensure_ascii=False)


@dataclass(slots=True)
class _Indexed:
    runs: list[RunStarted]
    sides: dict[str, dict[str, Side]]  # run id -> model -> side


def _index(log: Any) -> _Indexed:
    runs: dict[str, RunStarted] = {}
    sides: dict[str, dict[str, Side]] = {}
    by_rid: dict[str, Side] = {}
    judge_runs: set[str] = set()  # the LLM judge's own calls are judge records, never compared answers
    for ev in log.events:
        if isinstance(ev, RunStarted):
            if (ev.label or "").startswith("judge:"):
                judge_runs.add(ev.run_id)
                continue
            runs.setdefault(ev.run_id, ev)
            sides.setdefault(ev.run_id, {})
        elif isinstance(ev, ResponseDone):
            if ev.run_id in judge_runs:
                continue
            old = by_rid.get(ev.response_id)
            side = Side(ev.run_id, ev.response_id, ev.model, ev.status, ev.text, ev.ttft_ms, ev.total_ms,
                        ev.completion_tokens, ev.cost_usd, ev.cached, dict(old.scores) if old else {})
            by_rid[ev.response_id] = side  # a re-run column: the latest answer counts
            sides.setdefault(ev.run_id, {})[ev.model] = side
        elif isinstance(ev, ScoreGiven):
            scored = by_rid.get(ev.response_id)
            if scored is not None and ev.scorer:
                scored.scores[ev.scorer] = ev
    return _Indexed(list(runs.values()), sides)


def _pair_models(old: dict[str, Side], new: dict[str, Side], old_order: list[str], new_order: list[str]) -> list[ModelDiff]:
    old_models = [m for m in old_order if m in old] + [m for m in old if m not in old_order]
    new_models = [m for m in new_order if m in new] + [m for m in new if m not in new_order]
    out = [ModelDiff(m, m, old[m], new[m]) for m in old_models if m in new]
    only_old = [m for m in old_models if m not in new]
    only_new = [m for m in new_models if m not in old]
    for i in range(max(len(only_old), len(only_new))):
        a = only_old[i] if i < len(only_old) else None
        b = only_new[i] if i < len(only_new) else None
        out.append(ModelDiff(a, b, old.get(a) if a else None, new.get(b) if b else None))
    for md in out:
        md.scores = _score_changes(md.old, md.new)
    return out


def _score_changes(old: Side | None, new: Side | None) -> list[ScoreChange]:
    names = list(old.scores if old else {}) + [n for n in (new.scores if new else {}) if not old or n not in old.scores]
    out = []
    for name in names:
        a = old.scores.get(name) if old else None
        b = new.scores.get(name) if new else None
        out.append(ScoreChange(name, a.score if a else None, b.score if b else None,
                               a.passed if a else None, b.passed if b else None))
    return out


def diff_sessions(old_log: Any, new_log: Any) -> list[PromptDiff]:
    """Per prompt (old session's order, then prompts only in the new one), per model: old vs new."""
    old, new = _index(old_log), _index(new_log)
    new_by_key: dict[str, list[RunStarted]] = {}
    for run in new.runs:
        new_by_key.setdefault(_run_key(run), []).append(run)
    used: set[str] = set()
    out: list[PromptDiff] = []
    n = 0
    for run in old.runs:
        candidates = new_by_key.get(_run_key(run), [])
        match = candidates.pop(0) if candidates else None
        if match is not None:
            used.add(match.run_id)
        n += 1
        out.append(_prompt_diff(run, match, old, new, n))
    for run in new.runs:
        if run.run_id not in used:
            n += 1
            out.append(_prompt_diff(None, run, old, new, n))
    return out


def _prompt_diff(a: RunStarted | None, b: RunStarted | None, old: _Indexed, new: _Indexed, n: int) -> PromptDiff:
    ref = a or b
    assert ref is not None
    key = f"case:{ref.case_id}#{ref.repeat}" if ref.case_id is not None else f"prompt:{n}"
    pd = PromptDiff(key, prompt_text(ref), ref.case_id, a, b)
    pd.models = _pair_models(old.sides.get(a.run_id, {}) if a else {}, new.sides.get(b.run_id, {}) if b else {},
                             list(a.models) if a else [], list(b.models) if b else [])
    return pd


def summarise(diffs: list[PromptDiff]) -> dict[str, Any]:
    """Counts for a headline: matched / added / removed prompts, regressions and improvements."""
    return {
        "prompts": len(diffs),
        "matched": sum(d.status == "matched" for d in diffs),
        "added": sum(d.status == "added" for d in diffs),
        "removed": sum(d.status == "removed" for d in diffs),
        "regressions": sum(m.regressed for d in diffs for m in d.models),
        "improvements": sum(m.improved for d in diffs for m in d.models),
        "changed_answers": sum(m.text_changed for d in diffs for m in d.models if m.old and m.new),
    }


__all__ = ["ModelDiff", "PromptDiff", "ScoreChange", "Side", "diff_sessions", "prompt_text", "summarise"]
