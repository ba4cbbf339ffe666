"""`tuiarena suite --baseline`: a weekly CI job's view of regressions, through the real CLI."""

from __future__ import annotations

import json

from tuiarena.cli import main

SUITE = "tests/data/suite_tiny.toml"


def run_suite(capsys, monkeypatch, speed: str, *extra: str) -> tuple[int, dict]:
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", speed)
    code = main(["suite", SUITE, "-m", "demo/swift", "--format", "json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_same_behaviour_has_no_regressions(capsys, monkeypatch):
    run_suite(capsys, monkeypatch, "300")
    code, report = run_suite(capsys, monkeypatch, "300", "--baseline", "latest")
    assert report["baseline"]["regressions"] == []
    assert report["baseline"]["compared_models"] == ["demo/swift"]
    assert code in (0, 1)  # the suite's own requirements decide; no regression adds nothing


def test_slower_model_is_a_latency_regression_and_exits_three(capsys, monkeypatch):
    run_suite(capsys, monkeypatch, "300")  # ~1 ms answers
    code, report = run_suite(capsys, monkeypatch, "1.5", "--baseline", "latest")  # ~0.2 s: far above any noise
    kinds = {r["kind"] for r in report["baseline"]["regressions"]}
    assert "latency" in kinds and code == 3  # 3 = regression, never confused with 1 = unmet requirements
    assert report["baseline"]["regressed"] and report["baseline"]["paired"]["demo/swift"]["reasons"]


def test_unknown_or_wrong_kind_of_baseline_is_bad_input(capsys, monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "300")
    assert main(["suite", SUITE, "-m", "demo/swift", "--baseline", "nosuch"]) == 2
    assert "no session matches" in capsys.readouterr().err
    assert main(["run", "-m", "demo/swift", "hi"]) == 0
    capsys.readouterr()
    assert main(["suite", SUITE, "-m", "demo/swift", "--baseline", "latest"]) == 2
    assert "not a suite run" in capsys.readouterr().err
