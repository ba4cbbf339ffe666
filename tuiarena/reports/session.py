"""Export a saved session: Markdown, CSV, JSON, or one self-contained HTML file (``export_html``).

Everything starts from :func:`collect`, which groups a session log into runs with their responses
(the latest answer per response id, in roster order), scores, votes and notes. Model output is
untrusted text: Markdown puts answers in fences longer than any backtick run inside them and escapes
table cells; CSV guards cells that a spreadsheet would run as a formula; HTML escapes everything.
As a last line of defence every export passes through :func:`redact_secrets`, which blanks the value
of any key-like environment variable, so no export can carry an API key even if a server echoed one
into an error message.
"""

from __future__ import annotations

import csv
import io
import json
import re
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
JSON_EXPORT_VERSION = 1


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


# ----------------------------------------------------------------------------- markdown


def _fence(text: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    bar = "`" * max(3, longest + 1)
    return f"{bar}{info}\n{text}\n{bar}"


def _code_span(text: str) -> str:
    text = text.replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    bar = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{bar}{pad}{text}{pad}{bar}"


def _md_html(text: str) -> str:
    """Untrusted text for markdown: control characters shown, no raw HTML (``fmt.table`` adds cell escaping)."""
    return fmt.visible(str(text)).replace("&", "&amp;").replace("<", "&lt;")


def _md_text(text: str) -> str:
    """Untrusted text on one markdown line outside a table."""
    return fmt.md_cell(_md_html(text))


def to_markdown(view: SessionView, answers: bool = True) -> str:
    h = view.header
    out = [f"# {_md_text(view.name or 'Session ' + h.session_id)}", ""]
    cost = view.total_cost
    out.append(f"Session {_code_span(h.session_id)} · {h.kind} · {when(h.created)} · {len(view.runs)} runs · "
               f"models: {', '.join(_code_span(m) for m in view.models) or '—'} · total cost {fmt.cost(cost)}")
    if h.parent_session:
        out.append(f"\nRe-run of session {_code_span(h.parent_session)}.")
    if view.skipped:
        out.append(f"\n> {len(view.skipped)} unreadable line(s) skipped: " +
                   ", ".join(f"line {n} ({why})" for n, why in view.skipped[:5]))
    for rv in view.runs:
        out += ["", f"## Run {rv.index}" + (f" · case {_code_span(rv.run.case_id)}" if rv.run.case_id else "")
                + (f" · repeat {rv.run.repeat}" if rv.run.repeat else ""), ""]
        system, user = prompt_of(rv.run)
        if system:
            out += ["**System**", "", _fence(fmt.visible(system)), ""]
        out += ["**Prompt**", "", _fence(fmt.visible(user)), ""]
        if rv.run.params:
            out += ["Parameters: " + ", ".join(f"{k}={_code_span(str(v))}" for k, v in rv.run.params.items()), ""]
        out.append(fmt.table(STATS_HEADERS, [[_md_html(c) for c in stats_row(r)] for r in rv.responses],
                             markdown=True, right={1, 2, 3, 4, 5}))
        if any(r.tokens_estimated for r in rv.responses):
            out.append("\n~ token counts estimated (the server sent no usage)")
        timing = [(r.model, timing_notes(r)) for r in rv.responses]
        if any(notes for _m, notes in timing):
            out += [""] + [f"- {_code_span(m)}: {_md_text(' · '.join(notes))}" for m, notes in timing if notes]
        rows = [[r.model, s.scorer, score_label(s), _md_html(s.reason)] for r in rv.responses for s in view.scores.get(r.response_id, [])]
        if rows:
            out += ["", fmt.table(["Model", "Scorer", "Result", "Reason"], rows, markdown=True)]
        votes = [v for v in view.votes if v.run_id == rv.run.run_id]
        if votes:
            out += [""] + [f"Vote: {_code_span(v.model_a)} (A) vs {_code_span(v.model_b)} (B): {_md_text(vote_label(v))}" for v in votes]
        if answers:
            for r in rv.responses:
                out += ["", f"### {_code_span(r.model)}", ""]
                if r.error:
                    out += [f"Error ({r.error_kind or 'unknown'}):", "", _fence(fmt.visible(r.error)), ""]
                if r.reasoning:
                    out += ["Reasoning:", "", _fence(fmt.visible(r.reasoning)), ""]
                if r.text or not r.error:
                    out.append(_fence(fmt.visible(r.text), "text"))
    if view.notes:
        out += ["", "## Notes", ""] + [f"- {_md_text(n.text)}" for n in view.notes]
    return "\n".join(out).rstrip() + "\n"


# ----------------------------------------------------------------------------- csv

CSV_COLUMNS = ["session_id", "run_index", "run_id", "case_id", "repeat", "label", "model", "response_id", "status",
               "finish_reason", "cached", "ttft_ms", "ttft_answer_ms", "total_ms", "tokens_per_s", "prompt_tokens",
               "completion_tokens", "reasoning_tokens", "tokens_estimated", "cost_usd", "retries", "error_kind", "error",
               "passed", "scores", "system", "prompt", "text", "reasoning", "connect_ms", "timed_by", "streamed",
               "tokens_source", "itl_p50_ms", "itl_p95_ms", "tokens_per_chunk", "server_prompt_ms", "server_decode_ms",
               "server_tokens_per_s", "server_cost_usd"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell_guard(value: str) -> str:
    """A spreadsheet would run ``=HYPERLINK(...)`` typed by a model; prefix such cells with a quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _passed(scores: list[ScoreGiven]) -> bool | None:
    verdicts = [s.passed for s in scores if s.passed is not None and not s.scorer.startswith("judge:")]
    return all(verdicts) if verdicts else None


def to_csv(view: SessionView) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rv in view.runs:
        system, user = prompt_of(rv.run)
        for r in rv.responses:
            writer.writerow(csv_row(view.header.session_id, rv, system, user, r, view.scores.get(r.response_id, [])))
    return buf.getvalue()


def csv_row(session_id: str, rv: RunView, system: str, user: str, r: ResponseDone, scores: list[ScoreGiven]) -> dict[str, Any]:
    """One response as a csv row (a dict over :data:`CSV_COLUMNS`); also used by the streaming export."""
    row = {
        "session_id": session_id, "run_index": rv.index, "run_id": rv.run.run_id,
        "case_id": rv.run.case_id or "", "repeat": rv.run.repeat, "label": rv.run.label, "model": r.model,
        "response_id": r.response_id, "status": r.status, "finish_reason": r.finish_reason or "",
        "cached": r.cached, "ttft_ms": r.ttft_ms, "ttft_answer_ms": r.ttft_answer_ms, "total_ms": r.total_ms,
        "tokens_per_s": r.tokens_per_s, "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
        "reasoning_tokens": r.reasoning_tokens, "tokens_estimated": r.tokens_estimated, "cost_usd": r.cost_usd,
        "retries": len(r.retries or []), "error_kind": r.error_kind or "", "error": r.error or "",
        "passed": _passed(scores),
        "scores": json.dumps({s.scorer: s.score if s.score is not None else s.passed for s in scores}, ensure_ascii=False) if scores else "",
        "system": system, "prompt": user, "text": r.text, "reasoning": r.reasoning,
        "connect_ms": r.connect_ms, "timed_by": r.timed_by or "", "streamed": r.streamed,
        "tokens_source": r.tokens_source or "", "itl_p50_ms": r.itl_p50_ms, "itl_p95_ms": r.itl_p95_ms,
        "tokens_per_chunk": r.tokens_per_chunk, "server_prompt_ms": r.server_prompt_ms,
        "server_decode_ms": r.server_decode_ms, "server_tokens_per_s": r.server_tokens_per_s,
        "server_cost_usd": r.server_cost_usd,
    }
    for key in ("label", "error", "system", "prompt", "text", "reasoning", "case_id"):
        row[key] = _cell_guard(str(row[key]))
    return {k: "" if v is None else v for k, v in row.items()}


# ----------------------------------------------------------------------------- json

_DROP = {"timeline", "reasoning_timeline"}


def to_json_obj(view: SessionView, timelines: bool = False) -> dict[str, Any]:
    header = view.header.to_record()
    header["name"] = view.name
    runs = []
    for rv in view.runs:
        run = rv.run.to_record()
        run.pop("type", None)
        run["index"] = rv.index
        run["responses"] = []
        for r in rv.responses:
            rec = {k: v for k, v in r.to_record().items() if k != "type" and (timelines or k not in _DROP)}
            rec["scores"] = [{k: v for k, v in s.to_record().items() if k not in ("type", "response_id", "run_id")}
                             for s in view.scores.get(r.response_id, [])]
            run["responses"].append(rec)
        run["votes"] = [{k: v for k, v in vt.to_record().items() if k != "type"} for vt in view.votes if vt.run_id == rv.run.run_id]
        runs.append(run)
    run_ids = {rv.run.run_id for rv in view.runs}
    return {
        "tuiarena_export": JSON_EXPORT_VERSION,
        "session": header,
        "summary": {"runs": len(view.runs), "responses": len(view.responses), "models": view.models,
                    "total_cost_usd": view.total_cost, "votes": len(view.votes)},
        "runs": runs,
        "other_votes": [{k: v for k, v in vt.to_record().items() if k != "type"} for vt in view.votes if vt.run_id not in run_ids],
        "notes": [{k: v for k, v in n.to_record().items() if k != "type"} for n in view.notes],
        "skipped_lines": [{"line": n, "reason": why} for n, why in view.skipped],
    }


def to_json(view: SessionView, timelines: bool = False) -> str:
    return json.dumps(to_json_obj(view, timelines), ensure_ascii=False, indent=2) + "\n"


__all__ = ["FORMATS", "SessionView", "collect", "redact_secrets", "to_csv", "to_json", "to_markdown"]
