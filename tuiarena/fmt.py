"""Formatting of figures for people: one place, so the CLI, exports and the UI agree.

Unknown values print as an em dash, never as 0; estimated token counts carry a ``~``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

DASH = "—"


def ms(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def seconds(value_ms: float | None) -> str:
    return DASH if value_ms is None else f"{value_ms / 1000:.2f}"


def rate(value: float | None) -> str:
    return DASH if value is None else f"{value:,.1f}"


def tokens(value: int | None, estimated: bool = False) -> str:
    if value is None:
        return DASH
    return f"~{value:,}" if estimated else f"{value:,}"


def cost(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "$0"
    if value < 0.01:  # two significant digits, so a small non-zero cost never reads $0.0000
        decimals = min(12, 1 - math.floor(math.log10(abs(value))))
        return f"${value:.{decimals}f}".rstrip("0")
    return f"${value:,.4f}"


def pct(value: float | None, digits: int = 0) -> str:
    """A 0..1 fraction as a percentage; unknown as a dash."""
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None, digits: int = 2) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def price_per_m(value: float | None) -> str:
    return "?" if value is None else f"${value:g}"


def md_cell(text: object) -> str:
    """A value safe inside a markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], markdown: bool = False, right: set[int] | None = None) -> str:
    """A plain aligned text table, or a GitHub markdown table."""
    srows = [[str(c) for c in row] for row in rows]
    if markdown:
        align = ["---:" if right and i in right else "---" for i in range(len(headers))]
        lines = ["| " + " | ".join(md_cell(h) for h in headers) + " |", "| " + " | ".join(align) + " |"]
        lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in srows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in srows)) if srows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(widths[i]) if right and i in right else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in srows])


# C0 except tab and newline (and CR before LF: a CSV line end), DEL, and C1 (0x9b is a one-byte CSI)
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")
_MAYBE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # a plain class scans ~3x faster
_CONTROL = {c: (f"\\x{c:02x}" if c < 0x20 else f"\\u{c:04x}") for c in [*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0)]}


def visible(text: str) -> str:
    """Text made safe for a terminal or a file: control characters are shown literally instead of
    being obeyed. C0 becomes ``\\x1b``; DEL and C1 become ``\\u009b`` (a valid escape inside a JSON
    string, so a JSON document stays valid through it). Newlines, tabs and CR LF are kept."""
    if _MAYBE_CONTROL.search(text) is None:  # the common case: nothing to do, no copy
        return text
    return _CONTROL_RE.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    return _CONTROL[ord(m.group())]
