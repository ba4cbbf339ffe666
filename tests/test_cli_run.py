"""`tuiarena run` end to end: the real CLI, the real openai SDK, the loopback server."""

from __future__ import annotations

import json

import pytest

from tests.fakeserver import FakeServer
from tuiarena.cli import main


@pytest.fixture
def server(tuiarena_home):
    with FakeServer(ttft=0.02, tokens_per_s=2000, n_tokens=12) as srv:
        tuiarena_home.mkdir(parents=True, exist_ok=True)
        (tuiarena_home / "config.toml").write_text(
            f'[endpoints.fake]\nbase_url = "{srv.base_url}"\napi_key_env = "FAKE_KEY"\nmax_retries = 1\n'
        )
        yield srv


def run_json(capsys, *args):
    code = main(["run", "--format", "json", *args])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip().startswith("[") else None), out.err


def test_json_fields_and_exit_zero(server, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "sk-test-PLANTED-KEY-123")
    code, rows, err = run_json(capsys, "-m", "fake/normal", "-m", "fake/no-usage", "hello")
    assert code == 0, err
    by = {r["model"]: r for r in rows}
    needed = {"model", "ttft_ms", "ttft_answer_ms", "total_ms", "tokens_per_s", "prompt_tokens", "completion_tokens",
              "tokens_estimated", "cost_usd", "finish_reason", "error", "text", "reasoning"}
    assert needed <= set(by["fake/normal"])
    assert by["fake/normal"]["text"].startswith("tok0 tok1")
    assert by["fake/normal"]["tokens_estimated"] is False and by["fake/normal"]["completion_tokens"] == 12
    assert by["fake/no-usage"]["tokens_estimated"] is True
    assert by["fake/normal"]["ttft_ms"] >= 20 and by["fake/normal"]["cost_usd"] is None  # unknown price
    # the run is a session, and no file we wrote holds the key
    files = list(server_home(capsys).rglob("*"))
    assert any(f.suffix == ".jsonl" for f in files)
    for f in files:
        if f.is_file():
            assert "PLANTED-KEY" not in f.read_text(errors="replace")
    assert any(r.headers.get("authorization", "").endswith("PLANTED-KEY-123") for r in server.requests)


def server_home(_capsys):
    import os
    from pathlib import Path

    return Path(os.environ["TUIARENA_HOME"])


def test_one_failure_exits_one_and_names_env_var(server, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "x")
    code, rows, _err = run_json(capsys, "-m", "fake/normal", "-m", "fake/auth", "hi")
    assert code == 1
    bad = next(r for r in rows if r["model"] == "fake/auth")
    assert bad["status"] == "error" and bad["error_kind"] == "auth" and "FAKE_KEY" in bad["error"]
    assert bad["cost_usd"] is None


def test_cut_stream_and_reasoning(server, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "x")
    code, rows, _ = run_json(capsys, "-m", "fake/cut", "-m", "fake/reasoning-content", "hi")
    by = {r["model"]: r for r in rows}
    assert code == 1
    assert by["fake/cut"]["status"] == "cut" and by["fake/cut"]["text"]
    r = by["fake/reasoning-content"]
    assert r["reasoning"] and r["text"] and r["ttft_ms"] <= r["ttft_answer_ms"]


@pytest.mark.parametrize("args, needle", [
    (["-m", "nowhere/x", "hi"], "unknown endpoint"),
    (["-m", "noslash", "hi"], "endpoint/model"),
    (["-m", "demo/swift", "   "], "empty"),
])
def test_bad_usage_exits_two_with_one_line(args, needle, capsys):
    assert main(["run", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and err.count("\n") == 1


def test_broken_config_exits_two_naming_file_and_line(tuiarena_home, capsys):
    tuiarena_home.mkdir(parents=True)
    (tuiarena_home / "config.toml").write_text("[ui]\ntheme = \n")
    assert main(["run", "-m", "demo/swift", "hi"]) == 2
    err = capsys.readouterr().err
    assert "config.toml" in err and "line 2" in err


def test_demo_runs_offline_with_table(capsys, monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "500")
    assert main(["run", "-m", "demo/swift", "-m", "demo/terse", "--format", "markdown", "What is TCP?"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("| Model |") and "demo/swift" in out.out
    assert "offline simulations" in out.err


def test_escape_codes_are_shown_not_obeyed(server, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "x")
    assert main(["run", "-m", "fake/escape", "hi"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b" in out
