"""``tuiarena sessions``: list saved sessions; import, delete or rename one."""

from __future__ import annotations

import argparse
import sys

from tuiarena.commands._args import add_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sessions",
        help="list saved sessions (or import / delete / rename one)",
        description="With no action, list saved sessions newest first. A session is named by its id, "
        "a unique id prefix, its name, its file path, or 'latest'.",
    )
    add_json(p, "a JSON list instead of a table")
    p.add_argument("--filter", metavar="TEXT", help="only sessions whose id, name, kind, models or prompt contain TEXT")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    lp = actions.add_parser("list", help="list sessions (the default)")
    lp.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    lp.add_argument("--filter", metavar="TEXT", default=argparse.SUPPRESS)
    ip = actions.add_parser("import", help="copy a session file from elsewhere into your sessions")
    ip.add_argument("file")
    dp = actions.add_parser("delete", help="delete a session")
    dp.add_argument("session")
    dp.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    rp = actions.add_parser("rename", help="rename a session")
    rp.add_argument("session")
    rp.add_argument("name")
    p.set_defaults(handler=run, action=None)


def run(args: argparse.Namespace) -> int:
    action = args.action or "list"
    return {"list": _list, "import": _import, "delete": _delete, "rename": _rename}[action](args)


def _when(ts: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "?"


def _list(args: argparse.Namespace) -> int:
    import json

    from tuiarena import fmt
    from tuiarena.store import paths
    from tuiarena.store.sessions import list_sessions

    every = list_sessions(include_invalid=True)
    if args.filter:
        every = [s for s in every if s.matches(args.filter)]
    if args.json:
        print(json.dumps([s.to_dict() for s in every], ensure_ascii=False, indent=2))
        return 0
    sessions = [s for s in every if s.error is None]
    bad = [s for s in every if s.error is not None]
    if bad:  # listed, not hidden: the user should know a file is there and why it is skipped
        print(f"unreadable session files ({len(bad)}), skipped:", file=sys.stderr)
        for s in bad:
            print(f"  {s.path.name}: {s.error}", file=sys.stderr)
    if not sessions:
        what = f"matching {args.filter!r}" if args.filter else "saved yet"
        print(f"no sessions {what} (folder: {paths.sessions_dir()})")
        return 0
    headers = ["Created", "ID", "Name", "Kind", "Models", "Runs", "Responses", "Votes", "Cost"]
    rows = []
    for s in sessions:
        models = ", ".join(s.models)
        if len(models) > 48:
            models = models[:47] + "…"
        name = fmt.visible(s.name or s.first_prompt)
        rows.append([_when(s.created), s.session_id, name[:40], s.kind, models, s.runs,
                     s.responses if not s.failed else f"{s.responses} ({s.failed} failed)", s.votes,
                     fmt.cost(s.cost_usd)])
    print(fmt.table(headers, rows, right={5, 6, 7, 8}))
    return 0


def _import(args: argparse.Namespace) -> int:
    from tuiarena.store.sessions import import_session, read_header

    target = import_session(args.file)
    header = read_header(target)
    print(f"imported session {header.session_id} ({header.name or 'unnamed'}) as {target}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from tuiarena.errors import UserError
    from tuiarena.store.sessions import delete_session, read_session, resolve_session

    path = resolve_session(args.session)
    if not args.yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError(f"not deleting {path.name} without confirmation: pass --yes")
        log = read_session(path)
        answer = input(f"delete session {log.header.session_id} ({log.name or 'unnamed'}, "
                       f"{len(log.events)} events)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 0
    delete_session(path)
    print(f"deleted {path}")
    return 0


def _rename(args: argparse.Namespace) -> int:
    from tuiarena.errors import UserError
    from tuiarena.store.sessions import read_header, rename_session, resolve_session

    if not args.name.strip():
        raise UserError("the new name is empty")
    path = resolve_session(args.session)
    notice = rename_session(path, args.name)
    if notice:
        import sys

        print(f"tuiarena: {notice}", file=sys.stderr)
    print(f"renamed session {read_header(path).session_id} to {args.name.strip()!r}")
    return 0
