"""`tuiarena suite` end to end: demo models and the loopback fake server, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.fakeserver import FakeServer
from tuiarena.cli import main
from tuiarena.store.sessions import read_session

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def fast_demo(monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")


def test_demo_run_markdown_session_and_routing(tmp_path, capsys):
    routing = tmp_path / "routes.toml"
    rc = main(["suite", str(DATA / "suite_tiny.toml"), "-m", "demo/swift", "-m", "demo/steady",
               "--format", "markdown", "--routing-out", str(routing)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    lines = out.splitlines()
    assert "| Model | Latency (s) | Pass | Verdict |" in lines  # suite_tiny has no judge: no grade columns
    assert "## Requirements" in out and "## Recommendation" in out and "Cheapest meeting all requirements" in out
    assert "demo/* models are offline simulations" in err
    routes = tomllib.loads(routing.read_text())["routes"]
    assert set(routes) == {"chat", "extraction", "facts"}
    session = out.strip().splitlines()[-1].split("Session: ", 1)[1]
    log = read_session(session)
    assert log.header.kind == "suite" and log.header.meta["suite"] == "tiny"
    types = [e.type for e in log.events]
    assert types.count("run") == 3 and types.count("response") == 6 and types.count("score") == 6
    runs = [e for e in log.events if e.type == "run"]
    assert sorted(r.case_id for r in runs) == ["capital", "greet", "json"]


def test_bad_input_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "input": "x"}\n{"id": "b", "input": "x", "checks": [{"type": "regexp"}]}\n')
    assert main(["suite", str(bad), "-m", "demo/swift"]) == 2
    err = capsys.readouterr().err
    assert 'bad.jsonl: line 2: field "checks"[0].type: unknown check "regexp"' in err
    assert "Traceback" not in err
    assert main(["suite", "no-such-suite", "-m", "demo/swift"]) == 2
    assert main(["suite", str(DATA / "suite_tiny.toml"), "-m", "nowhere/x"]) == 2
    assert main(["suite", str(DATA / "suite_tiny.toml"), "--repeat", "0"]) == 2


def _fake_config(home: Path, base_url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[endpoints.fake]\nbase_url = "{base_url}"\nmodels = ["fake-model", "server-error"]\nmax_retries = 0\n'
        '[pricing."fake/fake-model"]\ninput = 1.0\noutput = 2.0\n'
    )


def _suite(tmp_path: Path, requirements: str) -> Path:
    (tmp_path / "cases.jsonl").write_text("".join(
        json.dumps({"id": f"c{i}", "input": f"question {i}", "category": "even" if i % 2 == 0 else "odd",
                    "checks": [{"type": "contains", "value": "tok3"}, {"type": "regex", "pattern": r"^tok0"}]}) + "\n"
        for i in range(6)))
    p = tmp_path / "fake.toml"
    p.write_text(f'name = "fake"\ncases = "cases.jsonl"\n[defaults]\nmax_tokens = 50\n[requirements]\n{requirements}')
    return p


@pytest.mark.parametrize(
    "requirements, code",
    [
        ("min_pass_rate = 0.9\nmax_error_rate = 0\nmax_cost_per_request = 0.01\n", 0),
        ("min_pass_rate = 0.9\nmax_p95_latency_ms = 1\n", 1),  # the fake server's TTFT alone is 20 ms
    ],
)
def test_fake_server_requirements_exit_codes(tmp_path, tuiarena_home, capsys, requirements, code):
    with FakeServer(ttft=0.02, tokens_per_s=0, n_tokens=8) as srv:
        _fake_config(tuiarena_home, srv.base_url)
        rc = main(["suite", str(_suite(tmp_path, requirements)), "-m", "fake/fake-model", "-m", "fake/server-error",
                   "--format", "json", "--concurrency", "4"])
    out, err = capsys.readouterr()
    assert rc == code, err
    report = json.loads(out)
    ok, broken = report["summary"]["fake/fake-model"], report["summary"]["fake/server-error"]
    assert ok["pass_rate"] == 1.0 and ok["responses"] == 6 and ok["cost_usd"] > 0
    assert broken["error_rate"] == 1.0 and broken["pass_rate"] == 0.0
    assert not report["verdicts"]["fake/server-error"]["meets"]
    if code == 0:
        assert report["recommendation"]["cheapest"] == "fake/fake-model"
    else:
        assert report["verdicts"]["fake/fake-model"]["failures"][0].startswith("max_p95_latency_ms: p95 latency")
        assert report["recommendation"]["cheapest"] is None


def test_cache_second_run_makes_no_requests(tmp_path, tuiarena_home, capsys):
    suite = _suite(tmp_path, "min_pass_rate = 0.5\n")
    with FakeServer(ttft=0, n_tokens=8) as srv:
        _fake_config(tuiarena_home, srv.base_url)
        args = ["suite", str(suite), "-m", "fake/fake-model", "--cache", "--format", "json"]
        assert main(args) == 0
        first = len(srv.chat_requests)
        capsys.readouterr()
        assert main(args) == 0
        assert len(srv.chat_requests) == first == 6
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["fake/fake-model"]["cached"] == 6
    assert report["summary"]["fake/fake-model"]["pass_rate"] == 1.0


def test_out_file_and_judge_candidate_warning(tmp_path, capsys):
    out = tmp_path / "report.csv"
    rc = main(["suite", str(DATA / "suite_tiny.toml"), "-m", "demo/swift", "--judge", "demo/swift",
               "--format", "csv", "--out", str(out), "--no-session"])
    err = capsys.readouterr().err
    assert rc == 0
    assert "judge demo/swift is also a candidate" in err
    assert out.read_text().startswith("category,model,responses")
