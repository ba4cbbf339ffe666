"""Ratings: Elo, Bradley-Terry (checked against an independent gradient-ascent fit), bootstrap."""

from __future__ import annotations

import math
import random

import pytest

from tuiarena.model import VoteCast
from tuiarena.scoring.intervals import interval_text
from tuiarena.scoring.ratings import (
    PairCounts,
    Vote,
    bootstrap_scores,
    bradley_terry,
    elo,
    leaderboard,
    quantile,
    ranks_from_intervals,
    usable_votes,
)
from tuiarena.scoring.sampling import binomial, multinomial

SCALE = 400.0 / math.log(10.0)


def synthetic(strengths: dict[str, float], n: int, seed: int, tie_rate: float = 0.0) -> list[Vote]:
    """Votes drawn from known Elo-scale strengths (Bradley-Terry model), seeded."""
    rng = random.Random(seed)
    names = list(strengths)
    votes = []
    for _ in range(n):
        a, b = rng.sample(names, 2)
        if rng.random() < tie_rate:
            votes.append(Vote(a, b, rng.choice(("tie", "both_bad"))))
            continue
        p_a = 1.0 / (1.0 + 10 ** ((strengths[b] - strengths[a]) / 400.0))
        votes.append(Vote(a, b, "a" if rng.random() < p_a else "b"))
    return votes


def gradient_ascent_bt(votes: list[Vote], prior: float) -> dict[str, float]:
    """Independent fit: plain gradient ascent on the BT log-likelihood in log-strengths.

    L(theta) = sum_ij w_ij * log sigmoid(theta_i - theta_j), w built here from the raw votes
    (ties half a win each side; ``prior`` virtual tie games per model, spread over the n-1
    opponents, i.e. prior/(2(n-1)) virtual wins each way for every pair).
    """
    names = sorted({v.model_a for v in votes} | {v.model_b for v in votes})
    idx = {m: k for k, m in enumerate(names)}
    n = len(names)
    c = prior / (2 * (n - 1))
    w = [[0.0 if i == j else c for j in range(n)] for i in range(n)]
    for v in votes:
        i, j = idx[v.model_a], idx[v.model_b]
        if v.outcome == "a":
            w[i][j] += 1
        elif v.outcome == "b":
            w[j][i] += 1
        else:
            w[i][j] += 0.5
            w[j][i] += 0.5
    games = max(sum(w[i][j] + w[j][i] for j in range(n)) for i in range(n))
    step = 2.0 / games  # the Hessian's largest eigenvalue is at most games/2
    theta = [0.0] * n
    for _ in range(200_000):
        grad = [0.0] * n
        for i in range(n):
            for j in range(n):
                if i != j:
                    s = 1.0 / (1.0 + math.exp(theta[j] - theta[i]))
                    grad[i] += w[i][j] - (w[i][j] + w[j][i]) * s
        theta = [t + step * g for t, g in zip(theta, grad)]
        if max(map(abs, grad)) < 1e-9:
            break
    mean = sum(theta) / n
    return {m: 1000.0 + SCALE * (theta[idx[m]] - mean) for m in names}


STRENGTHS = {"m/a": 1150.0, "m/b": 1080.0, "m/c": 1000.0, "m/d": 960.0, "m/e": 850.0}


@pytest.mark.parametrize("prior", [0.0, 1.0, 8.0])
def test_bt_matches_independent_gradient_fit(prior):
    votes = synthetic(STRENGTHS, 300, seed=3, tie_rate=0.15)
    ours = bradley_terry(votes, prior=prior, tol=1e-12)
    ref = gradient_ascent_bt(votes, prior)
    assert ours.keys() == ref.keys()
    for m in ref:
        assert ours[m] == pytest.approx(ref[m], abs=1e-3), m


def test_bt_recovers_true_order_from_synthetic_votes():
    strengths = {f"demo/m{i}": 700.0 + 100.0 * i for i in range(7)}
    votes = synthetic(strengths, 4000, seed=11, tie_rate=0.1)
    scores = bradley_terry(votes)
    assert sorted(scores, key=scores.get) == list(strengths)
    # Without ties the scale itself is recovered too (mean-centred).
    clean = bradley_terry(synthetic(strengths, 20000, seed=5))
    mean_true = sum(strengths.values()) / len(strengths)
    for m, s in strengths.items():
        assert clean[m] - 1000.0 == pytest.approx(s - mean_true, abs=30)


def test_ties_and_both_bad_count_half():
    # one win + one tie for x over y: w = 1.5 vs 0.5, so the gap is 400*log10(3).
    for draw in ("tie", "both_bad"):
        s = bradley_terry([Vote("x", "y", "a"), Vote("y", "x", draw)], prior=0.0)
        assert s["x"] - s["y"] == pytest.approx(400 * math.log10(3), abs=1e-6)
    even = bradley_terry([Vote("x", "y", "tie"), Vote("x", "y", "both_bad")], prior=0.0)
    assert even["x"] == pytest.approx(even["y"])
    board = leaderboard([Vote("x", "y", "a"), Vote("x", "y", "tie")], rounds=0)
    row = {r.model: r for r in board.rows}
    assert row["x"].win_rate == pytest.approx(0.75) and row["y"].win_rate == pytest.approx(0.25)
    assert row["x"].ties == 1 and row["x"].battles == 2


def test_sides_do_not_matter_and_vote_order_does_not_matter():
    votes = synthetic(STRENGTHS, 200, seed=2, tie_rate=0.2)
    flipped = [Vote(v.model_b, v.model_a, {"a": "b", "b": "a"}.get(v.outcome, v.outcome))
               for v in votes]
    shuffled = votes[:]
    random.Random(0).shuffle(shuffled)
    base = bradley_terry(votes)
    for other in (bradley_terry(flipped), bradley_terry(shuffled)):
        for m in base:
            assert other[m] == pytest.approx(base[m], abs=1e-6)


def test_prior_keeps_an_unbeaten_model_finite():
    s = bradley_terry([Vote("x", "y", "a")] * 5)
    assert math.isfinite(s["x"]) and s["x"] > s["y"]
    assert s["x"] + s["y"] == pytest.approx(2000.0)
    # one vote between two models: w = 1.5 vs 0.5 with the default prior (one virtual tie each)
    one = bradley_terry([Vote("x", "y", "a")])
    assert one["x"] - one["y"] == pytest.approx(400 * math.log10(3), abs=1e-6)


def test_elo_hand_computed_sequence():
    votes = [Vote("A", "B", "a"), Vote("A", "B", "b"), Vote("C", "A", "tie")]
    r = elo(votes)
    # 1) 1000 vs 1000, expected 0.5: A +4*0.5 = 1002, B 998.
    # 2) B (998) beats A (1002): E_B = 1/(1+10^(4/400)) = 0.4942437916; B += 4*(1-E_B)
    #    = 2.0230248 -> B 1000.0230248, A 999.9769752.
    # 3) C (1000) ties A (999.9769752): E_C = 1/(1+10^(-0.0230248/400)) = 0.5000331;
    #    C += 4*(0.5-E_C) = -0.0001325 -> C 999.9998675, A 999.9771077.
    assert r["A"] == pytest.approx(999.9771077, abs=1e-6)
    assert r["B"] == pytest.approx(1000.0230248, abs=1e-6)
    assert r["C"] == pytest.approx(999.9998675, abs=1e-6)
    assert elo([Vote("A", "B", "both_bad")]) == {"A": 1000.0, "B": 1000.0}


def test_usable_votes_filters_leaked_and_invalid():
    events = [
        VoteCast(model_a="a/x", model_b="a/y", outcome="a"),
        VoteCast(model_a="a/x", model_b="a/y", outcome="b", identity_leaked=True),
        VoteCast(model_a="a/x", model_b="a/y", outcome="b", invalid=True),
        VoteCast(model_a="a/x", model_b="a/y", outcome="b", invalid=True, identity_leaked=True),
        VoteCast(model_a="a/x", model_b="a/y", outcome="nonsense"),
        VoteCast(model_a="a/x", model_b="a/x", outcome="a"),
    ]
    assert usable_votes(events) == [Vote("a/x", "a/y", "a")]
    assert usable_votes(events, include_leaked=True) == [
        Vote("a/x", "a/y", "a"), Vote("a/x", "a/y", "b")]
    board = leaderboard(events, rounds=5)
    assert (board.votes, board.excluded_leaked, board.excluded_invalid) == (1, 1, 2)
    assert leaderboard(events, include_leaked=True, rounds=5).votes == 2


def test_bootstrap_is_deterministic_for_a_seed():
    votes = synthetic(STRENGTHS, 500, seed=4, tie_rate=0.1)
    a = leaderboard(votes, rounds=30, seed=7).to_dict()
    b = leaderboard(list(votes), rounds=30, seed=7).to_dict()
    c = leaderboard(votes, rounds=30, seed=8).to_dict()
    assert a == b
    assert a != c


def test_bootstrap_intervals_cover_the_point_estimate_and_shrink_with_data():
    small = leaderboard(synthetic(STRENGTHS, 300, seed=1), rounds=60)
    big = leaderboard(synthetic(STRENGTHS, 6000, seed=1), rounds=60)
    for board in (small, big):
        for r in board.rows:
            assert r.lower < r.score < r.upper
    width = lambda b: sum(r.upper - r.lower for r in b.rows) / len(b.rows)  # noqa: E731
    assert width(big) < width(small) / 2.5  # ~ sqrt(20) narrower


def test_rank_rule():
    intervals = {"a": (1100, 1200), "b": (1050, 1150), "c": (900, 1040), "d": (800, 1060)}
    # c: lower bounds above 1040 are a (1100) and b (1050) -> 3; d: only a (1100 > 1060) -> 2.
    assert ranks_from_intervals(intervals) == {"a": 1, "b": 1, "c": 3, "d": 2}


def test_intervals_never_look_certain_from_a_few_votes_or_one_sided_ones():
    # one vote: every resample is that vote, so the bootstrap gives "1095 – 1095"; shown as no interval
    one = leaderboard([Vote("p", "q", "a")], rounds=50)
    assert [(r.lower, r.upper) for r in one.rows] == [(None, None), (None, None)]
    assert [r.rank for r in one.rows] == [1, 1] and {interval_text(r) for r in one.rows} == {"few votes"}
    # six votes all one way: ordered, but the winner has no upper bound and the loser no lower one
    swept = {r.model: r for r in leaderboard([Vote("p", "q", "a")] * 6, rounds=50).rows}
    assert swept["p"].upper is None and swept["q"].lower is None
    assert swept["p"].lower is not None and swept["q"].upper is not None
    assert (swept["p"].rank, swept["q"].rank) == (1, 2)
    assert interval_text(swept["p"]).startswith("≥ ") and interval_text(swept["q"]).startswith("≤ ")
    # mixed outcomes with enough battles: a real interval around the score
    mixed = leaderboard([Vote("p", "q", "a")] * 4 + [Vote("p", "q", "b")] * 3, rounds=50).rows
    assert all(r.lower is not None and r.upper is not None and r.lower < r.score < r.upper for r in mixed)
    assert ranks_from_intervals({"a": (None, None), "b": (900, 950)}) == {"a": 1, "b": 1}


def test_leaderboard_rows_and_matrix():
    votes = synthetic(STRENGTHS, 800, seed=9, tie_rate=0.1)
    board = leaderboard(votes, rounds=20)
    assert [r.model for r in board.rows][0] == "m/a"
    assert board.rows[0].rank == 1
    total = sum(r.battles for r in board.rows)
    assert total == 2 * len(votes)
    m = board.matrix
    for a in m:
        assert m[a][a] is None
        for b in m:
            if a != b and m[a][b] is not None:
                assert m[a][b] + m[b][a] == pytest.approx(1.0)
    sparse = leaderboard([Vote("p", "q", "a"), Vote("q", "r", "a")], rounds=10)
    assert sparse.matrix["p"]["r"] is None
    assert leaderboard([], rounds=10).rows == []


def test_pair_counts_orient_cells():
    counts = PairCounts.from_votes([Vote("z", "a", "a"), Vote("a", "z", "tie")])
    assert counts.models == ["a", "z"]
    assert counts.cells == {(0, 1): [0, 1, 1]}


@pytest.mark.parametrize("n,p", [(30, 0.1), (5000, 0.3), (2000, 0.8), (1, 0.4)])
def test_binomial_sampler_moments(n, p):
    rng = random.Random(123)
    draws = [binomial(rng, n, p) for _ in range(4000)]
    assert all(0 <= d <= n for d in draws)
    mean = sum(draws) / len(draws)
    var = sum((d - mean) ** 2 for d in draws) / (len(draws) - 1)
    assert mean == pytest.approx(n * p, rel=0.03, abs=0.03)
    assert var == pytest.approx(n * p * (1 - p), rel=0.12)


def test_multinomial_matches_resampling_the_votes():
    rng = random.Random(5)
    counts = [50, 0, 30, 20]
    draws = [multinomial(rng, 100, counts) for _ in range(3000)]
    assert all(sum(d) == 100 and d[1] == 0 for d in draws)
    means = [sum(d[k] for d in draws) / len(draws) for k in range(4)]
    assert means == pytest.approx([50, 0, 30, 20], abs=0.6)
    var0 = sum((d[0] - 50) ** 2 for d in draws) / len(draws)
    assert var0 == pytest.approx(100 * 0.5 * 0.5, rel=0.12)


def test_bootstrap_scores_shape_and_quantile():
    counts = PairCounts.from_votes(synthetic(STRENGTHS, 200, seed=6))
    boots = bootstrap_scores(counts, rounds=4, seed=1)
    assert len(boots) == 4 and all(len(b) == 5 for b in boots)
    assert all(sum(b) / 5 == pytest.approx(1000.0) for b in boots)
    assert quantile([0.0, 10.0], 0.25) == 2.5
    assert quantile([1.0, 2.0, 3.0], 0.5) == 2.0


def test_multinomial_bootstrap_matches_resampling_votes():
    """The cell-multinomial bootstrap has the spread of the textbook one (resample the votes)."""
    votes = synthetic(STRENGTHS, 400, seed=12, tie_rate=0.1)
    counts = PairCounts.from_votes(votes)
    ours = bootstrap_scores(counts, rounds=300, seed=3)
    rng = random.Random(4)
    naive = []
    for _ in range(300):
        sample = [votes[rng.randrange(len(votes))] for _ in votes]
        s = bradley_terry(sample)
        naive.append([s.get(m, 1000.0) for m in counts.models])

    def sd(rows, k):
        xs = [r[k] for r in rows]
        mu = sum(xs) / len(xs)
        return math.sqrt(sum((x - mu) ** 2 for x in xs) / (len(xs) - 1))

    for k in range(len(counts.models)):
        assert sd(ours, k) == pytest.approx(sd(naive, k), rel=0.2)
