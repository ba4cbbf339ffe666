"""The front door: ``tuiarena`` opens the UI, ``tuiarena SUBCOMMAND`` runs headless.

Each subcommand lives in ``tuiarena/commands/<name>.py`` and exposes ``add_parser(subparsers)``
and ``run(args) -> int``. Those modules import only the stdlib at module level so that building
the parser (and ``--version``) stays fast; heavy imports happen inside ``run``.

Exit codes: 0 success, 1 the job ran but something failed (a model, a requirement, a regression),
2 bad usage, config or input (one line on stderr, never a traceback), 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import NoReturn

COMMANDS = ("run", "models", "sessions", "suite", "replay", "report", "leaderboard", "history", "serve")
# subcommands that belong to the UI layer (`serve` hands the app to browsers); the rest are commands/
MODULES = {"serve": "tuiarena.ui.serve.command"}


def _version() -> str:
    from tuiarena import __version__

    return __version__


def _one_line_parser():
    import argparse

    class OneLineParser(argparse.ArgumentParser):
        """argparse whose usage errors are one line on stderr (exit 2), as the README promises."""

        def error(self, message: str) -> NoReturn:
            message = " ".join(message.split())
            self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")

    return OneLineParser


def ui_parser():
    parser = _one_line_parser()(
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
    """``tuiarena -m A -m B "prompt"`` / ``tuiarena --session NAME``: the UI, told what to do first."""
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
    import importlib

    parser = _one_line_parser()(
        prog="tuiarena",
        description="Compare LLMs side by side in the terminal. With no command, opens the UI.",
    )
    parser.add_argument("--version", action="version", version=f"tuiarena {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        where = MODULES.get(name, f"tuiarena.commands.{name}")
        try:
            module = importlib.import_module(where)
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name != where:
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["--version"], ["-V"]):  # fast path: import nothing
        print(f"tuiarena {_version()}")
        return 0
    if not argv:
        from tuiarena.ui.app import run_app

        return run_app()
    if argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        return _open_ui(argv)

    from tuiarena.commands._term import SafeStream

    # the output boundary: nothing a command prints can drive the terminal (escapes show as text)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str]) -> int:
    from tuiarena.errors import UserError

    parser = build_parser()
    args = parser.parse_args(argv)
    from tuiarena import runtime

    runtime.configure(ui=args.command is None)  # process-wide policy, once, before any work
    try:
        if args.command is None:
            from tuiarena.ui.app import run_app

            return run_app()
        code = int(args.handler(args) or 0)
        try:
            sys.stdout.flush()  # a full disk shows here, as one message, not at interpreter exit
        except BrokenPipeError:
            raise
        except OSError as exc:
            print(f"tuiarena: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
            _drop_stdout()
            return 1
        return code
    except UserError as exc:
        from tuiarena.secrets import redact

        print(f"tuiarena: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tuiarena: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tuiarena run ... | head`
        _drop_stdout()
        return 0
    except RecursionError:
        print("tuiarena: the input is nested too deeply to read", file=sys.stderr)
        return 2
    except OSError as exc:  # the environment: a full disk, a folder that is a file, no permission
        if isinstance(exc, (FileExistsError, NotADirectoryError)) and exc.filename:
            print(f"tuiarena: {exc.filename} (or a folder above it) is a file where a folder is needed: "
                  "move it away, or set TUIARENA_HOME to another folder", file=sys.stderr)
        elif exc.filename:
            print(f"tuiarena: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        elif exc.errno in _WRITE_ERRNOS or not _stdout_ok():
            print(f"tuiarena: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        else:
            print(f"tuiarena: {exc.strerror or exc}", file=sys.stderr)
        _drop_stdout()
        return 1


_WRITE_ERRNOS = {28, 27, 122, 5}  # ENOSPC, EFBIG, EDQUOT, EIO (Linux numbers; a hint only)


def _stdout_ok() -> bool:
    try:
        sys.stdout.flush()
        return True
    except (OSError, ValueError):
        return False


def _drop_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of unwritable output is silent."""
    import os

    try:
        sys.stdout.flush()
        return
    except (OSError, ValueError):
        pass
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.__stdout__.fileno())  # type: ignore[union-attr]
        os.close(fd)
    except (OSError, AttributeError, ValueError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
