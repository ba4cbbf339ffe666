"""argparse ``type`` functions built on :mod:`tuiarena.validate`, so a flag is checked by the same
rule as the config file and suites, with a one-line error naming the value."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def param_flag(name: str) -> Callable[[str], Any]:
    """A request parameter flag (temperature, max_tokens, seed, top_p)."""

    def convert(text: str) -> Any:
        from tuiarena.validate import BadValue, parse_param

        try:
            return parse_param(name, text)
        except BadValue as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def number_flag(lo: float | None = None, hi: float | None = None) -> Callable[[str], float]:
    """A finite number within ``[lo, hi]``."""

    def convert(text: str) -> float:
        from tuiarena.validate import BadValue, number

        try:
            return float(number(float(text), lo=lo, hi=hi))
        except ValueError as exc:  # BadValue is a ValueError; so is float("x")
            raise argparse.ArgumentTypeError(str(exc) if isinstance(exc, BadValue) else f"not a number: {text!r}") from None

    convert.__name__ = "number"
    return convert
