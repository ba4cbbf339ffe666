"""Write session files exactly as SessionWriter does (compact JSON, one event per line), so that the
index's cheap scan (tuiarena.store.session_index) sees runs, models and costs."""

from __future__ import annotations

import json
from pathlib import Path

from tuiarena.model import SessionHeader


def write_compact(path: Path, events: list, header: SessionHeader) -> Path:
    enc = [json.dumps(e.to_record(), ensure_ascii=False, separators=(",", ":")) for e in [header, *events]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(enc) + "\n", encoding="utf-8")
    return path
