"""``tuiarena serve``: the app in the browser (textual-serve), by default the team's blind arena.
(A subcommand in the UI layer: it starts the UI for browsers; ``cli.MODULES`` points here.)

Each browser connection runs its own app process (``python -m tuiarena.ui.serve``) with this
process's environment (so API keys stay on the server) and writes its own session file. Binding
any address other than loopback needs a token; without ``--token`` one is generated and the URL
carrying it is printed.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the blind arena (or the whole app) to browsers, for a team's votes",
        description="Serve tuiarena to web browsers with textual-serve: each browser gets its own app "
        "process. --mode arena (the default) shows voters only blind battles and the leaderboard; "
        "every connection writes its own session file and `tuiarena leaderboard` merges them. "
        "Loopback only unless --host names another address, which needs a token.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything "
                   "else requires a token)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--mode", choices=("arena", "full"), default="arena",
                   help="arena: blind battles and the leaderboard only (default); full: the whole app, "
                   "for your own use")
    p.add_argument("--prompts", metavar="FILE",
                   help="the shared prompt list: a suite file (JSONL or TOML, as `tuiarena suite` reads it)")
    p.add_argument("--model", "-m", action="append", default=[], metavar="M",
                   help="a model in the arena (repeatable; default: the selection saved by the UI, or "
                   "the demo models)")
    p.add_argument("--judge", metavar="M",
                   help="after each vote, a pairwise judge (both orders) on the same two answers, so the "
                   "leaderboard shows how often the voters agree with it")
    p.add_argument("--warm", type=int, default=4, metavar="N",
                   help="app processes kept started ahead of browsers, so a page paints at once (default 4; "
                   "about 35 MB each; 0 starts each one when its browser connects)")
    p.add_argument("--token", metavar="T", help="secret every page and websocket must carry (generated "
                   "when binding a non-loopback address without one)")
    p.set_defaults(handler=run)


def arena_models(given: list[str]) -> list[str]:
    """The arena's roster: --model, else the UI's saved selection (2+), else the demo trio."""
    from tuiarena.errors import UserError
    from tuiarena.model import ModelRef
    from tuiarena.ui.app_options import DEFAULT_PICK

    models = list(dict.fromkeys(m.strip() for m in given if m.strip()))
    if not models:
        from tuiarena.store.config import load_config

        selected = list(load_config().ui.selected)
        models = selected if len(selected) >= 2 else list(DEFAULT_PICK)
    for m in models:
        try:
            ModelRef.parse(m)
        except ValueError as exc:
            raise UserError(f"--model {m!r}: {exc}") from None
    if len(models) < 2:
        raise UserError("the arena needs at least two models (repeat --model)")
    return models


def app_command(mode: str, models: list[str], prompts: str | None, judge: str | None = None) -> str:
    """The shell command textual-serve runs for each connection."""
    import shlex
    import sys

    argv = [sys.executable, "-m", "tuiarena.ui.serve", "--mode", mode]
    for m in models:
        argv += ["--model", m]
    if prompts:
        argv += ["--prompts", prompts]
    if judge:
        argv += ["--judge", judge]
    return shlex.join(argv)


def run(args: argparse.Namespace) -> int:
    import secrets
    from pathlib import Path

    from tuiarena.errors import UserError

    try:
        from tuiarena.ui.serve import addresses
        from tuiarena.ui.serve.server import ArenaServer
    except ModuleNotFoundError as exc:  # textual-serve / aiohttp missing from a partial install
        raise UserError(f"tuiarena serve needs the package {exc.name!r}: pip install textual-serve") from None
    if not 1 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: pick 1..65535")
    token = args.token
    if token is not None and len(token.strip()) < 8:
        raise UserError("--token: use at least 8 characters (or leave it out to get a generated one)")
    generated = False
    if token is None and not addresses.is_loopback(args.host):
        token, generated = secrets.token_urlsafe(18), True
    prompts = None
    if args.prompts:
        from tuiarena.engine.suite.load import load_suite, resolve_suite_path

        suite = load_suite(args.prompts)  # a bad file: one clear message now, not in every browser
        if not suite.cases:
            raise UserError(f"{args.prompts}: no prompts in it")
        prompts = str(Path(resolve_suite_path(args.prompts)).resolve())
    models = arena_models(args.model)
    judge = args.judge.strip() if args.judge else None
    if judge:
        from tuiarena.model import ModelRef

        try:
            ModelRef.parse(judge)
        except ValueError as exc:
            raise UserError(f"--judge {judge!r}: {exc}") from None
    from tuiarena.store.paths import sessions_dir

    if not 0 <= args.warm <= 200:
        raise UserError(f"--warm {args.warm}: pick 0..200")
    server = ArenaServer(app_command(args.mode, models, prompts, judge), host=args.host, port=args.port, token=token,
                         warm=args.warm)
    print(f"tuiarena serve: {args.mode} mode, {len(models)} models, one app process per browser; "
          f"votes go to {sessions_dir()}")
    if judge in models:
        print(f"tuiarena serve: warning: the judge {judge} is also in the arena: it may favour its own answers")
    if generated:
        print("tuiarena serve: not on loopback, so a token is needed; a new one was generated.")
    print(f"Open: {addresses.url_for(args.host, args.port, token)}")
    if args.host in ("0.0.0.0", "::"):
        address = addresses.outward_address()
        if address:
            print(f"  or, where that name does not resolve: {addresses.url_for(address, args.port, token)}")
    print("Ctrl+C stops the server.", flush=True)
    server.run_forever()
    return 0
