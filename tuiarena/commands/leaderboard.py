"""``tuiarena leaderboard``: ratings from the blind votes of all saved sessions (or named ones)."""

from __future__ import annotations

import argparse
import sys

from tuiarena.commands._args import add_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "leaderboard",
        help="ratings from blind A/B votes (Bradley-Terry with 95%% intervals, Elo)",
        description="Bradley-Terry ratings with bootstrap 95% intervals, online Elo, battles, win "
        "rates and the pairwise win-rate matrix, from the votes in all saved sessions (or the ones "
        "named with --session). Identity-leaked battles are left out unless --include-leaked; "
        "battles with a failed or cut response never count.",
    )
    add_json(p)
    p.add_argument(
        "--session", "-s", action="append", default=[], metavar="S",
        help="only this session (id, id prefix, name, path or 'latest'); repeatable",
    )
    p.add_argument("--include-leaked", action="store_true",
                   help="count battles where an answer named a model or vendor")
    p.add_argument("--rounds", type=int, default=100, metavar="N",
                   help="bootstrap resamples for the intervals (default 100)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="bootstrap seed (default 0; the same votes and seed give the same table)")
    p.set_defaults(handler=run)


def render_voters(report) -> list[str]:
    """Votes per voter and the judge-vs-human agreement, as text lines (empty without votes)."""
    from tuiarena import fmt

    if not report.rows:
        return []
    rows = [[r.voter, r.votes, r.outcomes["a"], r.outcomes["b"], r.outcomes["tie"], r.outcomes["both_bad"],
             f"{fmt.pct(r.agreement)} of {r.judged}" if r.judged else "–"] for r in report.rows]
    out = ["", "Votes per voter (judge agreement: same winner as a pairwise judge on the same two answers):",
           fmt.table(["Voter", "Votes", "A", "B", "Tie", "Both bad", "Judge agreement"], rows,
                     right={1, 2, 3, 4, 5, 6})]
    if report.judged:
        out.append(f"Humans and the judge agree on {report.agree} of {report.judged} judged battles "
                   f"({fmt.pct(report.agreement)}).")
    else:
        out.append("No judge verdicts on the voted pairs yet, so no agreement figure.")
    return out


def render(board, sessions: int, voters=None) -> str:
    """The leaderboard, the pairwise matrix and (given) the voter table as plain text tables."""
    from tuiarena import fmt
    from tuiarena.scoring.intervals import FEW_VOTES_NOTE, interval_text

    rows = []
    for n, r in enumerate(board.rows, 1):
        rows.append([n, r.rank, r.model, f"{r.score:.0f}", interval_text(r),
                     f"{r.elo:.0f}", r.battles, fmt.pct(r.win_rate)])
    out = [fmt.table(["#", "Rank", "Model", "BT score", "95% CI", "Elo", "Battles", "Win rate"],
                     rows, right={0, 1, 3, 4, 5, 6, 7})]
    models = [r.model for r in board.rows]
    if len(models) > 1:
        out.append("")
        out.append("Pairwise win rate (row model against column model, ties count half):")
        headers = ["#", "Model", *[str(i) for i in range(1, len(models) + 1)]]
        matrix = [[i, a, *[fmt.pct(board.matrix[a][b]) if a != b else "·" for b in models]]
                  for i, a in enumerate(models, 1)]
        out.append(fmt.table(headers, matrix, right={0, *range(2, len(models) + 2)}))
    if voters is not None:
        out.extend(render_voters(voters))
    out.append("")
    notes = [f"{board.votes} vote{'s' if board.votes != 1 else ''} from {sessions} "
             f"session{'s' if sessions != 1 else ''}; {board.rounds} bootstrap rounds (seed {board.seed})."]
    if board.excluded_leaked:
        notes.append(f"{board.excluded_leaked} identity-leaked vote(s) left out (--include-leaked to count them).")
    if board.excluded_invalid:
        notes.append(f"{board.excluded_invalid} vote(s) on failed or cut responses left out.")
    notes.append("Rank = 1 + models whose interval lies entirely above this one's.")
    if any(r.lower is None or r.upper is None for r in board.rows):
        notes.append(FEW_VOTES_NOTE)
    out.extend(notes)
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    import json

    from tuiarena.errors import UserError
    from tuiarena.scoring.ratings import leaderboard

    if args.rounds < 0:
        raise UserError("--rounds must be 0 or more")
    from tuiarena.engine.arena import collect_arena
    from tuiarena.scoring.voters import voter_table

    votes, scores, sessions, warnings = collect_arena(args.session)
    voters = voter_table(votes, scores)
    for w in warnings:
        print(f"tuiarena: skipped {w}", file=sys.stderr)
    board = leaderboard(votes, include_leaked=args.include_leaked, rounds=args.rounds, seed=args.seed)
    if args.json:
        data = board.to_dict()
        data["sessions"] = sessions
        data["voters"] = voters.to_dict()
        print(json.dumps(data, ensure_ascii=False, indent=2))
        if not board.rows:
            print("tuiarena: no usable votes yet", file=sys.stderr)
        return 0
    if not board.rows:
        where = "the named sessions" if args.session else "your saved sessions"
        extra = ""
        if board.excluded_leaked or board.excluded_invalid:
            extra = (f" ({board.excluded_leaked} identity-leaked and {board.excluded_invalid} invalid "
                     "vote(s) left out; --include-leaked counts the leaked ones)")
        print(f"No blind votes in {where} yet{extra}. Open tuiarena and start a blind battle "
              "to build a leaderboard.")
        return 0
    print(render(board, sessions, voters))
    return 0
