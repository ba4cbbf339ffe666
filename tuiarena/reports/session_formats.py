"""A session as Markdown, CSV or JSON (HTML is :mod:`tuiarena.reports.html`).

Model output is untrusted text: Markdown puts answers in fences longer than any backtick run inside
them and escapes table cells; CSV guards cells that a spreadsheet would run as a formula. Secrets are
redacted by the caller (:func:`tuiarena.reports.export.export_session`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from tuiarena import fmt
from tuiarena.model import ResponseDone, ScoreGiven
from tuiarena.reports.session import (
    STATS_HEADERS,
    RunView,
    SessionView,
    prompt_of,
    score_label,
    stats_row,
    timing_notes,
    vote_label,
    when,
)

JSON_EXPORT_VERSION = 1

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
