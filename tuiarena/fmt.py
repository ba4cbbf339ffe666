"""Formatting of figures for people: one place, so the CLI, exports and the UI agree.

Unknown values print as an em dash, never as 0; estimated token counts carry a ``~``.
"""

from __future__ import annotations

import math

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


def table(headers: list[str], rows: list[list[object]], markdown: bool = False, right: set[int] | None = None) -> str:
    """A plain aligned text table, or a GitHub markdown table."""
    srows = [[str(c) for c in row] for row in rows]
    if markdown:
        align = ["---:" if right and i in right else "---" for i in range(len(headers))]
        lines = ["| " + " | ".join(md_cell(h) for h in headers) + " |", "| " + " | ".join(align) + " |"]
        lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in srows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in srows)) if srows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(widths[i]) if right and i in right else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in srows])


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0)]}


def visible(text: str) -> str:
    """Model output made safe for a terminal: control characters and escape sequences are shown
    literally (``\\x1b[31m``) instead of being obeyed. Newlines and tabs are kept."""
    return text.translate(_CONTROL)
