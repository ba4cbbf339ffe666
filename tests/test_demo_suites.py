"""Offline, the shipped suites are worth reading: the demo models pass most cases of every suite,
not all, and not equally (the spread a recommendation and the pairwise tests need)."""

from __future__ import annotations

import pytest

from tuiarena.engine.suite.load import demo_judge, load_suite, shipped_dir
from tuiarena.providers.demo import DemoProvider
from tuiarena.providers.demo_canned import entries
from tuiarena.scoring.checks import CheckContext, score_case

NAMES = ("code", "extraction", "classification", "summarisation", "edge_cases")
ROSTER = ("swift", "steady", "thinker")  # the default demo roster


def _pass_counts(name: str) -> tuple[int, dict[str, int]]:
    suite = load_suite(shipped_dir() / f"{name}.toml")
    demo = DemoProvider()
    counts = dict.fromkeys(ROSTER, 0)
    for case in suite.cases:
        for model in ROSTER:
            text = demo.answer(model, case.messages, case.params)
            counts[model] += bool(score_case(case.checks, text, CheckContext(expected=case.expected), case.pass_threshold).passed)
    return len(suite.cases), counts


@pytest.mark.parametrize("name", NAMES)
def test_demo_models_pass_most_cases_and_differ(name):
    n, counts = _pass_counts(name)
    rates = {m: c / n for m, c in counts.items()}
    assert max(rates.values()) >= 0.9, rates  # the best model meets a typical min_pass_rate
    assert min(rates.values()) >= 0.25, rates  # nobody is all red
    assert len(set(counts.values())) > 1, rates  # the models differ
    assert min(rates.values()) < 0.9, rates  # someone fails a few: a verdict to read


def test_every_canned_answer_is_for_a_shipped_prompt():
    prompts = [str(m.get("content", "")).lower() for name in NAMES
               for case in load_suite(shipped_dir() / f"{name}.toml").cases for m in case.messages]
    unused = [e.when for e in entries() if not any(e.when in p for p in prompts)]
    assert not unused


def test_an_offline_run_gets_a_demo_judge_that_is_not_a_candidate():
    suite = load_suite(shipped_dir() / "code.toml")
    assert demo_judge(suite, ["demo/swift", "demo/steady"]) == "demo/terse"
    assert demo_judge(suite, ["demo/terse", "demo/steady"]) == "demo/swift"
    assert demo_judge(suite, ["demo/swift", "openai/gpt-4o-mini"]) is None  # a real model: no simulated judge
    assert demo_judge(load_suite(shipped_dir() / "classification.toml"), ["demo/swift"]) is None  # no judge wanted
