"""Filling a ``DataTable`` whole (the leaderboard's tables, the suite summary) with every column
as wide as its widest cell, given when the column is added.

Why not Textual's auto width: a ``DataTable`` measures auto-width columns when it is next idle,
and caches each rendered row under a counter that measuring does not advance. A frame painted
between the rows being added and that idle moment kept the header's widths ("de" for
"demo/swift") until the table next changed — seen in 1 to 2 pictures of the leaderboard in 12.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable


def fill_table(table: DataTable, columns: Sequence[tuple[str | Text, str]],
               rows: Sequence[tuple[str, Sequence[Text]]]) -> DataTable:
    """``table`` cleared (columns too) and filled: ``columns`` are (label, key), ``rows`` are
    (key, cells) with one-line ``Text`` cells; each column as wide as its label or widest cell."""
    table.clear(columns=True)
    for i, (label, key) in enumerate(columns):
        widths = [cells[i].cell_len for _, cells in rows if i < len(cells)]
        head = label.cell_len if isinstance(label, Text) else cell_len(label)
        table.add_column(label, key=key, width=max([head, *widths]))
    for key, cells in rows:
        table.add_row(*cells, key=key)
    return table


__all__ = ["fill_table"]
