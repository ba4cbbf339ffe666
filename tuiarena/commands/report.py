"""``tuiarena report SESSION``: export a saved session as Markdown, CSV, JSON or one HTML file.

``--diff OTHER`` instead compares two sessions prompt by prompt (old = SESSION, new = OTHER) and
prints the change in latency, tokens, cost and scores per model, as Markdown or JSON.
"""

from __future__ import annotations

import argparse

from tuiarena.commands._args import add_format

FORMATS = ("md", "markdown", "csv", "json", "html")
_BY_SUFFIX = {".md": "md", ".markdown": "md", ".csv": "csv", ".json": "json", ".html": "html", ".htm": "html"}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="export a saved session (md, csv, json, html) or diff two sessions",
        description="Export a saved session. SESSION is an id, a unique id prefix, a name, a file path or "
        "'latest'. Without --out the report goes to stdout; with --out it is written to FILE (mode 0600) "
        "and the format follows the file's extension unless --format is given.",
    )
    p.add_argument("session", help="session id, name, path or 'latest'")
    add_format(p, FORMATS, default=None, help="md (default), csv, json or html; a suite session gives the suite "
               "report (matrix, summary, verdicts, recommendation, routing, statistics)", short=True)
    p.add_argument("--out", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--no-answers", action="store_true", help="md/html: figures and scores only, no answer text")
    p.add_argument("--timelines", action="store_true", help="json: keep each response's pace timeline")
    p.add_argument("--diff", metavar="OTHER", help="compare SESSION (old) with OTHER (new) instead of exporting")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from tuiarena.errors import UserError
    from tuiarena.store import paths
    from tuiarena.store.sessions import read_session, resolve_session

    name = args.format
    if name is None and args.out:
        name = _BY_SUFFIX.get(Path(args.out).suffix.lower())
    name = {"markdown": "md"}.get(name or "md", name or "md")
    if args.diff and name not in ("md", "json"):
        raise UserError(f"--diff prints md or json, not {name}")

    if not args.diff and name != "html" and _is_suite(resolve_session(args.session)):
        return _stream_suite(resolve_session(args.session), name, args.out)  # figures only: read as a stream
    if name == "csv" and not args.diff:
        return _stream_csv(resolve_session(args.session), args.out)  # a stream: a big session needs no memory
    log = read_session(resolve_session(args.session))
    for line in log.skipped_notes():
        print(f"tuiarena: {line}", file=sys.stderr)
    if args.diff:
        other = read_session(resolve_session(args.diff))
        text = render_diff(log, other, name)
    elif log.header.kind == "suite":  # a suite reopens as the suite report it printed when it ended
        from tuiarena.reports.session import redact_secrets
        from tuiarena.reports.suite import render_session

        text = redact_secrets(render_session(log, name, answers=not args.no_answers))
    else:
        from tuiarena.reports.export import export_session

        text = export_session(log, name, answers=not args.no_answers, timelines=args.timelines)

    if args.out:
        out = Path(args.out).expanduser()
        if out.is_dir():
            raise UserError(f"--out {out} is a folder; give a file name such as {out / ('report.' + name)}")
        paths.write_output(out, text)
        print(f"tuiarena: wrote {out}", file=sys.stderr)
        return 0
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _is_suite(path) -> bool:
    """Whether the session's header line says kind "suite" (its csv is the suite report's, not a stream)."""
    import json

    try:
        with open(path, "rb") as fh:
            head = json.loads(fh.readline() or b"{}")
    except (OSError, ValueError):
        return False
    return isinstance(head, dict) and head.get("kind") == "suite"


def _stream_suite(path, name: str, out_name: str | None) -> int:
    """A suite session's report (any format but html) from the file read as a stream, written in pieces."""
    import sys
    from pathlib import Path

    from tuiarena.reports.suite import stream_session
    from tuiarena.store import paths
    from tuiarena.store.sessions import SessionLog, read_header

    skipped: list[tuple[int, str]] = []
    pieces = stream_session(path, name, skipped)
    for line in SessionLog(path=Path(path), header=read_header(path), skipped=skipped).skipped_notes():
        print(f"tuiarena: {line}", file=sys.stderr)
    if out_name:
        out = paths.write_output(out_name, "".join(pieces))  # (refuses a folder or a missing one)
        print(f"tuiarena: wrote {out}", file=sys.stderr)
        return 0
    held = ""
    for piece in filter(None, pieces):
        if held:
            sys.stdout.write(held)
        held = piece
    sys.stdout.write(held if held.endswith("\n") else held + "\n")  # one write: "\r" then "\n" is a CRLF
    return 0


def _stream_csv(path, out_name: str | None) -> int:
    import os
    import sys
    import tempfile
    from pathlib import Path

    from tuiarena.errors import UserError
    from tuiarena.reports.csv_stream import CsvPlan
    from tuiarena.store import paths
    from tuiarena.store.sessions import SessionLog

    plan = CsvPlan(path)

    def notes() -> None:  # after writing: the second pass may skip a line the first only glanced at
        for line in SessionLog(path=Path(path), header=plan.header, skipped=plan.skipped).skipped_notes():
            print(f"tuiarena: {line}", file=sys.stderr)

    if not out_name:
        plan.write(sys.stdout.write)
        notes()
        return 0
    out = paths.check_output(out_name)  # a folder, or a missing one, is refused as for every format
    try:
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                plan.write(fh.write)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    notes()
    print(f"tuiarena: wrote {out}", file=sys.stderr)
    return 0


def render_diff(old_log, new_log, name: str) -> str:
    import json

    from tuiarena import fmt
    from tuiarena.engine.sessions.diff import diff_sessions, summarise
    from tuiarena.reports.session import redact_secrets

    diffs = diff_sessions(old_log, new_log)
    summary = summarise(diffs)
    if name == "json":
        data = {
            "old_session": old_log.header.session_id,
            "new_session": new_log.header.session_id,
            "summary": summary,
            "prompts": [
                {
                    "key": d.key, "status": d.status, "case_id": d.case_id, "prompt": d.prompt,
                    "models": [
                        {
                            "old_model": m.old_model, "new_model": m.new_model,
                            "old_text": m.old.text if m.old else None, "new_text": m.new.text if m.new else None,
                            "old_status": m.old.status if m.old else None, "new_status": m.new.status if m.new else None,
                            "d_total_ms": m.d_total_ms, "d_ttft_ms": m.d_ttft_ms, "d_tokens": m.d_tokens,
                            "d_cost_usd": m.d_cost_usd, "regressed": m.regressed, "improved": m.improved,
                            "scores": [{"scorer": s.scorer, "old": s.old_score, "new": s.new_score, "old_passed": s.old_passed,
                                        "new_passed": s.new_passed} for s in m.scores],
                        }
                        for m in d.models
                    ],
                }
                for d in diffs
            ],
        }
        return redact_secrets(json.dumps(data, ensure_ascii=False, indent=2) + "\n")

    def signed(value, render) -> str:
        if value is None:
            return fmt.DASH
        return ("+" if value > 0 else "") + render(value)

    lines = [f"# Diff: {old_log.header.session_id} → {new_log.header.session_id}", "",
             ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in summary.items()), ""]
    rows = []
    for d in diffs:
        for m in d.models:
            verdict = "regressed" if m.regressed else "improved" if m.improved else ("changed" if m.text_changed else "same")
            rows.append([d.case_id or d.prompt[:50], m.label, signed(m.d_ttft_ms, lambda v: f"{v:,.0f}"),
                         signed(m.d_total_ms, lambda v: f"{v / 1000:.2f}"), signed(m.d_tokens, lambda v: f"{v:,}"),
                         signed(m.d_cost_usd, lambda v: f"{v:.5f}"), d.status if d.status != "matched" else verdict])
    lines.append(fmt.table(["Prompt", "Model", "Δ TTFT (ms)", "Δ Total (s)", "Δ Tokens", "Δ Cost ($)", "Result"],
                           [[fmt.visible(c) for c in r] for r in rows], markdown=True, right={2, 3, 4, 5}))
    return redact_secrets("\n".join(lines) + "\n")
