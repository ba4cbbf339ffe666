"""Statistics behind a choice between models: intervals per model, paired tests per pair.

Pure stdlib (``math``, ``random``, ``bisect``, ``statistics``); every function is deterministic for
a given seed. What each promises:

* :func:`wilson` — the Wilson score 95% interval of a proportion (fractional successes allowed, so
  repeats folded into a per-case pass fraction still give an interval over *cases*).
* :func:`bootstrap_ratio` — a Poisson bootstrap (each case weighted by an independent Poisson(1)
  count per round) of ``sum(x) / sum(y)``: a mean when ``y`` is 1 (or a case weight), cost per
  acceptable answer when ``x`` is cost and ``y`` is pass. Cases with equal ``(x, y)`` are grouped
  (a group of m cases draws one Poisson(m) count); the groups that could skew the result (the
  largest influence) are drawn exactly, all rounds at once; the rest are pooled into one bivariate
  normal with their exact moments. See docs/decisions/0060-fast-bootstrap.md for why and how fast.
* :func:`bootstrap_quantile` — the bootstrap interval of a percentile (numpy's linear
  interpolation) from the order statistics of the resample: U(k) ~ Beta(k, n-k+1), so each round
  costs two ``betavariate`` calls whatever n is.
* :func:`mcnemar_exact`, :func:`sign_test` — exact two-sided binomial tests on discordant pairs.
* :func:`compare` — one pair of models on the same cases: the tests, the difference with its
  interval, and a plain sentence saying whether the ranking is decisive.
"""

from __future__ import annotations

import heapq
import math
import operator
import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054
Z80 = 0.8416212335729143  # one-sided z for 80% power
ROUNDS = 1000
EXACT_GROUPS = 32  # groups drawn exactly per round; the rest pooled into one normal
POOL_MIN = 30  # a group this large is pooled whatever its influence: Poisson(m) ~ N(m, m)
Interval = tuple[float, float]


def wilson(successes: float, n: float, z: float = Z95) -> Interval | None:
    """Wilson score interval of ``successes / n`` (None when n is 0)."""
    if n <= 0:
        return None
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


_CDF: dict[int, list[float]] = {}


def _poisson_cdf(m: int) -> list[float]:
    """Cumulative Poisson(m) probabilities up to where the tail is below 1e-12."""
    cdf = _CDF.get(m)
    if cdf is None:
        p = math.exp(-m)
        acc, k, cdf = p, 0, [p]
        while acc < 1 - 1e-12 and k < 20 * m + 40:
            k += 1
            p *= m / k
            acc += p
            cdf.append(acc)
        cdf[-1] = 1.0
        _CDF[m] = cdf
    return cdf


def _poisson_draws(m: int, rounds: int, rng: random.Random) -> list[int]:
    cdf = _poisson_cdf(m)
    rand = rng.random
    return [bisect_right(cdf, rand()) for _ in range(rounds)]


def _quantiles(values: list[float], lo: float = 2.5, hi: float = 97.5) -> Interval:
    xs = sorted(values)
    return percentile_sorted(xs, lo), percentile_sorted(xs, hi)


def percentile_sorted(xs: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) on sorted ``xs``; q in 0..100."""
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _normals(rng: random.Random, k: int) -> tuple[list[float], list[float]]:
    """2k independent standard normals (Box-Muller), as two lists of k, built a list at a time."""
    rand = rng.random
    radius = [math.sqrt(-2.0 * math.log(1.0 - rand())) for _ in range(k)]
    angle = [math.tau * rand() for _ in range(k)]
    return list(map(operator.mul, radius, map(math.cos, angle))), list(map(operator.mul, radius, map(math.sin, angle)))


def bootstrap_ratio(x: Sequence[float], y: Sequence[float] | None = None, *, rounds: int = ROUNDS,
                    seed: int | str = 0) -> Interval | None:
    """95% Poisson-bootstrap interval of ``sum(x) / sum(y)`` over cases (``y`` defaults to 1s).

    None when there are no cases or ``sum(y)`` is 0. Rounds whose resampled ``sum(y)`` is not
    positive are dropped (they have no ratio).
    """
    n = len(x)
    if n == 0:
        return None
    ys = [1.0] * n if y is None else y
    sx, sy = math.fsum(x), math.fsum(ys)
    if sy <= 0:
        return None
    ratio = sx / sy
    groups = Counter(zip(x, ys))
    if len(groups) == 1:
        return ratio, ratio
    # influence of a group on the ratio (linearised): m * (x - R y)^2
    small = [(k, m) for k, m in groups.items() if m < POOL_MIN]
    exact = heapq.nlargest(EXACT_GROUPS, small, key=lambda kv: kv[1] * (kv[0][0] - ratio * kv[0][1]) ** 2)
    # pooled moments = all cases minus the exactly drawn groups (sums over cases run in C)
    mul = operator.mul
    mx, my = sx, sy
    vxx, vyy, vxy = math.fsum(map(mul, x, x)), math.fsum(map(mul, ys, ys)), math.fsum(map(mul, x, ys))
    for (xi, yi), m in exact:
        mx -= m * xi
        my -= m * yi
        vxx -= m * xi * xi
        vyy -= m * yi * yi
        vxy -= m * xi * yi
    vxx, vyy = max(0.0, vxx), max(0.0, vyy)
    rng = random.Random(str(seed))
    if vyy > 0 or vxx > 0:
        z1, z2 = _normals(rng, rounds)
        if vyy > 0:
            sdy = math.sqrt(vyy)
            a = vxy / sdy
            b = math.sqrt(max(0.0, vxx - a * a))
            num = [mx + a * u + b * v for u, v in zip(z1, z2)]
            den = [my + sdy * u for u in z1]
        else:
            sdx = math.sqrt(vxx)
            num = [mx + sdx * u for u in z1]
            den = [my] * rounds
    else:
        num = [mx] * rounds
        den = [my] * rounds
    for (xi, yi), m in exact:
        w = _poisson_draws(m, rounds, rng)
        if xi:
            num = [s + c * xi for s, c in zip(num, w)]
        if yi:
            den = [s + c * yi for s, c in zip(den, w)]
    stats = [a / b for a, b in zip(num, den) if b > 0]
    if not stats:
        return None
    return _quantiles(stats)


def bootstrap_mean(values: Sequence[float], weights: Sequence[float] | None = None, *, rounds: int = ROUNDS,
                   seed: int | str = 0) -> Interval | None:
    """95% bootstrap interval of the (weighted) mean over cases."""
    if weights is None:
        return bootstrap_ratio(values, None, rounds=rounds, seed=seed)
    return bootstrap_ratio([v * w for v, w in zip(values, weights)], weights, rounds=rounds, seed=seed)


def bootstrap_quantile(values: Sequence[float], q: float, *, rounds: int = ROUNDS, seed: int | str = 0) -> Interval | None:
    """95% bootstrap interval of the q-th percentile (0..100, linear interpolation) of ``values``."""
    n = len(values)
    if n == 0:
        return None
    xs = sorted(values)
    if n == 1 or xs[0] == xs[-1]:
        return xs[0], xs[-1]
    pos = (n - 1) * q / 100.0
    k = math.floor(pos) + 1  # 1-based rank of the lower order statistic
    frac = pos - (k - 1)
    rng = random.Random(str(seed))
    beta = rng.betavariate
    out = []
    for _ in range(rounds):
        u = beta(k, n - k + 1)
        lo = xs[min(n - 1, int(u * n))]
        if frac > 0 and k < n:
            u2 = u + (1 - u) * beta(1, n - k)
            hi = xs[min(n - 1, int(u2 * n))]
            out.append(lo + (hi - lo) * frac)
        else:
            out.append(lo)
    return _quantiles(out)


def _binom_two_sided(k: int, n: int) -> float:
    """Exact two-sided p of k successes in n fair trials (doubling the smaller tail).

    The tail is summed from its largest term outwards and stops once the terms no longer change
    the sum (they shrink geometrically), so n = 10,000 costs a few hundred terms, not 5,000."""
    if n == 0:
        return 1.0
    k = min(k, n - k)
    log_term = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + n * math.log(0.5)
    term = math.exp(log_term)
    tail = term
    i = k
    while i > 0:
        term *= i / (n - i + 1)
        i -= 1
        tail += term
        if term < tail * 1e-17:
            break
    return min(1.0, 2 * tail)


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar p: ``b`` cases only A passed, ``c`` cases only B passed."""
    return _binom_two_sided(b, b + c)


def sign_test(positive: int, negative: int) -> float:
    """Exact two-sided sign test p (ties left out)."""
    return _binom_two_sided(positive, positive + negative)


@dataclass(slots=True)
class CaseFigures:
    """One model's per-case figures, repeats folded in (means over the repeats), aligned on a shared
    list of case ids (None where the model has no such figure for that case)."""

    passed: list[float | None]  # fraction of repeats that passed
    score: list[float | None]
    judge: list[float | None]


def _mean_sd(xs: Sequence[float]) -> tuple[float, float]:
    n = len(xs)
    mean = math.fsum(xs) / n
    var = max(0.0, (math.fsum(map(operator.mul, xs, xs)) - n * mean * mean) / (n - 1)) if n > 1 else 0.0
    return mean, math.sqrt(var)


_ZERO = 0.0


def _paired_values(a: list[float | None], b: list[float | None]) -> tuple[list[float], list[float]]:
    """The values of the cases where both have one, as two aligned lists."""
    if None not in a and None not in b:
        return a, b  # type: ignore[return-value]
    keep = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    return [x for x, _ in keep], [y for _, y in keep]


def _binary(xs: list[float]) -> bool:
    return xs.count(0.0) + xs.count(1.0) == len(xs)


def compare(a: str, b: str, fa: CaseFigures, fb: CaseFigures, *,
            seed: int | str = 0, rounds: int = ROUNDS) -> dict[str, object]:
    """Model ``a`` against ``b`` on the cases both answered (repeats folded in, figures aligned)."""
    out: dict[str, object] = {"a": a, "b": b}
    metric, unit, scale, diffs = None, "", 1.0, []  # the figure the sentence speaks about
    xa, xb = _paired_values(fa.passed, fb.passed)
    out["cases"] = len(xa)
    if xa:
        diffs = list(map(operator.sub, xa, xb))
        if _binary(xa) and _binary(xb):  # one answer per case: a discordant pair is a difference of +-1
            only_a, only_b = diffs.count(1.0), diffs.count(-1.0)
        else:  # repeats folded: a case passes when at least half its repeats do
            only_a = sum([x >= 0.5 > y for x, y in zip(xa, xb)])
            only_b = sum([y >= 0.5 > x for x, y in zip(xa, xb)])
        out["mcnemar"] = {"only_a": only_a, "only_b": only_b, "p": mcnemar_exact(only_a, only_b)}
        metric, unit, scale = "pass rate", "points", 100.0
    for field, label in (("score", "mean score"), ("judge", "judge score")):
        va, vb = _paired_values(getattr(fa, field), getattr(fb, field))
        if not va:
            continue
        d = list(map(operator.sub, va, vb))
        pos, neg = sum(map(_ZERO.__lt__, d)), sum(map(_ZERO.__gt__, d))
        out[f"sign_{field}"] = {"a_better": pos, "b_better": neg, "ties": len(d) - pos - neg, "p": sign_test(pos, neg)}
        if metric is None:
            metric, unit, scale, diffs = label, "points" if field == "score" else "grade points", 100.0 if field == "score" else 1.0, d
    if metric is None or not diffs:
        out["sentence"] = f"{a} and {b} have no scored cases in common: no comparison."
        out["decisive"] = False
        return out
    n = len(diffs)
    mean, sd = _mean_sd(diffs)
    ci = bootstrap_ratio(diffs, None, rounds=rounds, seed=f"{seed}:{a}:{b}") or (mean, mean)
    test_key = "mcnemar" if metric == "pass rate" else "sign_score" if metric == "mean score" else "sign_judge"
    test = out[test_key]
    assert isinstance(test, dict)
    p = float(test["p"])
    decisive = (ci[0] > 0 or ci[1] < 0) and p < 0.05
    needed = None
    if not decisive and mean != 0 and sd > 0:  # cases for 80% power at this difference and spread
        needed = math.ceil(((Z95 + Z80) * sd / abs(mean)) ** 2)
    out.update({"metric": metric, "difference": mean * scale, "ci": [ci[0] * scale, ci[1] * scale],
                "p": p, "decisive": decisive, "cases_needed": needed})
    lead, trail = (a, b) if mean >= 0 else (b, a)
    size = abs(mean) * scale
    lo, hi = (ci[0] * scale, ci[1] * scale) if mean >= 0 else (-ci[1] * scale, -ci[0] * scale)
    digits = (0 if size >= 0.95 else 1) if scale == 100 else 2  # a lead under a point keeps a decimal

    def fmt(v: float) -> str:
        text = f"{v:.{digits}f}"
        return "0" if float(text) == 0 else text.replace("-", "−")

    if mean == 0 and sd == 0:
        out["sentence"] = f"{a} and {b} are identical on {metric} in all {n:,} cases."
        return out
    if mean == 0:
        head = f"{a} and {b} tie on {metric} (95% CI {fmt(ci[0] * scale)} to {fmt(ci[1] * scale)})"
    else:
        unit = unit[:-1] if fmt(size) == "1" else unit  # 1 point, 2 points
        head = f"{lead} leads {trail} by {fmt(size)} {unit} of {metric}, 95% CI {fmt(lo)} to {fmt(hi)}"
    if decisive:
        out["sentence"] = f"{head}: decisive with {n:,} cases (p = {p:.2g})."
    else:
        if needed and needed > max(20 * n, 1000):  # a difference far inside the noise
            rounded = int(float(f"{needed:.2g}"))
            more = f"; it would take about {rounded:,} cases to settle: for practical purposes they are level"
        else:
            more = (f"; about {needed:,} cases would settle it" if needed and needed > n
                    else "; a few more cases would likely settle it" if needed else "")
        test_name = "exact McNemar" if test_key == "mcnemar" else "sign test"
        # with few cases the bootstrap interval can exclude 0 while the exact test does not: say so
        why = f"{test_name} p = {p:.2g}" + ("; the bootstrap interval is optimistic with so few cases"
                                           if ci[0] > 0 or ci[1] < 0 else "")
        out["sentence"] = f"{head}: not decisive with {n:,} cases ({why}){more}."
    return out


def folded(ids: list[str], rows: Iterable[tuple[str, bool | None, float | None, float | None]]) -> CaseFigures:
    """Per case of ``ids`` (in that order): the mean pass (0/1), score and judge grade over its repeats."""
    pos = {c: i for i, c in enumerate(ids)}
    n = len(ids)
    sums = [[0.0] * n, [0.0] * n, [0.0] * n]
    counts = [[0] * n, [0] * n, [0] * n]
    for case, passed, score, judge in rows:
        i = pos.get(case)
        if i is None:
            continue
        for k, v in ((0, None if passed is None else (1.0 if passed else 0.0)), (1, score), (2, judge)):
            if v is not None:
                sums[k][i] += v
                counts[k][i] += 1

    def means(k: int) -> list[float | None]:
        return [s_ / c if c else None for s_, c in zip(sums[k], counts[k])]

    return CaseFigures(means(0), means(1), means(2))


__all__ = ["CaseFigures", "bootstrap_mean", "bootstrap_quantile", "bootstrap_ratio", "compare", "folded",
           "mcnemar_exact", "sign_test", "wilson"]
