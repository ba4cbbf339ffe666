"""One self-contained HTML report of a session: inline CSS, no scripts, no network.

A Content-Security-Policy meta tag forbids every load except the inline stylesheet, so even a
crafted answer could not make the page fetch anything; every piece of model output is HTML-escaped
(after control characters are made visible). Answers of a run sit side by side in a grid, each
with its figures, scores and (folded) reasoning; a summary table per model opens the report.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from html import escape
from statistics import median

from tuiarena import fmt
from tuiarena.model import ResponseDone
from tuiarena.reports.session import (
    STATS_HEADERS,
    SessionView,
    finish_label,
    prompt_of,
    score_label,
    stats_row,
    timing_notes,
    vote_label,
    when,
)

CSS = """
:root{--bg:#fff;--fg:#1d1f23;--muted:#667085;--line:#d0d5dd;--card:#f8f9fb;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--accent:#3b5bdb}
@media (prefers-color-scheme:dark){:root{--bg:#121417;--fg:#e6e8eb;--muted:#98a2b3;--line:#30363d;--card:#1b1f24;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--accent:#7c9cff}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:110rem;padding:1.5rem;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{margin:0 0 .25rem;font-size:1.6rem}h2{margin:2.5rem 0 .75rem;font-size:1.25rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
h3{margin:0;font-size:1rem;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.meta,.figures{color:var(--muted)}.figures{font-size:.85rem;margin:.25rem 0 .5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid var(--line);padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:var(--card)}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{margin:0;white-space:pre-wrap;word-wrap:break-word;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
.prompt{background:var(--card);border-left:3px solid var(--accent);padding:.6rem .8rem;margin:.25rem 0 .75rem}
.label{font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin-top:.5rem}
.answers{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
.answer{border:1px solid var(--line);border-radius:6px;padding:.75rem;background:var(--card);min-width:0}
.answer.error,.answer.cut,.answer.cancelled{border-color:var(--bad)}
.error-text{color:var(--bad)}
details{margin:.25rem 0 .5rem}summary{cursor:pointer;color:var(--muted)}
.scores{list-style:none;padding:0;margin:.5rem 0 0;font-size:.85rem}
.pass{color:var(--ok)}.fail{color:var(--bad)}
.vote{margin:.5rem 0;color:var(--warn)}
footer{margin-top:3rem;color:var(--muted);font-size:.8rem}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"


def _e(text: object) -> str:
    """Escape untrusted text for HTML (control characters shown literally, quotes escaped)."""
    return escape(fmt.visible(str(text)), quote=True)


def _table(headers: list[str], rows: list[list[str]], numeric: AbstractSet[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(view: SessionView) -> str:
    rows = []
    for model in view.models:
        rs = [r for r in view.responses if r.model == model]
        if not rs:
            continue
        ttft = [r.ttft_ms for r in rs if r.ttft_ms is not None and not r.cached]
        total = [r.total_ms for r in rs if r.total_ms is not None and not r.cached]
        rates = [r.tokens_per_s for r in rs if r.tokens_per_s is not None]
        costs = [r.cost_usd for r in rs if r.cost_usd is not None]
        verdicts = [s.passed for r in rs for s in view.scores.get(r.response_id, []) if s.passed is not None]
        rows.append([
            model, str(len(rs)), str(sum(r.status != "done" for r in rs)),
            fmt.ms(median(ttft)) if ttft else fmt.DASH, fmt.seconds(median(total)) if total else fmt.DASH,
            fmt.rate(median(rates)) if rates else fmt.DASH,
            fmt.cost(sum(costs)) if costs else fmt.cost(None),
            f"{sum(verdicts) / len(verdicts):.0%}" if verdicts else fmt.DASH,
        ])
    headers = ["Model", "Responses", "Failed", "Median TTFT (ms)", "Median total (s)", "Median tok/s", "Cost", "Checks passed"]
    return _table(headers, rows, numeric={1, 2, 3, 4, 5, 6, 7})


def _answer(view: SessionView, r: ResponseDone, answers: bool) -> str:
    parts = [f'<article class="answer {_e(r.status)}"><h3>{_e(r.model)}</h3>']
    figures = [f"TTFT {fmt.ms(r.ttft_ms)} ms", f"total {fmt.seconds(r.total_ms)} s", f"{fmt.rate(r.tokens_per_s)} tok/s",
               f"{fmt.tokens(r.completion_tokens, r.tokens_estimated)} tokens", fmt.cost(r.cost_usd), finish_label(r)]
    if r.retries:
        figures.append(f"{len(r.retries)} retr{'y' if len(r.retries) == 1 else 'ies'}")
    parts.append(f'<p class="figures">{_e(" · ".join(figures))}</p>')
    notes = timing_notes(r)
    if notes:
        parts.append(f'<p class="figures">{_e(" · ".join(notes))}</p>')
    if r.error:
        parts.append(f'<pre class="error-text">{_e(r.error)}</pre>')
    if answers:
        if r.reasoning:
            parts.append(f"<details><summary>reasoning ({len(r.reasoning):,} chars)</summary><pre>{_e(r.reasoning)}</pre></details>")
        if r.text or not r.error:
            parts.append(f"<pre>{_e(r.text)}</pre>")
    scores = view.scores.get(r.response_id, [])
    if scores:
        items = []
        for s in scores:
            cls = "" if s.passed is None else ("pass" if s.passed else "fail")
            reason = f" — {_e(s.reason)}" if s.reason else ""
            items.append(f'<li><span class="{cls}">{_e(score_label(s))}</span> {_e(s.scorer)}{reason}</li>')
        parts.append(f'<ul class="scores">{"".join(items)}</ul>')
    parts.append("</article>")
    return "".join(parts)


def to_html(view: SessionView, answers: bool = True) -> str:
    h = view.header
    title = view.name or f"Session {h.session_id}"
    meta = [f"session {h.session_id}", h.kind, when(h.created), f"{len(view.runs)} runs",
            f"{len(view.models)} models", f"total cost {fmt.cost(view.total_cost)}"]
    if h.parent_session:
        meta.append(f"re-run of {h.parent_session}")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_e(title)} — tuiarena</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p class=\"meta\">{_e(' · '.join(meta))}</p></header>",
    ]
    if view.skipped:
        out.append(f'<p class="error-text">{len(view.skipped)} unreadable line(s) in the session file were skipped.</p>')
    out += ["<h2>Summary</h2>", _summary(view)]
    for rv in view.runs:
        heading = f"Run {rv.index}"
        if rv.run.case_id:
            heading += f" · case {rv.run.case_id}"
        if rv.run.repeat:
            heading += f" · repeat {rv.run.repeat}"
        out.append(f'<section id="run-{rv.index}"><h2>{_e(heading)}</h2>')
        system, user = prompt_of(rv.run)
        if system:
            out.append(f'<div class="label">System</div><pre class="prompt">{_e(system)}</pre>')
        out.append(f'<div class="label">Prompt</div><pre class="prompt">{_e(user)}</pre>')
        if rv.run.params:
            out.append(f'<p class="figures">{_e(", ".join(f"{k}={v}" for k, v in rv.run.params.items()))}</p>')
        out.append(_table(STATS_HEADERS, [stats_row(r) for r in rv.responses], numeric={1, 2, 3, 4, 5}))
        for v in (v for v in view.votes if v.run_id == rv.run.run_id):
            out.append(f'<p class="vote">Vote: A = {_e(v.model_a)}, B = {_e(v.model_b)} → {_e(vote_label(v))}</p>')
        out.append('<div class="answers">' + "".join(_answer(view, r, answers) for r in rv.responses) + "</div></section>")
    if view.notes:
        out.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n.text)}</li>" for n in view.notes) + "</ul>")
    out.append("<footer>Exported by tuiarena. Figures: TTFT = time to first token; tokens = completion tokens "
               "(~ = estimated); cost from the price table at the time of the run.</footer></body></html>")
    return "\n".join(out) + "\n"


__all__ = ["to_html"]
