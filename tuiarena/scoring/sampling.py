"""Exact binomial and multinomial draws from a seeded ``random.Random`` (stdlib only).

Used by the ratings bootstrap: resampling N votes with replacement is one multinomial draw over
the distinct (pair, outcome) cells, which binomial splitting does in a few hundred draws.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from math import floor, lgamma, log, log2, sqrt


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) draw from ``rng``.

    Port of CPython 3.12's ``random.binomialvariate`` (Devroye's geometric method when n*p < 10,
    Hormann's BTRS otherwise), kept here so that 3.11 has it and the same seed gives the same
    draws on every Python version.
    """
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    if n == 1:
        return int(rng.random() < p)
    if p > 0.5:
        return n - _draw(rng.random, n, 1.0 - p)
    return _draw(rng.random, n, p)


def _draw(random_: Callable[[], float], n: int, p: float) -> int:
    """Binomial(n, p) for n >= 2 and 0 < p <= 0.5; ``random_`` is a bound ``rng.random``."""
    if n * p < 10.0:
        x = y = 0
        c = log2(1.0 - p)
        if not c:
            return 0
        while True:
            y += floor(log2(random_()) / c) + 1
            if y > n:
                return x
            x += 1
    spq = sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a2 = 2.0 * (-0.0873 + 0.0248 * b + 0.01 * p)
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    setup = False
    alpha = lpq = h = 0.0
    m = 0
    while True:
        u = random_() - 0.5
        us = 0.5 - abs(u)
        k = floor((a2 / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = random_()
        if us >= 0.07 and v <= vr:
            return k
        if not setup:
            alpha = (2.83 + 5.1 / b) * spq
            lpq = log(p / (1.0 - p))
            m = floor((n + 1) * p)
            h = lgamma(m + 1) + lgamma(n - m + 1)
            setup = True
        v *= alpha / (a2 * 0.5 / (us * us) + b)
        if log(v) <= h - lgamma(k + 1) - lgamma(n - k + 1) + (k - m) * lpq:
            return k


def multinomial(rng: random.Random, n: int, counts: list[int]) -> list[int]:
    """Draw ``n`` items with probabilities ``counts/sum(counts)`` (binomial splitting)."""
    random_ = rng.random
    left = sum(counts)
    out: list[int] = []
    append = out.append
    for c in counts:
        if n <= 0 or c <= 0:
            append(0)
        elif c >= left:
            append(n)
            n = 0
        else:
            if n == 1:
                k = int(random_() < c / left)
            else:
                p = c / left
                k = n - _draw(random_, n, 1.0 - p) if p > 0.5 else _draw(random_, n, p)
            append(k)
            n -= k
        left -= c
    return out
