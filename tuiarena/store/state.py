"""UI state the app remembers between runs: ``state.json`` beside ``config.toml``.

``config.toml`` is the user's file: the UI never writes it. What the UI remembers on its own (the
models ticked in the roster, the theme, whether blind mode shows speeds) goes here instead; prompt
history has its own ``history.json``. Reading: the ``[ui]`` keys of config.toml are the starting
values (older versions stored them there: they are still read, never written back), and this
file's values win. A missing or broken state file is an empty state; it is written 0600.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tuiarena.store import paths

STATE_NAME = "state.json"
FIELDS: dict[str, type] = {"theme": str, "selected": list, "show_speed_in_blind": bool}


def state_file(config_path: Path | None = None) -> Path:
    """The state file beside ``config_path`` (default: beside the user's config.toml)."""
    return (config_path or paths.config_file()).parent / STATE_NAME


def load_state(path: Path | None = None) -> dict[str, Any]:
    """The remembered fields with the right types; anything else in the file is ignored."""
    path = path or state_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        value = data.get(name)
        if name == "selected":
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                out[name] = list(value)
        elif isinstance(value, kind):
            out[name] = value
    return out


def save_state(path: Path | None = None, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` (``theme=``, ``selected=``, ``show_speed_in_blind=``; ``None`` forgets one)
    into the state file and write it atomically, 0600. Returns the new state."""
    bad = set(fields) - set(FIELDS)
    if bad:
        raise TypeError(f"save_state: unknown field(s) {sorted(bad)}; allowed: {sorted(FIELDS)}")
    path = path or state_file()
    old = load_state(path)
    state = dict(old)
    for name, value in fields.items():
        if value is None:
            state.pop(name, None)
        else:
            state[name] = list(value) if name == "selected" else value
    if state == old and path.exists():
        return state  # nothing changed: nothing written
    paths.write_private(path, json.dumps(state, ensure_ascii=False, indent=1) + "\n")
    return state


__all__ = ["STATE_NAME", "load_state", "save_state", "state_file"]
