"""The suite summary's pictures in the terminal, the same three as the HTML report's SVG charts:
pass rate with its 95% interval, quality against cost with the efficient frontier, and the TTFT and
total latency spread per model. Plain text bars (rich ``Text``), so they draw at 80 columns."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from tuiarena import fmt
from tuiarena.scoring.stats import percentile_sorted

MUTED = "dim"
PALETTE = ("cyan", "yellow", "green", "magenta", "blue", "red", "bright_cyan", "bright_yellow")


def _label(models: list[str], width: int) -> dict[str, str]:
    return {m: (fmt.visible(m)[: width - 1] + "…" if len(m) > width else fmt.visible(m)).ljust(width) for m in models}


def pass_bars(report: dict[str, Any], width: int = 30) -> Text:
    """``model  ████████[·····]·········  52% (33–70%)``: the bar is the pass rate, brackets its interval."""
    stats = (report.get("stats") or {}).get("models", {})
    names = _label(report["models"], 16)
    t = Text("Pass rate with its 95% interval\n", style="bold")
    for i, m in enumerate(report["models"]):
        p = report["summary"][m]["pass_rate"]
        t.append("  " + names[m] + " ")
        if p is None:
            t.append("no verdicts\n", style=MUTED)
            continue
        cells = ["█" if k < round(p * width) else "·" for k in range(width)]
        ci = stats.get(m, {}).get("pass_rate_ci")
        if ci:
            lo, hi = min(width - 1, int(ci[0] * width)), min(width - 1, int(ci[1] * width))
            cells[lo], cells[hi] = "[", "]"
        t.append("".join(cells), style=PALETTE[i % len(PALETTE)])
        tail = f" {fmt.pct(p)}" + (f" ({fmt.pct(ci[0])}–{fmt.pct(ci[1])})" if ci else "")
        t.append(tail + "\n", style=MUTED)
    return t


def frontier(points: list[tuple[str, float, float]]) -> set[str]:
    """Models no other model beats on both cost (lower) and quality (higher)."""
    return {m for m, c, q in points
            if not any(c2 <= c and q2 >= q and (c2, q2) != (c, q) for _, c2, q2 in points)}


def _cost(v: float | None) -> str:
    return fmt.cost(v)  # two significant digits, never "$4.2e-05"


def quality_cost(report: dict[str, Any], width: int = 40, height: int = 7) -> Text:
    """A text scatter: x = cost per request, y = pass rate (else mean score); ★ = efficient frontier."""
    S = report["summary"]
    key = "pass_rate" if any(S[m]["pass_rate"] is not None for m in report["models"]) else "mean_score"
    pts = [(m, S[m]["cost_per_request"], S[m][key]) for m in report["models"]
           if S[m]["cost_per_request"] is not None and S[m][key] is not None]
    t = Text("Quality vs cost per request (★ efficient frontier: none cheaper and better)\n", style="bold")
    if not pts:
        t.append("  no cost known: add [pricing] in config.toml\n", style=MUTED)
        return t
    best = frontier(pts)
    top = max(c for _, c, _ in pts) or 1.0
    grid = [[" "] * width for _ in range(height)]
    marks: dict[tuple[int, int], int] = {}
    for m, c, q in pts:
        x = min(width - 1, int(c / top * (width - 1)))
        y = height - 1 - min(height - 1, int(q * (height - 1) + 0.5))
        marks[(y, x)] = report["models"].index(m)
        grid[y][x] = str(report["models"].index(m) + 1)
    for y, row in enumerate(grid):
        axis = "100%" if y == 0 else "  0%" if y == height - 1 else "    "
        t.append(f"  {axis} │", style=MUTED)
        for x, ch in enumerate(row):
            idx = marks.get((y, x))
            t.append(ch, style=f"bold {PALETTE[idx % len(PALETTE)]}" if idx is not None else MUTED)
        t.append("\n")
    t.append("       └" + "─" * width + f"→ {_cost(top)}\n", style=MUTED)
    for i, m in enumerate(report["models"]):
        s = S[m]
        star = "★" if m in best else " "
        q = fmt.pct(s[key]) if key == "pass_rate" else fmt.num(s[key])
        t.append(f"  {star} {i + 1} ", style=f"bold {PALETTE[i % len(PALETTE)]}")
        t.append(f"{fmt.visible(m)}: {q}, {_cost(s['cost_per_request'])}/request\n")
    return t


def latency(report: dict[str, Any], agg: Any = None, width: int = 36) -> Text:
    """Per model, TTFT and total on one scale: ``─`` p5–p95, ``█`` p25–p75, ``│`` the median."""
    t = Text("Latency: TTFT and total (─ p5–p95, █ p25–p75, │ median)\n", style="bold")
    series: list[tuple[str, str, list[float]]] = []
    for m in report["models"]:
        rows = agg.rows.get(m, []) if agg is not None else []
        for label, attr in (("TTFT", "ttft_ms"), ("total", "total_ms")):
            series.append((m, label, sorted(v for r in rows if (v := getattr(r, attr)) is not None)))
    if not any(vs for _, _, vs in series):
        S = report["summary"]  # no per-answer figures at hand: medians and p95 from the summary
        series = []
        for m in report["models"]:
            for label, p50, p95 in (("TTFT", "ttft_p50_ms", "ttft_p95_ms"), ("total", "latency_p50_ms", "latency_p95_ms")):
                vals = [v for v in (S[m].get(p50), S[m].get(p95)) if v is not None]
                series.append((m, label, sorted(vals)))
    top = max((vs[-1] for _, _, vs in series if vs), default=0.0) or 1.0
    names = _label(report["models"], 14)
    for m, label, vs in series:
        t.append(f"  {names[m]} {label:<5} ")
        if not vs:
            t.append("—\n", style=MUTED)
            continue
        p = {q: percentile_sorted(vs, q) for q in (5, 25, 50, 75, 95)}
        cells = [" "] * width

        def x(v: float) -> int:
            return min(width - 1, int(v / top * (width - 1)))

        for k in range(x(p[5]), x(p[95]) + 1):
            cells[k] = "─"
        for k in range(x(p[25]), x(p[75]) + 1):
            cells[k] = "█"
        cells[x(p[50])] = "│"
        idx = report["models"].index(m)
        t.append("".join(cells), style=PALETTE[idx % len(PALETTE)] if label == "total" else f"dim {PALETTE[idx % len(PALETTE)]}")
        t.append(f" {p[50] / 1000:.2f}s/{p[95] / 1000:.2f}s\n", style=MUTED)
    t.append(f"  (scale 0 – {top / 1000:.2f}s; figures: median / p95)\n", style=MUTED)
    return t


def charts(report: dict[str, Any], agg: Any = None) -> Text:
    out = Text()
    for part in (pass_bars(report), quality_cost(report), latency(report, agg)):
        out.append_text(part)
        out.append("\n")
    return out


__all__ = ["charts", "frontier", "latency", "pass_bars", "quality_cost"]
