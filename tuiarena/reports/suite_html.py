"""The suite report as one self-contained HTML file: no network, no external script or font.

Order: the verdicts and the recommendation first; then three inline SVG charts (quality against
cost with the efficient frontier, TTFT and total latency distributions, pass rate with its Wilson
interval); the paired comparisons; then the cases x models matrix. Clicking a cell opens that case's
answers side by side, each with every check's reason and the judge's verdict; two filters show only
failures or only cases where the models disagree. The answers live in one JSON block that a small
inline script reads on demand, so the page stays light (each answer capped at ``MAX_ANSWER`` chars).
Everything from a model or a file is escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from tuiarena import fmt as f
from tuiarena.engine.suite.results import SuiteResult
from tuiarena.reports.suite_sections import cell_marks, recommendation_parts
from tuiarena.reports.suite_svg import latency, pass_bars, scatter

MAX_ANSWER = 1500

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1300px;padding:16px 24px;color:#1d2330;background:#fbfbfd}
h1{margin:.2em 0}h2{margin-top:1.6em;border-bottom:1px solid #dde;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dde;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f6}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.wide{overflow-x:auto;max-width:100%}figure svg{max-width:100%;height:auto}
.rec{background:#e9f6ec;border:1px solid #9cd3a8;padding:10px 14px;border-radius:6px;margin:10px 0}
.rec.none{background:#fdecec;border-color:#e8a3a3}.warn{color:#8a5a00}
.ok{color:#1e7b34}.bad{color:#b3261e}.muted{color:#6b7080}
.charts{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}.charts figure{margin:0;background:#fff;border:1px solid #dde;border-radius:6px;padding:8px}
figcaption{font-weight:600;margin-bottom:4px;max-width:460px}
#matrix{border:1px solid #dde;margin:8px 0;overflow-x:auto}
#matrix .r{display:grid;grid-template-columns:var(--cols);content-visibility:auto;contain-intrinsic-size:auto 27px}
#matrix .r>div{border-top:1px solid #dde;border-left:1px solid #dde;padding:4px 8px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#matrix .h>div{background:#eef0f6;font-weight:600}#matrix .c{cursor:pointer}#matrix .c:hover{outline:2px solid #4e79a7}
#matrix .p{background:#e9f6ec}#matrix .f{background:#fdecec}#matrix .e{background:#f6e3c8}
#matrix.fails .r.x:not(.fail){display:none}#matrix.dis .r.x:not(.dis){display:none}
#matrix .d{padding:8px;border-top:1px solid #dde;background:#fff}
.side{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:10px}
.side pre{white-space:pre-wrap;word-break:break-word;background:#f4f5f9;padding:6px;max-height:420px;overflow:auto;margin:4px 0}
.side ul{margin:4px 0;padding-left:18px}.prompt{white-space:pre-wrap;background:#fff8e1;padding:6px}
"""

SCRIPT = """
const D=JSON.parse(document.getElementById('answers').textContent),S=D.s;
const esc=s=>String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function openCase(i){const tr=document.getElementById('r'+i);const nx=tr.nextElementSibling;
 if(nx&&nx.classList.contains('d')){nx.remove();return}
 const c=D.cases[i];if(!c[1].length){const d=document.createElement('div');d.className='d muted';
  d.textContent='No answers in this report (written with --no-answers, or without its session).';tr.after(d);return}
 let h='<div class="prompt">'+esc(c[0].map(j=>S[j]).join('\\n\\n'))+'</div><div class="side">';
 for(const [who,text,passed,checks,judge] of c[1]){const name=Array.isArray(who)?D.models[who[0]]+' #'+who[1]:D.models[who];
  h+='<div><b>'+esc(name)+'</b> <span class="'+(passed===true?'ok':passed===false?'bad':'muted')+'">'+(passed===true?'pass':passed===false?'fail':'no verdict')+'</span>';
  h+='<pre>'+esc(text)+'</pre><ul>';for(const k of checks)h+='<li class="'+(k[1]?'ok':'bad')+'">'+esc(S[k[0]])+': '+esc(S[k[2]])+'</li>';
  h+='</ul>'+(judge?'<div><i>judge:</i> '+esc(judge)+'</div>':'')+'</div>'}
 const d=document.createElement('div');d.className='d';d.innerHTML=h+'</div>';tr.after(d)}
document.getElementById('matrix').addEventListener('click',e=>{const td=e.target.closest('.c');if(td)openCase(+td.parentNode.dataset.i)});
const m=location.hash.match(/^#case=(\\d+)$/);if(m&&D.cases[+m[1]]){openCase(+m[1]);document.getElementById('r'+m[1]).scrollIntoView()}
for(const [id,cls] of [['f-fail','fails'],['f-dis','dis']])document.getElementById(id).addEventListener('change',e=>{
 document.getElementById('matrix').classList.toggle(cls,e.target.checked)});
"""


def _e(text: object) -> str:
    return escape(f.visible(str(text)), quote=True)


def _summary(report: dict[str, Any]) -> str:
    S, stats = report["summary"], (report.get("stats") or {}).get("models", {})
    rows = []
    for m in report["models"]:
        s, v, x = S[m], report["verdicts"][m], stats.get(m, {})
        ci = x.get("pass_rate_ci")
        ci_txt = f" <span class=muted>({f.pct(ci[0], 0)}–{f.pct(ci[1], 0)})</span>" if ci else ""
        verdict = ("<span class=ok>qualifies</span>" if v["meets"] else
                   "<span class=bad>" + _e("; ".join(v["failures"])) + "</span>")
        judge = f.num(s["judge_score"])
        if report.get("judge") and not s.get("judge_graded"):
            judge = "<span class=bad>failed</span>" if s.get("judge_unparsed") else "not graded"
        elif s.get("judge_unparsed"):
            judge += f" <span class=bad>({s['judge_unparsed']} failed)</span>"
        rows.append(f"<tr><td>{_e(m)}</td><td class=num>{f.pct(s['pass_rate'], 1)}{ci_txt}</td>"
                    f"<td class=num>{f.num(s['mean_score'])}</td><td class=num>{judge}</td>"
                    f"<td class=num>{f.seconds(s['latency_p95_ms'])}</td><td class=num>{f.ms(s['ttft_p95_ms'])}</td>"
                    f"<td class=num>{f.cost(s['cost_per_acceptable'])}</td><td class=num>{f.pct(s['error_rate'], 1)}</td>"
                    f"<td>{verdict}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("Model", "Pass (95% CI)", "Score", "Judge", "p95 s", "TTFT p95 ms",
                                            "Cost/acceptable", "Errors", "Verdict"))
    return f"<div class=wide><table><tr>{head}</tr>{''.join(rows)}</table></div>"


def _partial(report: dict[str, Any]) -> str:
    p = report.get("partial")
    if not p:
        return ""
    return (f"<div class='rec none'><b>Partial report:</b> {_e(p['reason'])} after {p['answered']:,} of "
            f"{p['planned']:,} answers; the figures cover what was answered.</div>")


def _recommendation(report: dict[str, Any]) -> str:
    """The same lines as the text report, model names in bold; the routing table folded under them."""
    rec = report["recommendation"]
    lines = "<br>".join(f"<b>{_e(label)}{': ' + _e(model) if model else ''}</b> {_e(detail)}".rstrip()
                        for label, model, detail in recommendation_parts(report))
    if rec["best"] is None:
        return f"<div class='rec none'>{lines}</div>"
    lines += "<br><span class=muted>Ties go to quality, then p95 latency, then cost.</span>"
    routes = [f"<li>{_e(c)}: " + (_e(r['model']) + (f" (fallback {_e(r['fallback'])})" if r.get("fallback") else "")
                                  if r["model"] else f"<span class=bad>{_e(r.get('reason', 'none qualifies'))}</span>") + "</li>"
              for c, r in report["routing"].items()]
    if len(routes) > 1:
        open_ = " open" if len(routes) <= 6 else ""
        lines += f"<details{open_}><summary>Routing: the best qualifying model per category ({len(routes)})</summary><ul>" \
                 + "".join(routes) + "</ul></details>"
    return f"<div class=rec>{lines}</div>"


# ---------------------------------------------------------------------------------------- matrix


def _cell(cells: list[dict[str, Any]]) -> tuple[str, str]:
    if not cells:
        return "", "·"
    if any(c["status"] == "failed" for c in cells):
        cls = "e"
    elif all(c["passed"] for c in cells):
        cls = "p"
    elif any(c["passed"] is False for c in cells):
        cls = "f"
    else:
        cls = ""
    return cls, cell_marks(cells)


def _answers_json(report: dict[str, Any], result: SuiteResult | None) -> str:
    """``{"models", "s": [strings], "cases": [[prompt part ids], [[model index, text, passed, [[name id,
    passed, reason id], ...], judge], ...]]}``: repeated strings (system prompts, check names and
    reasons) are stored once in ``s``."""
    strings: dict[str, int] = {}

    def sid(text: str) -> int:
        text = f.visible(text)
        i = strings.get(text)
        if i is None:
            i = strings[text] = len(strings)
        return i

    by: dict[tuple[str, str], list[Any]] = {}
    if result is not None:
        for a in result.answers:
            by.setdefault((a.case_id, a.model), []).append(a)
    prompts = {c.id: c for c in result.suite.cases} if result is not None else {}
    cases: list[Any] = []
    for case in report["matrix"]:
        cid = case["case_id"]
        c = prompts.get(cid)
        parts = [sid(f"[{m.get('role')}] {str(m.get('content'))[:MAX_ANSWER]}") for m in c.messages] if c is not None else []
        answers = []
        for mi, m in enumerate(report["models"]):
            for a in sorted(by.get((cid, m), []), key=lambda a: a.repeat):
                text = a.record.text
                if a.record.status in ("error", "cancelled"):
                    text = f"[{a.record.status}] {a.record.error or ''}"
                elif len(text) > MAX_ANSWER:
                    text = text[:MAX_ANSWER] + f"… ({len(text) - MAX_ANSWER:,} more chars in the session)"
                checks = [[sid(str(k.get("name", k.get("type", "")))), 1 if k.get("passed") else 0, sid(str(k.get("reason", "")))]
                          for k in ((a.checks.detail or {}).get("checks") or [])] if a.checks else []
                judge = ""
                if a.judge is not None:
                    d = a.judge.detail or {}
                    grades = ", ".join(f"{k} {d[k]:g}" for k in ("correctness", "clarity", "conciseness")
                                       if isinstance(d.get(k), int | float))
                    judge = (f"{grades or a.judge.score} — {a.judge.reason}" if a.judge.score is not None
                             else f"FAILED: {a.judge.reason}")
                passed = None if a.checks is None else a.checks.passed
                label = mi if report["repeat"] == 1 else [mi, a.repeat + 1]
                answers.append([label, f.visible(text), passed, checks, f.visible(judge)])
        cases.append([parts, answers])
    data = json.dumps({"models": [f.visible(m) for m in report["models"]], "s": list(strings), "cases": cases},
                      ensure_ascii=False, separators=(",", ":"))
    return data.replace("<", "\\u003c")  # valid JSON, and nothing can close the script element


def _matrix(report: dict[str, Any]) -> str:
    """Rows are grid ``div`` s with ``content-visibility: auto``: the browser lays out only the rows on
    screen, so 2,000 cases open as fast as 50 (a 2,000-row table took seconds to lay out)."""
    cols = f"--cols:minmax(160px,1.3fr) repeat({len(report['models'])},minmax(90px,1fr))"
    head = "<div class='r h'><div>Case</div>" + "".join(f"<div title='{_e(m)}'>{_e(m)}</div>" for m in report["models"]) + "</div>"
    rows = []
    for i, case in enumerate(report["matrix"]):
        cells = [case["results"][m] for m in report["models"]]
        verdicts = {all(c["passed"] for c in cs) for cs in cells if cs and all(c["passed"] is not None for c in cs)}
        fail = any(c["passed"] is False or c["status"] == "failed" for cs in cells for c in cs)
        cls = "r x" + (" fail" if fail else "") + (" dis" if len(verdicts) > 1 else "")
        tds = "".join(f"<div class='c {k}'>{_e(t)}</div>" for k, t in (_cell(cs) for cs in cells))
        cat = f" <span class=muted>{_e(case['category'])}</span>" if case["category"] else ""
        rows.append(f"<div id=r{i} class='{cls}' data-i={i}><div title='{_e(case['case_id'])}'>{_e(case['case_id'])}{cat}</div>{tds}</div>")
    filters = ("<label><input type=checkbox id=f-fail> failures only</label> &nbsp; "
               "<label><input type=checkbox id=f-dis> cases where the models disagree</label> "
               "<span class=muted>· click a cell: the answers side by side, with every check's reason and the judge's verdict</span>")
    return f"{filters}<div id=matrix style='{cols}'>{head}{''.join(rows)}</div>"


def to_html(report: dict[str, Any], result: SuiteResult | None = None, answers: bool = True) -> str:
    """The whole report; without ``result`` (no session) the matrix has no answers to open."""
    title = f"Suite: {report['suite']}"
    judge = f" · judge {_e(report['judge'])}" if report.get("judge") else ""
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>",
             "<meta name=viewport content='width=device-width,initial-scale=1'>",
             f"<style>{CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1><div class=muted>{report['cases']:,} cases × {len(report['models'])} models × "
             f"{report['repeat']} repeat(s){judge}{' · ' + _e(report['description']) if report.get('description') else ''}</div>",
             _partial(report), _recommendation(report), _summary(report)]
    if report.get("judge_calls"):
        jc = report["judge_calls"]
        parts.append(f"<p class=muted>Judge {_e(report['judge'])}: {jc['calls']} call(s), "
                     f"{jc['failures']} failed{', ' + _e(f.cost(jc['cost_usd'])) if jc.get('cost_usd') is not None else ''} "
                     "(judge calls are records of the judge, not candidates)</p>")
    for w in report.get("warnings") or []:
        parts.append(f"<p class=warn>⚠ {_e(w)}</p>")
    parts.append("<h2>Pictures</h2><div class=charts>" + scatter(report) + latency(report, result) + pass_bars(report) + "</div>")
    stats = report.get("stats")
    if stats and stats.get("pairs"):
        parts.append("<h2>Is the difference real?</h2><ul>" + "".join(f"<li>{_e(p['sentence'])}</li>" for p in stats["pairs"])
                     + f"</ul><p class=muted>Paired on the same cases: exact McNemar on pass/fail, sign test on scores; "
                     f"intervals by bootstrap over cases ({stats['rounds']:,} rounds, seed {stats['seed']}).</p>")
    if report.get("baseline"):
        b = report["baseline"]
        parts.append(f"<h2>Baseline</h2><p class={'bad' if b.get('regressed') else 'ok'}>"
                     f"{'Regression decided by the paired tests' if b.get('regressed') else 'No regression decided by the paired tests'}"
                     "</p><ul>" + "".join(f"<li>{_e(r['kind'])} {_e(r['model'])}: {_e(r['detail'])}</li>" for r in b["regressions"])
                     + "</ul>")
    parts.append("<h2>Cases</h2>" + _matrix(report))
    if report.get("session"):
        parts.append(f"<p class=muted>Session: {_e(report['session'])}</p>")
    parts.append(f"<script type=application/json id=answers>{_answers_json(report, result if answers else None)}</script>")
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "".join(parts)


__all__ = ["to_html"]

