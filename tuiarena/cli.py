"""The front door: ``tuiarena`` opens the UI, ``tuiarena SUBCOMMAND`` runs headless.

Each subcommand lives in ``tuiarena/commands/<name>.py`` and exposes ``add_parser(subparsers)``
and ``run(args) -> int``. Those modules import only the stdlib at module level so that building
the parser (and ``--version``) stays fast; heavy imports happen inside ``run``.

Exit codes: 0 success, 1 the job ran but something failed (a model, a requirement, a regression),
2 bad usage, config or input (one line on stderr, never a traceback), 130 interrupted.
"""

from __future__ import annotations

import sys

COMMANDS = ("run", "models", "sessions", "suite", "replay", "report", "leaderboard", "history")


def _version() -> str:
    from tuiarena import __version__

    return __version__


def ui_parser():
    import argparse

    parser = argparse.ArgumentParser(
        prog="tuiarena",
        usage='tuiarena [-m MODEL ...] [--system TEXT] ["PROMPT"] | tuiarena --session SESSION | tuiarena COMMAND ...',
        description="Open the UI: with -m, those models are picked; with a PROMPT, it runs at once; "
                    "--session opens a saved session. Commands: " + ", ".join(COMMANDS) + " (tuiarena -h).",
    )
    parser.add_argument("-m", "--model", action="append", default=[], metavar="MODEL",
                        help="a model to pick (endpoint/model, as `tuiarena models` lists them); repeat for more")
    parser.add_argument("--system", default=None, help="system prompt for the first run")
    parser.add_argument("--session", default=None, metavar="SESSION",
                        help="open a saved session (id, name, file name or path)")
    parser.add_argument("prompt", nargs="?", default=None, help="run this prompt at once")
    return parser


def _open_ui(argv: list[str]) -> int:
    from tuiarena.errors import UserError

    args = ui_parser().parse_args(argv)
    if args.prompt is not None and not args.prompt.strip():
        print("tuiarena: the prompt is empty", file=sys.stderr)
        return 2
    session = None
    if args.session:
        from tuiarena.store.sessions import resolve_session

        try:
            session = resolve_session(args.session)
        except UserError as exc:
            print(f"tuiarena: {exc}", file=sys.stderr)
            return exc.exit_code
    from tuiarena.ui.app import StartRequest, run_app

    return run_app(StartRequest(models=list(args.model), prompt=args.prompt, system=args.system, session=session))


def build_parser():
    import argparse
    import importlib

    parser = argparse.ArgumentParser(
        prog="tuiarena",
        description="Compare LLMs side by side in the terminal. With no command, opens the UI.",
    )
    parser.add_argument("--version", action="version", version=f"tuiarena {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"tuiarena.commands.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name != f"tuiarena.commands.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["--version"], ["-V"]):  # fast path: import nothing
        print(f"tuiarena {_version()}")
        return 0

    from tuiarena.errors import UserError

    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        return _open_ui(argv)  # ``tuiarena -m A -m B "prompt"`` / ``tuiarena --session NAME``
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from tuiarena.ui.app import run_app

            return run_app()
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"tuiarena: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tuiarena: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tuiarena run ... | head`
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
