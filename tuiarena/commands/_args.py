"""The options several subcommands share, declared once so they read and behave the same everywhere.

Like every ``commands`` module at import time, this imports only the stdlib.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

TABLE_FORMATS = ("table", "markdown", "json", "csv")  # what a command that prints results offers


def add_models(p: argparse.ArgumentParser, default: str) -> None:
    """``-m/--model MODEL``, repeatable, into ``args.models`` (None when not given)."""
    p.add_argument("-m", "--model", action="append", dest="models", metavar="MODEL",
                   help=f"endpoint/model, repeatable (default: {default})")


def add_format(p: argparse.ArgumentParser, formats: Sequence[str] = TABLE_FORMATS, default: str | None = "table",
               help: str | None = None, short: bool = False) -> None:
    """``--format`` (``-f`` too when ``short``) among ``formats``, into ``args.format``."""
    flags = ("--format", "-f") if short else ("--format",)
    p.add_argument(*flags, choices=formats, default=default, help=help)


def add_json(p: argparse.ArgumentParser, what: str = "JSON instead of tables") -> None:
    """``--json``: print machine-readable output, into ``args.json``."""
    p.add_argument("--json", action="store_true", help=f"print {what}")
