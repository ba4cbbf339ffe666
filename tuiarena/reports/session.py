"""A saved session gathered for reporting: :func:`collect`, the labels every format shares, and redaction.

:func:`collect` groups a session log into runs with their responses (the latest answer per response
id, in roster order), scores, votes and notes; the formats (:mod:`tuiarena.reports.session_formats`
for Markdown, CSV and JSON, :mod:`tuiarena.reports.html` for HTML) render that view. As a last line
of defence every export passes through :func:`redact_secrets`, which blanks the value of any key-like
environment variable, so no export can carry an API key even if a server echoed one into an error
message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tuiarena import fmt
from tuiarena.model import (
    NoteTaken,
    ResponseDone,
    RunStarted,
    ScoreGiven,
    SessionRenamed,
    VoteCast,
)

FORMATS = ("md", "csv", "json", "html")


@dataclass(slots=True)
class RunView:
    index: int  # 1-based
    run: RunStarted
    responses: list[ResponseDone] = field(default_factory=list)


@dataclass(slots=True)
class SessionView:
    header: Any  # SessionHeader
    name: str
    runs: list[RunView]
    scores: dict[str, list[ScoreGiven]]  # response id -> scores, in log order
    votes: list[VoteCast]
    notes: list[NoteTaken]
    skipped: list[tuple[int, str]]

    @property
    def models(self) -> list[str]:
        seen: dict[str, None] = {}
        for rv in self.runs:
            for m in rv.run.models:
                seen.setdefault(m, None)
            for r in rv.responses:
                seen.setdefault(r.model, None)
        return list(seen)

    @property
    def responses(self) -> list[ResponseDone]:
        return [r for rv in self.runs for r in rv.responses]

    @property
    def total_cost(self) -> float | None:
        known = [r.cost_usd for r in self.responses if r.cost_usd is not None]
        return sum(known) if known else None


def collect(log: Any) -> SessionView:
    """Group a :class:`~tuiarena.store.sessions.SessionLog` for reporting."""
    runs: dict[str, RunView] = {}
    latest: dict[str, ResponseDone] = {}
    orphans: list[ResponseDone] = []
    scores: dict[str, list[ScoreGiven]] = {}
    votes: list[VoteCast] = []
    notes: list[NoteTaken] = []
    name = log.header.name
    judge_runs: set[str] = set()  # the LLM judge's calls: shown in the scores they gave, never as runs
    for ev in log.events:
        if isinstance(ev, RunStarted):
            if (ev.label or "").startswith("judge:"):
                judge_runs.add(ev.run_id)
            elif ev.run_id not in runs:
                runs[ev.run_id] = RunView(len(runs) + 1, ev)
        elif isinstance(ev, ResponseDone):
            if ev.run_id in judge_runs:
                continue
            latest[ev.response_id] = ev
            if ev.run_id not in runs:
                orphans.append(ev)
        elif isinstance(ev, ScoreGiven):
            scores.setdefault(ev.response_id, []).append(ev)
        elif isinstance(ev, VoteCast):
            votes.append(ev)
        elif isinstance(ev, NoteTaken):
            notes.append(ev)
        elif isinstance(ev, SessionRenamed):
            name = ev.name
    by_run: dict[str, list[ResponseDone]] = {}
    for r in latest.values():
        by_run.setdefault(r.run_id, []).append(r)
    for rv in runs.values():
        got = by_run.get(rv.run.run_id, [])
        order = {m: i for i, m in enumerate(rv.run.models)}
        rv.responses = sorted(got, key=lambda r: order.get(r.model, len(order)))
    views = list(runs.values())
    if orphans:  # responses whose run line was lost (a torn file): keep them visible
        lost = RunStarted(run_id="(unknown run)", models=[r.model for r in orphans], label="responses without a run line")
        views.append(RunView(len(views) + 1, lost, [latest[r.response_id] for r in orphans if latest.get(r.response_id) is r]))
    return SessionView(log.header, name, views, scores, votes, notes, list(log.skipped))


# ----------------------------------------------------------------------------- helpers


def redact_secrets(text: str, environ: dict[str, str] | None = None) -> str:
    """Blank every known key and URL credential (``tuiarena.secrets.redact``): the values of every
    configured ``api_key_env`` and every variable discovery looks for, whatever their names."""
    from tuiarena.secrets import redact

    _learn_secrets()
    return redact(text, environ)


def redact_log(log: Any) -> None:
    """Blank known keys in a session read from disk before it is shown (replay): sessions saved
    before redaction existed, or with a key configured since, may hold one."""
    from tuiarena.secrets import redact, secret_values

    _learn_secrets()
    values = secret_values()
    for ev in log.events:
        if isinstance(ev, ResponseDone):
            ev.text = redact(ev.text, values=values)
            ev.reasoning = redact(ev.reasoning, values=values)
            if ev.error:
                ev.error = redact(ev.error, values=values)


_LEARNED: set[tuple[str, float]] = set()


def _learn_secrets() -> None:
    """Read config.toml once per version of it (its endpoints register their key variables and URL
    credentials) and discovery's variable names, so an export knows them without a workspace."""
    import tuiarena.providers.discovery  # noqa: F401 - registers the well-known key variables
    from tuiarena.errors import UserError
    from tuiarena.store import paths
    from tuiarena.store.config import load_config

    path = paths.config_file()
    try:
        stamp = (str(path), path.stat().st_mtime)
    except OSError:
        return
    if stamp in _LEARNED:
        return
    _LEARNED.add(stamp)
    try:
        load_config(path)
    except (UserError, OSError, ValueError, RecursionError):
        pass  # a broken config names no more keys; the well-known ones still count


def prompt_of(run: RunStarted) -> tuple[str, str]:
    """(system, user) text of a run's shared messages; earlier turns are folded into the user text."""
    system = "\n\n".join(str(m.get("content") or "") for m in run.messages if m.get("role") == "system")
    turns = [m for m in run.messages if m.get("role") != "system"]
    if len(turns) <= 1:
        user = _content(turns[0]) if turns else ""
    else:
        user = "\n\n".join(f"[{m.get('role', '?')}] {_content(m)}" for m in turns)
    return system, user


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def finish_label(r: ResponseDone) -> str:
    if r.status == "error":
        return f"error: {r.error_kind}" if r.error_kind else "error"
    label = r.finish_reason or r.status
    if r.status in ("cut", "cancelled"):
        label = r.status
    return f"{label} (cached)" if r.cached else label


def stats_row(r: ResponseDone) -> list[str]:
    """Model, TTFT (ms), Total (s), Tok/s, Tokens, Cost, Finish — the tutorials' comparison table."""
    return [r.model, fmt.ms(r.ttft_ms), fmt.seconds(r.total_ms), fmt.rate(r.tokens_per_s),
            fmt.tokens(r.completion_tokens, r.tokens_estimated), fmt.cost(r.cost_usd), finish_label(r)]


STATS_HEADERS = ["Model", "TTFT (ms)", "Total (s)", "Tok/s", "Tokens", "Cost", "Finish"]


def timing_notes(r: ResponseDone) -> list[str]:
    """The finer figures, where known: connection set-up, ITL, tokens per chunk, the token count's
    source, and the server's own prefill / decode / charge (beside the client's)."""
    out = []
    if r.connect_ms is not None:
        out.append(f"connect {fmt.ms(r.connect_ms)} ms")
    if r.itl_p50_ms is not None:
        out.append(f"ITL p50 {fmt.ms(r.itl_p50_ms)} / p95 {fmt.ms(r.itl_p95_ms)} ms")
    if r.tokens_per_chunk is not None:
        out.append(f"{r.tokens_per_chunk:g} tok/chunk")
    if r.tokens_source:
        out.append(f"tokens: {r.tokens_source}")
    if r.server_prompt_ms is not None:
        out.append(f"server prefill {fmt.ms(r.server_prompt_ms)} ms")
    if r.server_decode_ms is not None:
        out.append(f"server decode {fmt.ms(r.server_decode_ms)} ms")
    if r.server_tokens_per_s is not None:
        out.append(f"server {fmt.rate(r.server_tokens_per_s)} tok/s")
    if r.server_cost_usd is not None:
        out.append(f"server cost {fmt.cost(r.server_cost_usd)}")
    if not r.streamed:
        out.append("not streamed")
    if r.timed_by == "read":
        out.append("timed as read")
    return out


def score_label(s: ScoreGiven) -> str:
    verdict = {True: "pass", False: "fail", None: ""}[s.passed]
    value = "" if s.score is None else f"{s.score:.3g}"
    return " ".join(x for x in (verdict, value) if x) or "—"


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "?"


def vote_label(v: VoteCast) -> str:
    outcome = {"a": f"{v.model_a} wins", "b": f"{v.model_b} wins", "tie": "tie", "both_bad": "both bad"}.get(v.outcome, v.outcome)
    return outcome + (" (invalid)" if v.invalid else "")


__all__ = [
    "FORMATS",
    "STATS_HEADERS",
    "RunView",
    "SessionView",
    "collect",
    "finish_label",
    "prompt_of",
    "redact_log",
    "redact_secrets",
    "score_label",
    "stats_row",
    "timing_notes",
    "vote_label",
    "when",
]
