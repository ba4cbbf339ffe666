"""Benchmark: suite statistics for 10,000 cases x 8 models, 1,000 bootstrap rounds (target <= 1 s),
and the HTML report of a 2,000-case x 4-model suite (target <= 5 MB; open it in a browser to time it).

    python bench/stats.py [--html /tmp/suite-bench.html]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from tuiarena.engine.suite.aggregate import Aggregator, Sample
from tuiarena.engine.suite.cases import Case
from tuiarena.engine.suite.load import Suite
from tuiarena.engine.suite.results import SuiteResult
from tuiarena.engine.suite.statistics import suite_stats


def fill(n_cases: int, models: list[str], seed: int = 0) -> Aggregator:
    rng = random.Random(seed)
    agg = Aggregator(models)
    for mi, m in enumerate(models):
        skill = 0.5 + 0.05 * mi
        for c in range(n_cases):
            passed = rng.random() < skill
            score = rng.choice((0.0, 0.25, 0.5, 0.75, 1.0)) if not passed else 1.0
            agg.add(Sample(model=m, case_id=f"c{c}", category="", repeat=0, status="done", passed=passed, score=score,
                           ttft_ms=rng.lognormvariate(5, 0.4), total_ms=rng.lognormvariate(6.5, 0.5),
                           cost_usd=rng.uniform(1e-5, 5e-4)))
            grade = {"correctness": rng.randint(2, 5), "clarity": rng.randint(3, 5), "conciseness": rng.randint(2, 5)}
            agg.add_judge(m, "", {**grade, "total": sum(grade.values())}, f"c{c}", 0)
    return agg


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", default="/tmp/suite-bench.html")
    args = ap.parse_args()
    models = [f"bench/m{i}" for i in range(8)]
    agg = fill(10_000, models)
    best_wall = best_cpu = float("inf")
    for _ in range(3):  # best of 3: the machine is shared
        t0, c0 = time.perf_counter(), time.process_time()
        stats = suite_stats(agg, models, rounds=1000)
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(f"statistics, 10,000 cases x 8 models, 1,000 rounds: {best_wall:.3f} s wall, {best_cpu:.3f} s CPU "
          f"(best of 3; target <= 1 s); {len(stats['pairs'])} pairs")

    result = shipped_result(2_000, ["demo/swift", "demo/verbose", "demo/thinker", "demo/terse"])
    from tuiarena.reports.suite import render, report_from_result

    t0 = time.perf_counter()
    html = render(report_from_result(result), "html", result)
    dt = time.perf_counter() - t0
    Path(args.html).write_text(html, encoding="utf-8")
    print(f"HTML report, 2,000 cases x 4 models with their answers: {len(html.encode()) / 1e6:.2f} MB (target <= 5 MB), "
          f"built in {dt:.2f} s -> {args.html}\n  time the browser: chromium --headless --no-sandbox --disable-gpu "
          f"--screenshot=/tmp/x.png --window-size=1400,1000 file://{args.html}")


def shipped_result(n_cases: int, models: list[str]) -> SuiteResult:
    """A folded suite of ``n_cases`` built from the shipped suites' cases (cycled), answered offline
    by the demo models' own composer and scored by the cases' real checks (no streaming, no session)."""
    from tuiarena.engine.suite.load import load_suite, shipped_suites
    from tuiarena.engine.suite.results import Answer
    from tuiarena.engine.suite.run import JSON_CHECKS, make_sample
    from tuiarena.model import ResponseDone, ScoreGiven
    from tuiarena.providers.demo import compose
    from tuiarena.scoring.checks import CheckContext, check_label, score_case

    base = [c for p in shipped_suites() if p.suffix == ".toml" for c in load_suite(str(p)).cases]
    cases = []
    for i in range(n_cases):
        c = base[i % len(base)]
        cases.append(Case(id=f"{c.id}-{i}", messages=c.messages, params=c.params, checks=c.checks,
                          expected=c.expected, category=c.category))
    suite = Suite(name="bench", path=Path("bench.toml"), cases=cases)
    agg = Aggregator(models)
    result = SuiteResult(suite=suite, models=models, repeat=1, judge=None, agg=agg, expected=n_cases * len(models))
    rng = random.Random(0)
    for case in cases:
        for m in models:
            _r, text = compose(m.split("/", 1)[1], case.messages, rng, "json" in str(case.messages).lower())
            rec = ResponseDone(run_id="r", response_id=f"x{len(result.answers)}", model=m, status="done", text=text,
                               ttft_ms=rng.lognormvariate(5, 0.4), total_ms=rng.lognormvariate(6.5, 0.5),
                               cost_usd=1e-6 * len(text))
            cs = score_case(case.checks, text, CheckContext(case.expected, rec), case.pass_threshold)
            checks = ScoreGiven(response_id=rec.response_id, run_id="r", scorer="checks", passed=cs.passed, score=cs.score,
                                reason=cs.reason(), detail={"checks": [
                                    {"name": check_label(sp), "type": sp["type"], "passed": r.passed, "reason": r.reason}
                                    for sp, r in cs.results]})
            result.answers.append(Answer(case.id, 0, m, rec, checks))
            agg.add(make_sample(case.id, case.category, case.weight, 0, rec, cs.passed, cs.score,
                                any(c["type"] in JSON_CHECKS for c in case.checks)))
    return result


if __name__ == "__main__":
    main()
