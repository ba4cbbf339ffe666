"""``tuiarena history [MODEL ...]``: each model's figures over time, one row per saved session."""

from __future__ import annotations

import argparse

from tuiarena.commands._args import add_json

BARS = "▁▂▃▄▅▆▇█"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "history",
        help="per-model pass rate, judge score, p95 latency and cost over saved sessions",
        description="Show how each model did over time, one row per saved session that used it (oldest "
        "first): pass rate, judge score, p95 latency and cost per answer, with a sparkline of each. "
        "With no MODEL, every model found in the sessions.",
    )
    p.add_argument("models", nargs="*", metavar="MODEL", help="endpoint/model (default: all)")
    add_json(p)
    p.add_argument("--last", type=int, metavar="N", help="only the N most recent sessions per model")
    p.set_defaults(handler=run)


def spark(values: list) -> str:
    """A one-line unicode sparkline; unknown values are blanks."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(BARS[len(BARS) // 2])
        else:
            out.append(BARS[round((v - lo) / (hi - lo) * (len(BARS) - 1))])
    return "".join(out)


def run(args: argparse.Namespace) -> int:
    import json
    import time

    from tuiarena import fmt
    from tuiarena.engine.sessions.history import model_history
    from tuiarena.errors import UserError

    if args.last is not None and args.last < 1:
        raise UserError("--last must be at least 1")
    histories = model_history(args.models or None)
    if args.last:
        for h in histories:
            h.points = h.points[-args.last:]
    if args.json:
        print(json.dumps([h.to_dict() for h in histories], ensure_ascii=False, indent=2))
        return 0
    if not any(h.points for h in histories):
        which = f" for {', '.join(args.models)}" if args.models else ""
        print(f"no saved sessions{which} yet")
        return 0

    first = True
    for h in histories:
        if not first:
            print()
        first = False
        if not h.points:
            print(f"{h.model}: no sessions")
            continue
        print(f"{h.model} · {len(h.points)} session{'s' if len(h.points) != 1 else ''}")
        for label, metric in (("pass", "pass_rate"), ("judge", "judge_score"), ("p95", "latency_p95_ms"),
                              ("cost", "cost_per_response")):
            line = spark(h.series(metric))
            if line.strip():
                print(f"  {label:<5} {line}")
        rows = []
        for p in h.points:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(p.created)) if p.created else "?"
            name = fmt.visible(p.name or p.session_id)
            rows.append([when, name[:32], p.kind, p.responses, fmt.pct(p.pass_rate), fmt.num(p.judge_score),
                         fmt.seconds(p.latency_p95_ms), fmt.cost(p.cost_per_response), p.errors])
        print(fmt.table(["Date", "Session", "Kind", "Answers", "Pass", "Judge", "p95 s", "Cost/answer", "Errors"],
                        rows, right={3, 4, 5, 6, 7, 8}))
    return 0
