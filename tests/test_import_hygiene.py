"""The engine layers never import the UI toolkit, and `--version` imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

UI_PREFIXES = ("tuiarena.ui", "tuiarena.cli", "tuiarena.__main__")


def _core_modules() -> list[str]:
    """Every module of the package below the UI, found by walking it (no hand-kept list)."""
    import pkgutil

    import tuiarena

    names = [m.name for m in pkgutil.walk_packages(tuiarena.__path__, "tuiarena.")]
    return sorted(n for n in names if not n.startswith(UI_PREFIXES))


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_does_not_import_textual_or_rich():
    mods = _core_modules()
    assert "tuiarena.engine.run.runner" in mods and "tuiarena.providers.net.sockets" in mods
    loaded = _modules_after("\n".join(f"import {m}" for m in mods))
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "rich")}


def test_version_imports_nothing_heavy():
    loaded = _modules_after("from tuiarena.cli import main\nmain(['--version'])")
    heavy = {m for m in loaded if m.split(".")[0] in ("textual", "rich", "openai", "httpx", "httpx2", "pydantic")}
    assert not heavy
