"""The suite report's pictures as inline SVG: quality against cost with the efficient frontier, TTFT
and total latency distributions per model, pass rate with its Wilson interval.

Written for reading, not just drawing: axes carry round ticks (1-2-5 steps, a log scale when costs
span more than 30x), a model name longer than the label column is shortened with "…" (the full name
is in the element's tooltip), and the scatter's names are placed where they overlap neither another
name nor a point. Everything from a model or a file is escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from tuiarena import fmt as f
from tuiarena.engine.suite.results import SuiteResult
from tuiarena.scoring.stats import percentile_sorted

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
CHAR_W = 6.8  # width of a character at font-size 11 (DejaVu Sans, the widest common sans), for layout only
LOG_SPAN = 30.0  # costs spanning more than this ratio get a log axis


def _e(text: object) -> str:
    return escape(f.visible(str(text)), quote=True)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def short(name: str, width_px: float, char_w: float = CHAR_W) -> str:
    """``name`` cut to fit ``width_px`` (keeping its end, which tells models of one provider apart)."""
    room = max(4, int(width_px / char_w))
    return name if len(name) <= room else "…" + name[-(room - 1):]


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round ticks from 0 to at least ``top``: steps of 1, 2, 2.5 or 5 x 10^k, about ``count`` of them."""
    if top <= 0:
        return [0.0, 1.0]
    mag = 10 ** math.floor(math.log10(top / count))
    steps = [s * mag * k for k in (1, 10) for s in (1, 2, 2.5, 5)]
    # the step whose last tick overshoots ``top`` least, with 3 to count + 2 intervals
    fits = [(math.ceil(top / s - 1e-9) * s, -s) for s in steps if 3 <= math.ceil(top / s - 1e-9) <= count + 2]
    end, neg_step = min(fits) if fits else (math.ceil(top / mag) * mag, -mag)
    step = -neg_step
    return [round(i * step, 12) for i in range(round(end / step) + 1)]


def _time_label(ms: float, top_ms: float) -> str:
    """A tick in one unit for the whole axis: seconds when it reaches a second, else milliseconds."""
    return f"{ms / 1000:g}s" if top_ms >= 1000 else f"{ms:g}ms"


def _label_column(names: list[str], lo: float = 70, hi: float = 230) -> float:
    return min(hi, max(lo, max((len(n) for n in names), default=0) * CHAR_W + 12))


# ------------------------------------------------------------------------------------- scatter


def _place_labels(points: list[tuple[float, float, str]], box: tuple[float, float, float, float],
                  r: float = 8) -> list[tuple[float, float, str]]:
    """For each ``(x, y, text)`` point a ``(x, y, anchor)`` for its label: the first of eight spots
    around the point that stays in ``box`` and overlaps no placed label and no point."""
    x0, y0, x1, y1 = box
    placed: list[tuple[float, float, float, float]] = []
    dots = [(x - r, y - r, x + r, y + r) for x, y, _ in points]
    out: list[tuple[float, float, str]] = []

    def hits(a: tuple[float, float, float, float]) -> bool:
        return any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3] for b in placed + dots)

    for x, y, text in points:
        w, h = len(text) * CHAR_W * 10 / 11 + 4, 13.0  # labels are font-size 10; 4 px apart at least
        spots = [(x + 9, y - 6, "start"), (x + 9, y + 14, "start"), (x - 9, y - 6, "end"), (x - 9, y + 14, "end"),
                 (x, y - 12, "middle"), (x, y + 20, "middle"), (x + 9, y + 4, "start"), (x - 9, y + 4, "end")]
        best = None
        for lx, ly, anchor in spots:
            left = lx if anchor == "start" else lx - w if anchor == "end" else lx - w / 2
            rect = (left, ly - h + 2, left + w, ly + 2)
            inside = rect[0] >= x0 and rect[2] <= x1 and rect[1] >= y0 and rect[3] <= y1
            if inside and not hits(rect):
                best = (lx, ly, anchor, rect)
                break
            if best is None and inside:
                best = (lx, ly, anchor, rect)
        if best is None:  # nowhere inside: the side with room, clamped
            anchor = "end" if x > (x0 + x1) / 2 else "start"
            lx = x - 9 if anchor == "end" else x + 9
            ly = min(max(y - 6, y0 + h), y1)
            left = lx - w if anchor == "end" else lx
            best = (lx, ly, anchor, (left, ly - h + 2, left + w, ly + 2))
        placed.append(best[3])
        out.append((best[0], best[1], best[2]))
    return out


def scatter(report: dict[str, Any]) -> str:
    """Quality (pass rate, else mean score) against cost per request; frontier = not dominated."""
    S, models = report["summary"], report["models"]
    qkey = "pass_rate" if any(S[m]["pass_rate"] is not None for m in models) else "mean_score"
    pts = [(m, S[m]["cost_per_request"], S[m][qkey]) for m in models
           if S[m]["cost_per_request"] is not None and S[m][qkey] is not None]
    if not pts:
        return "<figure><figcaption>Quality vs cost</figcaption><p class=muted>no cost known (add [pricing])</p></figure>"
    W, H, L, R, T, B = 460, 300, 52, 16, 14, 46
    costs = [c for _, c, _ in pts]
    positive = [c for c in costs if c > 0]
    log = len(positive) == len(costs) and max(costs) / min(positive) > LOG_SPAN
    if log:
        lo_e, hi_e = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
        hi_e += hi_e == lo_e
        xticks = [10.0 ** k for k in range(lo_e, hi_e + 1)]

        def X(c: float) -> float:
            return L + (W - L - R) * (math.log10(c) - lo_e) / (hi_e - lo_e)
    else:
        xticks = nice_ticks(max(costs) * 1.05 or 1e-6)

        def X(c: float) -> float:
            return L + (W - L - R) * c / xticks[-1]
    qs = [q for _, _, q in pts]
    qlo = 0.0 if min(qs) < 0.5 else math.floor((min(qs) - 0.05) * 10) / 10  # zoom on a crowded top
    ystep = 0.25 if qlo < 0.4 else 0.1 if qlo < 0.8 else 0.05
    yticks = [qlo + k * ystep for k in range(round((1 - qlo) / ystep) + 1)]

    def Y(q: float) -> float:
        return H - B - (H - B - T) * (q - qlo) / (1 - qlo)

    frontier = sorted((p for p in pts if not any(o[1] <= p[1] and o[2] >= p[2] and (o[1], o[2]) != (p[1], p[2])
                                                 for o in pts)), key=lambda p: p[1])
    out = [f"<svg width={W} height={H} viewBox='0 0 {W} {H}' role=img aria-label='quality against cost'>",
           f"<line x1={L} y1={H - B} x2={W - R} y2={H - B} stroke='#888'/><line x1={L} y1={T} x2={L} y2={H - B} stroke='#888'/>"]
    for q in yticks:
        out.append(f"<line x1={L} x2={W - R} y1={Y(q):.1f} y2={Y(q):.1f} stroke='#eee'/>"
                   f"<text x={L - 6} y={Y(q) + 4:.1f} font-size=10 text-anchor=end>{q * 100:.0f}%</text>")
    for i, c in enumerate(xticks):
        anchor = "start" if i == 0 else "end" if i == len(xticks) - 1 else "middle"
        out.append(f"<line x1={X(c):.1f} x2={X(c):.1f} y1={H - B} y2={H - B + 4} stroke='#888'/>"
                   f"<text x={X(c):.1f} y={H - B + 15} font-size=10 text-anchor={anchor}>{_e(f.cost(c))}</text>")
    scale = " (log scale)" if log else ""
    out.append(f"<text x={(W + L) / 2:.0f} y={H - 8} font-size=11 text-anchor=middle>cost per request{scale}</text>")
    ylabel = "pass rate" if qkey == "pass_rate" else "mean score"
    out.append(f"<text x=12 y={(H - B + T) / 2:.0f} font-size=11 transform='rotate(-90 12 {(H - B + T) / 2:.0f})' "
               f"text-anchor=middle>{ylabel}</text>")
    if len(frontier) > 1:
        path = " ".join(f"{X(c):.1f},{Y(q):.1f}" for _, c, q in frontier)
        out.append(f"<polyline points='{path}' fill=none stroke='#59a14f' stroke-width=2 stroke-dasharray='5 3'/>")
    names = [short(m, 150) for m, _, _ in pts]
    spots = _place_labels([(X(c), Y(q), n) for (_, c, q), n in zip(pts, names)], (L + 2, 0, W - 2, H - B - 2))
    for (m, c, q), name, (lx, ly, anchor) in zip(pts, names, spots):
        on = any(p[0] == m for p in frontier)
        tip = f"{_e(m)}: {f.pct(q, 1) if qkey == 'pass_rate' else f.num(q)}, {_e(f.cost(c))}/request"
        out.append(f"<circle cx={X(c):.1f} cy={Y(q):.1f} r={7 if on else 5} fill='{color(models.index(m))}' "
                   f"stroke='{'#1e7b34' if on else '#fff'}' stroke-width=2><title>{tip}</title></circle>")
        out.append(f"<text x={lx:.1f} y={ly:.1f} font-size=10 text-anchor={anchor}><title>{_e(m)}</title>{_e(name)}</text>")
    out.append("</svg>")
    return ("<figure><figcaption>Quality vs cost (green dashes: efficient frontier, the models no other beats on "
            "both)</figcaption>" + "".join(out) + "</figure>")


# ------------------------------------------------------------------------------------- latency


def latency(report: dict[str, Any], result: SuiteResult | None) -> str:
    """Per model two box plots (TTFT, total): whiskers p5–p95, box p25–p75, mark at the median."""
    models = report["models"]
    rows: dict[str, dict[str, list[float]]] = {}
    for m in models:
        recs = result.agg.rows.get(m, []) if result is not None else []
        rows[m] = {attr: sorted(v for r in recs if (v := getattr(r, attr)) is not None) for attr in ("ttft_ms", "total_ms")}
    if not any(vs for per in rows.values() for vs in per.values()):
        return "<figure><figcaption>Latency</figcaption><p class=muted>no latencies recorded</p></figure>"
    top = max(percentile_sorted(vs, 95) for per in rows.values() for vs in per.values() if vs)
    ticks = nice_ticks(top * 1.02 or 1.0)
    L = _label_column(models, hi=200) + 34  # name, then the "TTFT"/"total" tag
    W, RH, GAP, T = 460, 15, 9, 6
    H = T + len(models) * (2 * RH + GAP) + 26

    def X(v: float) -> float:
        return L + (W - L - 14) * min(v, ticks[-1]) / ticks[-1]

    out = [f"<svg width={W} height={H} viewBox='0 0 {W} {H}' role=img aria-label='latency distributions'>"]
    bottom = H - 24
    for v in ticks:
        out.append(f"<line x1={X(v):.1f} x2={X(v):.1f} y1={T} y2={bottom} stroke='#eee'/>"
                   f"<text x={X(v):.1f} y={bottom + 13} font-size=10 text-anchor=middle>{_time_label(v, ticks[-1])}</text>")
    for i, m in enumerate(models):
        y0 = T + i * (2 * RH + GAP)
        c = color(i)
        out.append(f"<text x=4 y={y0 + RH + 4} font-size=11><title>{_e(m)}</title>{_e(short(m, L - 42))}</text>")
        for k, (tag, attr) in enumerate((("TTFT", "ttft_ms"), ("total", "total_ms"))):
            y = y0 + k * RH
            vs = rows[m][attr]
            out.append(f"<text x={L - 5} y={y + 11} font-size=9 fill='#6b7080' text-anchor=end>{tag}</text>")
            if not vs:
                out.append(f"<text x={L + 4} y={y + 11} font-size=9 fill='#6b7080'>none</text>")
                continue
            p = {q: percentile_sorted(vs, q) for q in (5, 25, 50, 75, 95)}
            out.append(f"<line x1={X(p[5]):.1f} x2={X(p[95]):.1f} y1={y + 7} y2={y + 7} stroke='{c}'/>")
            out.append(f"<rect x={X(p[25]):.1f} y={y + 2} width={max(1.5, X(p[75]) - X(p[25])):.1f} height=10 "
                       f"fill='{c}' fill-opacity={0.4 if tag == 'TTFT' else 0.8}><title>{_e(m)} {tag}: p50 "
                       f"{p[50]:,.0f} ms, p95 {p[95]:,.0f} ms ({len(vs):,} answers)</title></rect>")
            out.append(f"<line x1={X(p[50]):.1f} x2={X(p[50]):.1f} y1={y + 1} y2={y + 13} stroke='#000' stroke-width='2'/>")
    out.append(f"<line x1={L} x2={W - 14} y1={bottom} y2={bottom} stroke='#888'/></svg>")
    return ("<figure><figcaption>Latency: time to first token and total (box p25–p75, whiskers p5–p95, "
            "mark at the median)</figcaption>" + "".join(out) + "</figure>")


# ------------------------------------------------------------------------------------- pass rate


def pass_bars(report: dict[str, Any]) -> str:
    stats = (report.get("stats") or {}).get("models", {})
    S, models = report["summary"], report["models"]
    L = _label_column(models)
    W, RH, T = 460, 22, 6
    H = T + RH * len(models) + 26

    def X(v: float) -> float:
        return L + (W - L - 48) * v

    out = [f"<svg width={W} height={H} viewBox='0 0 {W} {H}' role=img aria-label='pass rate with interval'>"]
    bottom = H - 24
    for q in (0, .25, .5, .75, 1):
        out.append(f"<line x1={X(q):.1f} x2={X(q):.1f} y1={T} y2={bottom} stroke='#eee'/>"
                   f"<text x={X(q):.1f} y={bottom + 13} font-size=10 text-anchor=middle>{q * 100:.0f}%</text>")
    for i, m in enumerate(models):
        y = T + i * RH
        p = S[m]["pass_rate"]
        out.append(f"<text x={L - 6} y={y + 14} font-size=11 text-anchor=end><title>{_e(m)}</title>{_e(short(m, L - 10))}</text>")
        if p is None:
            out.append(f"<text x={L + 4} y={y + 14} font-size=10 fill='#6b7080'>no verdict</text>")
            continue
        ci = stats.get(m, {}).get("pass_rate_ci")
        tip = f"{_e(m)}: {f.pct(p, 1)}" + (f", 95% CI {f.pct(ci[0], 0)}–{f.pct(ci[1], 0)}" if ci else "")
        out.append(f"<rect x={L} y={y + 4} width={X(p) - L:.1f} height=13 fill='{color(i)}'><title>{tip}</title></rect>")
        if ci:
            out.append(f"<line x1={X(ci[0]):.1f} x2={X(ci[1]):.1f} y1={y + 10.5} y2={y + 10.5} stroke='#000'/>"
                       f"<line x1={X(ci[0]):.1f} x2={X(ci[0]):.1f} y1={y + 5} y2={y + 16} stroke='#000'/>"
                       f"<line x1={X(ci[1]):.1f} x2={X(ci[1]):.1f} y1={y + 5} y2={y + 16} stroke='#000'/>")
        out.append(f"<text x={X(1) + 6} y={y + 14} font-size=10>{f.pct(p, 0)}</text>")
    out.append(f"<line x1={L} x2={X(1):.1f} y1={bottom} y2={bottom} stroke='#888'/></svg>")
    return "<figure><figcaption>Pass rate with its 95% Wilson interval</figcaption>" + "".join(out) + "</figure>"


__all__ = ["color", "latency", "nice_ticks", "pass_bars", "scatter", "short"]
