"""Ratings from blind A/B votes: online Elo and Bradley-Terry with bootstrap intervals.

Pure Python (stdlib only); no textual / rich.

* ``elo(votes)``: online Elo in vote order (K=4, scale 400, base 10, start 1000). A tie and a
  "both bad" vote count 0.5 for each side.
* ``bradley_terry(votes)``: maximum likelihood strengths, reported on an Elo-like scale
  (``1000 + 400*log10(p_i / geometric_mean(p))``, so the mean score is 1000). Ties and both-bad
  votes are half a win each side. Fitted with Newman's fixed-point iteration (JMLR 2023), a faster
  relative of Zermelo / Hunter's MM algorithm with the same fixed point (the likelihood equations).
  ``prior`` gives every model that many virtual tie games, spread evenly over all its possible
  opponents (``prior/(n-1)`` per pair): it keeps the fit finite when a model has won (or lost)
  all its battles or the comparison graph is disconnected, shrinks a one-vote result to a
  modest gap (one win between two models: 191 points, not infinity), and is negligible once a
  model has a few dozen votes. ``prior=0`` gives the plain MLE.
* ``leaderboard(votes)``: BT scores with 95% percentile intervals from ``rounds`` bootstrap
  resamples of the votes (seeded, so the same votes give the same table), rank = 1 + the number
  of models whose lower bound is above this model's upper bound, Elo, battles, win rate, and the
  pairwise win-rate matrix. No interval under 5 battles, and no bound on a side the resamples
  cannot vary (``honest_interval``): a few votes all one way otherwise read as certainty.

Bootstrap: resampling N votes with replacement is a multinomial draw over the distinct
(pair, outcome) cells with probabilities count/N, so we draw that multinomial directly by binomial
splitting (``tuiarena.scoring.sampling``: a few hundred binomial draws per round instead of N
random picks) and refit warm-started from the full-data fit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tuiarena.scoring.intervals import honest_interval, quantile, ranks_from_intervals
from tuiarena.scoring.sampling import binomial, multinomial  # noqa: F401 (re-exported)

OUTCOMES = ("a", "b", "tie", "both_bad")
ELO_K = 4.0
ELO_SCALE = 400.0
ELO_BASE = 10.0
ELO_START = 1000.0
DEFAULT_PRIOR = 1.0  # virtual tie games per model (see module doc)
_LOG_FACTOR = ELO_SCALE / math.log(ELO_BASE)  # natural-log strength -> rating points


@dataclass(frozen=True, slots=True)
class Vote:
    """One battle: ``model_a`` (left) vs ``model_b`` (right), outcome "a" | "b" | "tie" | "both_bad"."""

    model_a: str
    model_b: str
    outcome: str


def usable_votes(votes: Iterable[Any], include_leaked: bool = False) -> list[Vote]:
    """Votes that count for ratings, as ``Vote``s.

    Accepts ``Vote``s, ``VoteCast`` events or anything with ``model_a``/``model_b``/``outcome``.
    Skipped: invalid battles (an error / cut stream on either side, ``invalid=True``), votes with an
    unknown outcome or a model against itself, and identity-leaked battles unless
    ``include_leaked``.
    """
    out: list[Vote] = []
    for v in votes:
        if getattr(v, "invalid", False):
            continue
        if getattr(v, "identity_leaked", False) and not include_leaked:
            continue
        a, b, outcome = v.model_a, v.model_b, v.outcome
        if outcome not in OUTCOMES or not a or not b or a == b:
            continue
        out.append(v if isinstance(v, Vote) else Vote(a, b, outcome))
    return out


def _score_a(outcome: str) -> float:
    return 1.0 if outcome == "a" else 0.0 if outcome == "b" else 0.5


# ----------------------------------------------------------------------------------------------
# Elo
# ----------------------------------------------------------------------------------------------


def elo(
    votes: Iterable[Vote],
    k: float = ELO_K,
    scale: float = ELO_SCALE,
    base: float = ELO_BASE,
    start: float = ELO_START,
) -> dict[str, float]:
    """Online Elo over ``votes`` in order (filter them first with ``usable_votes``)."""
    ratings: dict[str, float] = {}
    for v in votes:
        ra = ratings.setdefault(v.model_a, start)
        rb = ratings.setdefault(v.model_b, start)
        expected_a = 1.0 / (1.0 + base ** ((rb - ra) / scale))
        delta = k * (_score_a(v.outcome) - expected_a)
        ratings[v.model_a] = ra + delta
        ratings[v.model_b] = rb - delta
    return ratings


# ----------------------------------------------------------------------------------------------
# Bradley-Terry
# ----------------------------------------------------------------------------------------------


def _prior_half(prior: float, n: int) -> float:
    """Virtual wins each way per pair: ``prior`` tie games per model over its n-1 opponents."""
    return prior / (2.0 * (n - 1)) if n > 1 else 0.0


@dataclass(slots=True)
class PairCounts:
    """Votes aggregated per unordered pair ``(i, j)`` with ``i < j`` (indices into ``models``).

    ``cells[(i, j)] = [wins_i, wins_j, ties]`` (ties include both-bad).
    """

    models: list[str]
    cells: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    @classmethod
    def from_votes(cls, votes: Iterable[Vote]) -> PairCounts:
        index: dict[str, int] = {}
        raw: dict[tuple[int, int], list[int]] = {}
        for v in votes:
            i = index.setdefault(v.model_a, len(index))
            j = index.setdefault(v.model_b, len(index))
            slot = 0 if v.outcome == "a" else 1 if v.outcome == "b" else 2
            if i > j:
                i, j = j, i
                slot = 1 - slot if slot < 2 else 2
            cell = raw.get((i, j))
            if cell is None:
                cell = raw[(i, j)] = [0, 0, 0]
            cell[slot] += 1
        # Sort models by name so results don't depend on vote order.
        models = sorted(index)
        remap = [0] * len(index)
        for new, name in enumerate(models):
            remap[index[name]] = new
        cells: dict[tuple[int, int], list[int]] = {}
        for (i, j), (wi, wj, t) in raw.items():
            ni, nj = remap[i], remap[j]
            cells[(ni, nj) if ni < nj else (nj, ni)] = [wi, wj, t] if ni < nj else [wj, wi, t]
        return cls(models, cells)

    def wins_matrix(self, prior: float = 0.0) -> list[list[float]]:
        """``w[i][j]``: wins of i over j, ties half each, plus the prior's virtual ties."""
        n = len(self.models)
        half = _prior_half(prior, n)
        w = [[0.0 if i == j else half for j in range(n)] for i in range(n)]
        for (i, j), (wi, wj, t) in self.cells.items():
            w[i][j] += wi + 0.5 * t
            w[j][i] += wj + 0.5 * t
        return w


def fit_bt(
    w: list[list[float]],
    start: list[float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> list[float]:
    """Bradley-Terry strengths for the wins matrix ``w`` (see module doc), geometric mean 1.

    Iterates ``p_i <- sum_j w_ij p_j/(p_i+p_j) / sum_j w_ji/(p_i+p_j)`` (Newman 2023) until the
    largest change of ``log p_i`` is below ``tol``.
    """
    n = len(w)
    rows = []
    for i in range(n):
        js = [j for j in range(n) if j != i and (w[i][j] or w[j][i])]
        rows.append((js, [w[i][j] for j in js], [w[j][i] for j in js]))
    p = list(start) if start else [1.0] * n
    log = math.log
    for _ in range(max_iter):
        worst = 0.0
        for i, (js, wij, wji) in enumerate(rows):
            if not js:  # never compared: stays where it is
                continue
            pi = p[i]
            num = den = 0.0
            for j, a, b in zip(js, wij, wji):
                pj = p[j]
                s = pi + pj
                num += a * pj / s
                den += b / s
            if den <= 0.0:  # never lost (only possible with prior=0): grows without bound
                new = pi * 2.0
            else:
                new = num / den if num > 0.0 else pi * 0.5  # never won: shrinks
            change = abs(log(new / pi))
            if change > worst:
                worst = change
            p[i] = new
        g = math.exp(sum(map(log, p)) / n) if n else 1.0
        p = [x / g for x in p]
        if worst < tol:
            break
    return p


def _to_scale(p: list[float]) -> list[float]:
    return [ELO_START + _LOG_FACTOR * math.log(x) for x in p]


def bradley_terry(
    votes: Iterable[Vote], prior: float = DEFAULT_PRIOR, tol: float = 1e-10
) -> dict[str, float]:
    """Bradley-Terry scores on the Elo-like scale (mean 1000) for usable ``votes``."""
    counts = PairCounts.from_votes(votes)
    return dict(zip(counts.models, _to_scale(fit_bt(counts.wins_matrix(prior), tol=tol))))


# ----------------------------------------------------------------------------------------------
# Bootstrap
# ----------------------------------------------------------------------------------------------


def bootstrap_scores(
    counts: PairCounts,
    rounds: int = 100,
    seed: int = 0,
    prior: float = DEFAULT_PRIOR,
    start: list[float] | None = None,
    tol: float = 1e-7,
) -> list[list[float]]:
    """``rounds`` bootstrap fits (each a list of scores in ``counts.models`` order)."""
    rng = random.Random(seed)
    keys = sorted(counts.cells)
    flat = [c for key in keys for c in counts.cells[key]]
    total = sum(flat)
    n = len(counts.models)
    half = _prior_half(prior, n)
    results = []
    for _ in range(rounds):
        drawn = multinomial(rng, total, flat)
        w = [[0.0 if i == j else half for j in range(n)] for i in range(n)]
        for idx, (i, j) in enumerate(keys):
            wi, wj, t = drawn[3 * idx : 3 * idx + 3]
            w[i][j] += wi + 0.5 * t
            w[j][i] += wj + 0.5 * t
        results.append(_to_scale(fit_bt(w, start=start, tol=tol)))
    return results


# ----------------------------------------------------------------------------------------------
# Leaderboard
# ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    rank: int
    model: str
    score: float  # Bradley-Terry, Elo-like scale
    lower: float | None  # 95% bootstrap interval; None: a side the votes cannot bound (honest_interval)
    upper: float | None
    elo: float
    battles: int
    wins: int
    losses: int
    ties: int  # ties + both bad
    win_rate: float  # (wins + ties/2) / battles

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Leaderboard:
    rows: list[Row]  # best first
    matrix: dict[str, dict[str, float | None]]  # matrix[a][b]: a's win rate against b
    votes: int  # votes used
    excluded_leaked: int = 0
    excluded_invalid: int = 0
    rounds: int = 0
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": [r.to_dict() for r in self.rows],
            "matrix": self.matrix,
            "votes": self.votes,
            "excluded_leaked": self.excluded_leaked,
            "excluded_invalid": self.excluded_invalid,
            "bootstrap_rounds": self.rounds,
            "seed": self.seed,
        }


def leaderboard(
    votes: Iterable[Any],
    include_leaked: bool = False,
    rounds: int = 100,
    seed: int = 0,
    prior: float = DEFAULT_PRIOR,
) -> Leaderboard:
    """The full table from raw votes (``VoteCast`` events or ``Vote``s), filtered here."""
    raw = list(votes)
    used = usable_votes(raw, include_leaked=include_leaked)
    invalid = sum(1 for v in raw if getattr(v, "invalid", False))
    leaked = 0 if include_leaked else sum(
        1 for v in raw if getattr(v, "identity_leaked", False) and not getattr(v, "invalid", False)
    )
    counts = PairCounts.from_votes(used)
    models = counts.models
    p = fit_bt(counts.wins_matrix(prior))
    scores = _to_scale(p)
    boots = bootstrap_scores(counts, rounds, seed, prior, start=p) if rounds > 0 else []
    ratings = elo(used)

    n = len(models)
    wins = [0] * n
    losses = [0] * n
    ties = [0] * n
    matrix: dict[str, dict[str, float | None]] = {a: {b: None for b in models} for a in models}
    for (i, j), (wi, wj, t) in counts.cells.items():
        wins[i] += wi
        wins[j] += wj
        losses[i] += wj
        losses[j] += wi
        ties[i] += t
        ties[j] += t
        total = wi + wj + t
        matrix[models[i]][models[j]] = (wi + 0.5 * t) / total
        matrix[models[j]][models[i]] = (wj + 0.5 * t) / total
    intervals: dict[str, tuple[float | None, float | None]] = {}
    for i, m in enumerate(models):
        column = sorted(b[i] for b in boots) or [scores[i]]  # (no rounds: no spread, so no interval)
        intervals[m] = honest_interval(quantile(column, 0.025), quantile(column, 0.975),
                                       wins[i] + losses[i] + ties[i], wins[i], losses[i])
    ranks = ranks_from_intervals(intervals)
    rows = []
    for i, m in enumerate(models):
        battles = wins[i] + losses[i] + ties[i]
        rows.append(
            Row(
                rank=ranks[m],
                model=m,
                score=scores[i],
                lower=intervals[m][0],
                upper=intervals[m][1],
                elo=ratings.get(m, ELO_START),
                battles=battles,
                wins=wins[i],
                losses=losses[i],
                ties=ties[i],
                win_rate=(wins[i] + 0.5 * ties[i]) / battles if battles else 0.0,
            )
        )
    rows.sort(key=lambda r: (r.rank, -r.score, r.model))
    order = [r.model for r in rows]
    matrix = {a: {b: matrix[a][b] for b in order} for a in order}
    return Leaderboard(rows, matrix, len(used), leaked, invalid, rounds, seed)
