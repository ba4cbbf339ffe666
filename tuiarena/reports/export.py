"""One entry point for exporting a session: markdown, csv, json or html, secrets redacted, control
characters escaped (:func:`tuiarena.fmt.visible`)."""

from __future__ import annotations

from typing import Any

from tuiarena.fmt import visible
from tuiarena.reports.html import to_html
from tuiarena.reports.session import FORMATS, collect, redact_secrets
from tuiarena.reports.session_formats import to_csv, to_json, to_markdown


def export_session(log: Any, fmt_name: str, *, answers: bool = True, timelines: bool = False) -> str:
    """The whole export as text; ``fmt_name`` is one of :data:`FORMATS` ("markdown" means "md")."""
    name = {"markdown": "md", "htm": "html"}.get(fmt_name, fmt_name)
    view = collect(log)
    if name == "md":
        text = to_markdown(view, answers=answers)
    elif name == "csv":
        text = to_csv(view)
    elif name == "json":
        text = to_json(view, timelines=timelines)
    elif name == "html":
        text = to_html(view, answers=answers)
    else:
        raise ValueError(f"unknown export format {fmt_name!r} (known: {', '.join(FORMATS)})")
    return visible(redact_secrets(text))  # files keep the text, never raw control bytes
