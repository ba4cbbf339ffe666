"""The compact pace record stored with each response: ``[[ms, cumulative_chars], ...]``.

Points are coalesced into windows of ``WINDOW_MS``: each stored point is the state at the end of a
window, so replay reproduces the pace within that resolution without one line per token.
"""

from __future__ import annotations

WINDOW_MS = 20.0


class Timeline:
    __slots__ = ("points", "_anchor")

    def __init__(self) -> None:
        self.points: list[list[float]] = []
        self._anchor = -1e18

    def add(self, ms: float, chars: int) -> None:
        ms = round(ms, 1)
        if ms - self._anchor < WINDOW_MS and self.points:
            last = self.points[-1]
            last[0] = ms
            last[1] = chars
        else:
            self._anchor = ms
            self.points.append([ms, chars])


def points(value: list[list[float]] | str | None) -> list[list[float]]:
    """Timeline points from either form: the in-memory list or the stored ``"ms,chars ..."`` string."""
    if not value:
        return []
    if not isinstance(value, str):
        return value
    out = []
    for pair in value.split():
        ms, _, chars = pair.partition(",")
        out.append([float(ms), int(float(chars))])
    return out
