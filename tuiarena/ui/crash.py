"""An internal error at exit: one line for the terminal, the traceback in a private file.

Textual prints an unhandled error's traceback to the app's ``error_console``; ``TuiArena`` points
that console at memory, and :func:`crash_line` turns what it caught into one line plus
``crash.log`` (mode 0600) with every secret-looking environment value blanked out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

_SECRET_SUFFIXES = ("_KEY", "_TOKEN", "_SECRET", "_PASSWORD")


def redact_secrets(text: str, environ: Mapping[str, str] | None = None, names: Iterable[str] = ()) -> str:
    """``text`` with the value of every environment variable named like a secret (or in ``names``,
    the variables the config says hold keys) replaced by the variable's name."""
    env = os.environ if environ is None else environ
    named = set(names)
    for name, value in env.items():
        secret = name in named or name.upper().endswith(_SECRET_SUFFIXES)
        if secret and len(value) >= 8 and value in text:
            text = text.replace(value, f"[{name}]")
    return text


def crash_line(captured: str, key_names: Iterable[str]) -> str | None:
    """The one line to print for a captured traceback (None: nothing went wrong); saves the
    redacted traceback to the cache folder's ``crash.log``."""
    text = captured.strip()
    if not text:
        return None
    text = redact_secrets(text, names=key_names)
    # the exception's own line: the last one outside the traceback's frames and Textual's notes
    plain = [s for s in (line.strip() for line in text.splitlines()) if s and s[0] not in "│╭╰" and not s.startswith("NOTE:")]
    last = plain[-1] if plain else "see the crash log"
    where: Path | None = None
    try:
        from tuiarena.store.paths import cache_dir, write_private

        where = cache_dir() / "crash.log"
        write_private(where, text + "\n")
    except Exception:
        where = None
    return f"tuiarena: internal error: {last}" + (f" (details in {where})" if where else "")
