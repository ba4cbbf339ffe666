"""tuiarena.scoring.stats: known values, agreement with a plain bootstrap, the plain sentence."""

from __future__ import annotations

import random

import pytest

from tuiarena.scoring import stats as st


def test_wilson_known_values():
    lo, hi = st.wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert st.wilson(0, 25)[0] == pytest.approx(0.0, abs=1e-12) and st.wilson(0, 0) is None


def test_exact_binomial_tests():
    assert st.sign_test(4000, 6000) == pytest.approx(2.0 * 7.6e-91, rel=0.5)  # far tail, large n: no underflow to 1
    assert st.mcnemar_exact(10, 2) == pytest.approx(0.0386, abs=1e-4)
    assert st.sign_test(5, 5) == 1.0 and st.mcnemar_exact(0, 0) == 1.0


def _plain(x, y, rng, rounds=3000):
    n, out = len(x), []
    for _ in range(rounds):
        idx = [rng.randrange(n) for _ in range(n)]
        den = sum(y[i] for i in idx)
        if den:
            out.append(sum(x[i] for i in idx) / den)
    out.sort()
    return out[int(0.025 * len(out))], out[int(0.975 * len(out))]


@pytest.mark.parametrize("n", [12, 60, 400])
def test_bootstrap_ratio_agrees_with_a_plain_bootstrap(n):
    rng = random.Random(n)
    cost = [rng.lognormvariate(-6, 1) for _ in range(n)]
    passed = [float(rng.random() < 0.7) for _ in range(n)]
    fast = st.bootstrap_ratio(cost, passed, seed=1)
    slow = _plain(cost, passed, rng)
    width = slow[1] - slow[0]
    assert abs(fast[0] - slow[0]) < 0.15 * width and abs(fast[1] - slow[1]) < 0.15 * width


def test_bootstrap_is_seeded_and_quantile_interval_brackets_the_estimate():
    xs = [float(i) for i in range(1, 201)]
    assert st.bootstrap_mean(xs, seed=3) == st.bootstrap_mean(xs, seed=3)
    lo, hi = st.bootstrap_quantile(xs, 95, seed=3)
    assert lo < st.percentile_sorted(xs, 95) < hi


def test_compare_says_when_it_is_not_decisive():
    none = [None] * 25
    a = st.CaseFigures([1.0 if i % 3 else 0.0 for i in range(25)], none, none)
    b = st.CaseFigures([1.0 if i % 4 else 0.0 for i in range(25)], none, none)
    out = st.compare("A", "B", a, b)
    assert out["decisive"] is False and "not decisive with 25 cases" in out["sentence"] and "cases would settle it" in out["sentence"]
    strong = st.CaseFigures([0.0] * 25, none, none)
    out = st.compare("A", "B", a, strong)
    assert out["decisive"] is True and out["sentence"].startswith("A leads B by 64 points")


def test_compare_explains_an_interval_that_excludes_zero_without_a_decisive_test():
    # 9 cases only A passes, 2 only B: the bootstrap interval excludes 0, exact McNemar p = 0.065
    none = [None] * 23
    a = st.CaseFigures([1.0] * 20 + [0.0] * 3, none, none)
    b = st.CaseFigures([0.0] * 9 + [1.0] * 11 + [1.0, 1.0, 0.0], none, none)
    out = st.compare("A", "B", a, b, seed=4)
    assert out["ci"][0] > 0 and out["decisive"] is False
    assert "(exact McNemar p = 0.065; the bootstrap interval is optimistic with so few cases)" in out["sentence"]


def test_compare_calls_a_difference_far_inside_the_noise_level():
    none = [None] * 2000
    a = st.CaseFigures([1.0 if i % 3 else 0.0 for i in range(2000)], none, none)
    b = st.CaseFigures([1.0 if (i + 1) % 3 else 0.0 for i in range(1990)] + [1.0] * 10, none, none)
    out = st.compare("A", "B", a, b)
    assert out["decisive"] is False and "with 2,000 cases" in out["sentence"]
    assert out["sentence"].startswith("B leads A by 0.2 points of pass rate, 95% CI ")
    assert "for practical purposes they are level" in out["sentence"]


def test_repeats_are_folded_per_case_not_counted_as_more_cases():
    """Three identical repeats of 30 cases say no more than one run of them: the same intervals."""
    from tuiarena.engine.suite.aggregate import Aggregator, Sample
    from tuiarena.engine.suite.statistics import model_stats

    def agg(repeats: int) -> Aggregator:
        a = Aggregator(["m/x"], track_cases=repeats > 1)
        for c in range(30):
            for rep in range(repeats):
                passed = c % 3 != 0
                a.add(Sample(model="m/x", case_id=f"c{c}", category="", repeat=rep, status="done", passed=passed,
                             score=1.0 if passed else 0.25 * (c % 4), ttft_ms=100.0, total_ms=200.0 + c,
                             cost_usd=1e-5 * (1 + c % 5)))
                a.add_judge("m/x", "", {"correctness": 1 + c % 5, "clarity": 4, "conciseness": 4,
                                        "total": 9 + c % 5}, f"c{c}", rep)
        return a

    once, thrice = agg(1), agg(3)
    s1 = model_stats("m/x", once.rows["m/x"], once.judged)
    s3 = model_stats("m/x", thrice.rows["m/x"], thrice.judged)
    for key in ("pass_rate_ci", "mean_score_ci", "judge_score_ci", "cost_per_acceptable_ci"):
        assert s3[key] == pytest.approx(s1[key]), key
