"""``--connect-timeout``, ``--timeout`` and ``--deadline`` for commands that send requests: they
override every endpoint's limits (see ``tuiarena.providers.limits``). Stdlib-only at import."""

from __future__ import annotations

import argparse
from typing import Any


def _seconds(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds above 0")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("time limits (override every endpoint's config)")
    g.add_argument("--connect-timeout", type=_seconds, metavar="S", help="connecting (default 10)")
    g.add_argument("--timeout", type=_seconds, metavar="S",
                   help="silence: give up when no byte arrives for S seconds (default 60)")
    g.add_argument("--deadline", type=_seconds, metavar="S",
                   help="the whole response, retries included (default 300)")


def apply(args: argparse.Namespace, ws: Any) -> None:
    from tuiarena.providers.limits import apply_overrides

    apply_overrides(ws.registry.endpoints.values(), connect_s=args.connect_timeout, silence_s=args.timeout,
                    deadline_s=args.deadline)
