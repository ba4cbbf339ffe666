"""Editing text in the user's own editor (``$VISUAL``, then ``$EDITOR``, then ``vi``).

The app steps aside with ``App.suspend()`` while the editor runs; the text goes through a private
temporary file (mode 0600) that is removed afterwards.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path


def editor_command() -> list[str]:
    raw = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(raw)


def edit_text(app, text: str) -> tuple[str | None, str]:
    """(new text or None when unchanged/unavailable, problem message or "")."""
    command = editor_command()
    fd, name = tempfile.mkstemp(prefix="tuiarena-prompt-", suffix=".md")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            with app.suspend():
                result = subprocess.run([*command, str(path)], check=False)
        except Exception as exc:  # SuspendNotSupported (browser, tests) or the editor is missing
            return None, f"cannot open the editor {command[0]!r}: {exc or type(exc).__name__}"
        if result.returncode != 0:
            return None, f"the editor {command[0]!r} exited with status {result.returncode}; prompt unchanged"
        new = path.read_text(encoding="utf-8")
        return (new if new != text else None), ""
    finally:
        path.unlink(missing_ok=True)
