"""What the suite screen saves: the report (the same text as ``tuiarena suite --out FILE``, the
extension picks the format) and the routing table, with the file name offered by default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

KINDS = {"report": "report (.html, .md, .json, .csv or .txt)", "routing": "routing table"}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "suite"


def default_path(kind: str, report: dict[str, Any]) -> Path:
    """``suite-NAME.html`` or ``suite-NAME-routing.toml`` in the current directory."""
    ext = "html" if kind == "report" else "toml"
    stem = _slug(f"suite-{report['suite']}" + ("" if kind == "report" else "-routing"))
    return Path.cwd() / f"{stem}.{ext}"


def export_text(kind: str, path: Path, report: dict[str, Any], result: Any = None) -> str:
    """The file's text: the report in the format ``path``'s extension names (Markdown without one),
    or the routing table as TOML."""
    if kind == "report":
        from tuiarena.reports.suite import format_for, render

        return render(report, format_for(None, str(path)) if path.suffix else "markdown", result) + "\n"
    from tuiarena import __version__
    from tuiarena.engine.suite.requirements import routing_toml

    return routing_toml(report["routing"], report["suite"], __version__)
