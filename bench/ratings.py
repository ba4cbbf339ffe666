"""Benchmark: Bradley-Terry + 100 bootstrap rounds over 100,000 votes and 30 models.

Target (issue 4): <= 2 s for BT + 100 bootstrap rounds. Run: ``python bench/ratings.py``.
Prints the time of each stage, the whole ``leaderboard()`` call (which adds vote filtering, Elo,
win rates and the matrix), and how well the true order was recovered.
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tuiarena.scoring.ratings import (  # noqa: E402
    PairCounts,
    Vote,
    bootstrap_scores,
    fit_bt,
    leaderboard,
)

N_VOTES = 100_000
N_MODELS = 30
ROUNDS = 100
TARGET_S = 2.0
TIE_RATE = 0.12


def synthetic_votes(seed: int = 1) -> tuple[list[Vote], dict[str, float]]:
    rng = random.Random(seed)
    true = {f"bench/model-{i:02d}": 800.0 + 400.0 * i / (N_MODELS - 1) for i in range(N_MODELS)}
    names = list(true)
    votes = []
    for _ in range(N_VOTES):
        a, b = rng.sample(names, 2)
        p_a = 1.0 / (1.0 + 10 ** ((true[b] - true[a]) / 400.0))
        r = rng.random()
        if r < TIE_RATE:
            outcome = rng.choice(("tie", "both_bad"))
        else:
            outcome = "a" if rng.random() < p_a else "b"
        votes.append(Vote(a, b, outcome))
    return votes, true


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(v):
        order = sorted(range(len(v)), key=v.__getitem__)
        r = [0] * len(v)
        for k, i in enumerate(order):
            r[i] = k
        return r

    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    d2 = sum((a - b) ** 2 for a, b in zip(rx, ry))
    return 1 - 6 * d2 / (n * (n * n - 1))


def main() -> int:
    votes, true = synthetic_votes()

    c0 = time.process_time()
    t0 = time.perf_counter()
    counts = PairCounts.from_votes(votes)
    t1 = time.perf_counter()
    p = fit_bt(counts.wins_matrix(1.0))
    t2 = time.perf_counter()
    bootstrap_scores(counts, rounds=ROUNDS, seed=0, start=p)
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    bt_total = t3 - t0

    t4 = time.perf_counter()
    board = leaderboard(votes, rounds=ROUNDS, seed=0)
    t5 = time.perf_counter()

    scores = {r.model: r.score for r in board.rows}
    rho = spearman([true[m] for m in true], [scores[m] for m in true])
    width = sum(r.upper - r.lower for r in board.rows) / len(board.rows)
    err = max(abs((scores[m] - 1000) - (true[m] - 1000)) for m in true)

    print(f"votes={N_VOTES} models={N_MODELS} bootstrap_rounds={ROUNDS} ({sys.version.split()[0]})")
    print(f"  aggregate votes     {1000 * (t1 - t0):8.1f} ms")
    print(f"  BT fit (full data)  {1000 * (t2 - t1):8.1f} ms")
    print(f"  {ROUNDS} bootstrap fits  {1000 * (t3 - t2):8.1f} ms")
    print(f"  BT + bootstrap      {bt_total:8.3f} s   target <= {TARGET_S} s: "
          f"{'MET' if bt_total <= TARGET_S else 'NOT MET'} (CPU time {cpu:.3f} s; wall time "
          "grows on a busy machine)")
    print(f"  whole leaderboard() {t5 - t4:8.3f} s   (adds filtering, Elo, win rates, matrix)")
    print(f"  recovery: spearman={rho:.4f} max |score-true|={err:.1f} pts "
          f"mean 95% CI width={width:.1f} pts")
    if math.isnan(rho):
        return 1
    return 0 if bt_total <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
