"""The engine layers never import the UI toolkit, and `--version` imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "tuiarena.model",
    "tuiarena.errors",
    "tuiarena.fmt",
    "tuiarena.engine.run.runner",
    "tuiarena.engine.run.state",
    "tuiarena.engine.workspace",
    "tuiarena.providers.base",
]
OPTIONAL_CORE = [
    "tuiarena.providers.openai_compat",
    "tuiarena.providers.demo",
    "tuiarena.providers.registry",
    "tuiarena.providers.discovery",
    "tuiarena.store.config",
    "tuiarena.store.sessions",
    "tuiarena.store.pricing",
    "tuiarena.reports.session",
    "tuiarena.scoring.ratings",
    "tuiarena.scoring.checks",
    "tuiarena.scoring.judge",
    "tuiarena.engine.suite.load",
    "tuiarena.engine.sessions.replay",
]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_does_not_import_textual_or_rich():
    import importlib.util

    mods = CORE + [m for m in OPTIONAL_CORE if importlib.util.find_spec(m) is not None]
    loaded = _modules_after("\n".join(f"import {m}" for m in mods))
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "rich")}


def test_version_imports_nothing_heavy():
    loaded = _modules_after("from tuiarena.cli import main\nmain(['--version'])")
    heavy = {m for m in loaded if m.split(".")[0] in ("textual", "rich", "openai", "httpx", "httpx2", "pydantic")}
    assert not heavy
