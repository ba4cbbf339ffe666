"""The shipped sample suites: five real suites of 20+ cases, every check valid, and the reference
answers (``expected``) pass the checks that grade against them — so a check is never unsatisfiable."""

from __future__ import annotations

import json
import tomllib
from collections import Counter

import pytest

from tuiarena.scoring.checks import CHECKS, CheckContext, score_case, validate_check
from tuiarena.store.paths import data_path

SUITES_DIR = data_path("sample_suites")
NAMES = ("code", "extraction", "classification", "summarisation", "edge_cases")
REQUIREMENT_KEYS = {
    "max_p95_latency_ms",
    "max_cost_per_request",
    "min_pass_rate",
    "min_judge_score",
    "requests_per_month",
}


def _toml(name: str) -> dict:
    return tomllib.loads((SUITES_DIR / f"{name}.toml").read_text(encoding="utf-8"))


def _cases(name: str) -> list[dict]:
    path = SUITES_DIR / _toml(name)["cases"]
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_five_suites_ship():
    tomls = sorted(p.stem for p in SUITES_DIR.glob("*.toml"))
    assert set(NAMES) <= set(tomls)


@pytest.mark.parametrize("name", NAMES)
def test_suite_wrapper(name):
    meta = _toml(name)
    assert meta["name"] == name
    assert meta["description"].strip()
    assert (SUITES_DIR / meta["cases"]).is_file()
    assert meta["defaults"]["temperature"] == 0
    assert isinstance(meta["defaults"]["max_tokens"], int) and meta["defaults"]["max_tokens"] > 0
    req = meta["requirements"]
    assert req and set(req) <= REQUIREMENT_KEYS, set(req) - REQUIREMENT_KEYS
    assert 0 < req["min_pass_rate"] <= 1
    if "judge" in meta:
        rubric = meta["judge"]["rubric"].lower()
        assert all(axis in rubric for axis in ("correctness", "clarity", "conciseness"))
        assert "return only" not in rubric  # the judge appends its own reply format (rubric and pairwise)


@pytest.mark.parametrize("name", NAMES)
def test_cases_are_well_formed(name):
    cases = _cases(name)
    assert len(cases) >= 20
    ids = [c["id"] for c in cases]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    categories = Counter(c["category"] for c in cases)
    assert len(categories) >= 3, categories  # per-category aggregates mean something
    assert all(n >= 2 for n in categories.values()), categories
    for case in cases:
        assert ("input" in case) != ("messages" in case), case["id"]
        if "messages" in case:
            assert case["messages"][-1]["role"] == "user"
        assert case["checks"], case["id"]
        for check in case["checks"]:
            assert check["type"] in CHECKS, (case["id"], check)
            validate_check(check, case.get("expected"))  # raises CheckSpecError naming the field


def _reference_answer(case: dict) -> str | None:
    expected = case.get("expected")
    if isinstance(expected, dict):
        return json.dumps(expected)
    return expected if isinstance(expected, str) else None


@pytest.mark.parametrize("name", ("extraction", "classification", "summarisation"))
def test_reference_answers_pass_their_checks(name):
    failures = []
    for case in _cases(name):
        checks = [validate_check(c, case.get("expected")) for c in case["checks"]]
        result = score_case(checks, _reference_answer(case), CheckContext(expected=case.get("expected")))
        if not result.passed:
            failures.append((case["id"], result.reason()))
    assert not failures


def test_lis_case_matches_the_tutorial_task():
    lis = next(c for c in _cases("code") if c["id"] == "lis")
    assert "longest strictly increasing subsequence" in lis["input"]
    checks = [validate_check(c, lis.get("expected")) for c in lis["checks"]]
    assert {c["type"] for c in checks} >= {"contains", "regex", "not-contains", "max-length"}
    good = f"```python\n{lis['expected']}```"
    assert score_case(checks, good, CheckContext()).passed
    untyped = good.replace("nums: list[int]) -> list[int]", "nums)")
    assert score_case(checks, untyped, CheckContext()).passed is False
    namespace: dict = {}
    exec(lis["expected"], namespace)  # the reference solution is correct
    assert namespace["longest_increasing_subsequence"]([10, 9, 2, 5, 3, 7, 101, 18]) == [2, 3, 7, 18]


def test_edge_cases_cover_refusal_both_ways_and_four_languages():
    cases = _cases("edge_cases")
    by_cat = Counter(c["category"] for c in cases)
    assert {"ambiguous", "adversarial", "multilingual", "should-refuse", "should-not-refuse"} <= set(by_cat)
    for case in cases:
        types = {c["type"] for c in case["checks"]}
        if case["category"] == "should-refuse":
            assert "refusal" in types, case["id"]
        if case["category"] == "should-not-refuse":
            assert "not-refused" in types, case["id"]
    prefixes = {c["id"].split("-")[0] for c in cases if c["category"] == "multilingual"}
    assert {"fr", "de", "ja", "es"} <= prefixes


@pytest.mark.parametrize("name", NAMES)
def test_loads_through_the_suite_loader(name):
    suite_mod = pytest.importorskip("tuiarena.engine.suite.load")
    suite = suite_mod.load_suite(SUITES_DIR / f"{name}.toml")
    assert suite.name == name
    assert len(suite.cases) >= 20
    for case in suite.cases:
        for check in case.checks:
            assert check["type"] in CHECKS
