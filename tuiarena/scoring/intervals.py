"""The leaderboard's 95% intervals as the votes allow them: percentile quantiles of the bootstrap
fits, the rank rule on them, and no bound where resampling cannot give one (decision 0026: under
5 battles, or a side that votes all one way leave unbounded), with the text a table shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def quantile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default) of an already sorted list."""
    if not sorted_values:
        return float("nan")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def ranks_from_intervals(intervals: Mapping[str, tuple[float | None, float | None]]) -> dict[str, int]:
    """rank = 1 + number of models whose lower bound is above this model's upper bound (a bound of
    None is unbounded: such a model is not ranked below, or above, any other on that side)."""
    lows = [-math.inf if lo is None else lo for lo, _ in intervals.values()]
    return {
        m: 1 + sum(1 for lo in lows if lo > (math.inf if hi is None else hi))
        for m, (_, hi) in intervals.items()
    }


MIN_BATTLES_FOR_INTERVAL = 5
FEW_VOTES_NOTE = ("No interval under 5 battles; \"≥\" / \"≤\": the votes all went one way, so "
                  "resampling them cannot bound that side.")


def honest_interval(lower: float, upper: float, battles: int, wins: int, losses: int) -> tuple[float | None, float | None]:
    """The bootstrap interval, or None for a side the votes cannot bound. Resampling a few votes, or
    votes that all went one way, gives every resample the same fit: a zero-width interval that
    looks certain ("1095 – 1095" after one vote). Under ``MIN_BATTLES_FOR_INTERVAL`` battles there
    is no interval; with no spread, a model that never lost has no upper bound, one that never won
    no lower bound, and any other no interval."""
    if battles < MIN_BATTLES_FOR_INTERVAL:
        return None, None
    if upper - lower > 1e-9:
        return lower, upper
    if losses == 0 and wins > 0:
        return lower, None
    if wins == 0 and losses > 0:
        return None, upper
    return None, None


def interval_text(row: Any) -> str:
    """The 95% interval as a table shows it: "905 – 1095", "≥ 1095", "≤ 905", "few votes" or "no spread"."""
    if row.lower is None and row.upper is None:
        return "few votes" if row.battles < MIN_BATTLES_FOR_INTERVAL else "no spread"
    if row.upper is None:
        return f"≥ {row.lower:.0f}"
    if row.lower is None:
        return f"≤ {row.upper:.0f}"
    return f"{row.lower:.0f} – {row.upper:.0f}"
