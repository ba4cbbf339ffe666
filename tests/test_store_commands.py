"""`tuiarena models` and `tuiarena sessions` through the real CLI entry point."""

from __future__ import annotations

import json

from tuiarena.cli import main
from tuiarena.model import ResponseDone, RunStarted
from tuiarena.store import paths
from tuiarena.store.sessions import SessionWriter, list_sessions


def session(name, models=("demo/swift",)):
    with SessionWriter.create(name=name) as w:
        w.write(RunStarted(run_id="r", models=list(models), messages=[{"role": "user", "content": "hi"}]))
        for m in models:
            w.write(ResponseDone(run_id="r", response_id=m, model=m, cost_usd=0.25))
    return w


def test_sessions_list_table_json_and_filter(capsys):
    assert main(["sessions"]) == 0
    assert "no sessions saved yet" in capsys.readouterr().out
    a = session("apples", models=("demo/swift", "openai/gpt-4o-mini"))
    b = session("bananas")
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "apples" in out and "bananas" in out and a.session_id in out and "$0.5000" in out
    assert main(["sessions", "--json", "--filter", "gpt-4o"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["session_id"] for r in rows] == [a.session_id]
    assert rows[0]["responses"] == 2 and rows[0]["path"].endswith(".jsonl")
    assert main(["sessions", "list", "--filter", "banana"]) == 0
    out = capsys.readouterr().out
    assert b.session_id in out and a.session_id not in out


def test_sessions_rename_delete_import(capsys, tmp_path):
    a = session("first")
    assert main(["sessions", "rename", a.session_id[:5], "better name"]) == 0
    assert list_sessions()[0].name == "better name"
    capsys.readouterr()
    # no tty and no --yes: refuse, exit 2, one line, file kept
    assert main(["sessions", "delete", "better name"]) == 2
    assert "--yes" in capsys.readouterr().err and a.path.exists()
    assert main(["sessions", "delete", "better name", "--yes"]) == 0
    assert not a.path.exists()
    # import the file from elsewhere
    other = SessionWriter.create(name="from a colleague", directory=tmp_path / "inbox")
    other.close()
    assert main(["sessions", "import", str(other.path)]) == 0
    assert "imported" in capsys.readouterr().out
    assert main(["sessions", "import", str(other.path)]) == 2
    assert "already imported" in capsys.readouterr().err
    assert main(["sessions", "delete", "nope", "--yes"]) == 2
    assert "no session matches" in capsys.readouterr().err


def test_sessions_import_refuses_newer_format(capsys, tmp_path):
    f = tmp_path / "future.jsonl"
    f.write_text(json.dumps({"type": "header", "session_id": "abc", "format": 3}) + "\n")
    assert main(["sessions", "import", str(f)]) == 2
    err = capsys.readouterr().err
    assert "newer tuiarena" in err and "upgrade" in err and "Traceback" not in err
    assert not list(paths.sessions_dir().glob("*.jsonl"))


def test_models_lists_demo_with_prices(capsys):
    assert main(["models", "--no-probe"]) == 0
    out = capsys.readouterr().out
    assert "demo/swift (demo, offline)" in out and "demo (fictional)" in out


def test_models_json_configured_endpoint_prices(capsys):
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(
        '[endpoints.openai]\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "OPENAI_API_KEY"\n'
        'models = ["gpt-4o-mini-2024-07-18", "mystery-model"]\n'
        '[pricing."openai/mystery-model"]\ninput = 1.5\noutput = 3\n'
    )
    assert main(["models", "--json", "--no-probe"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["openai/gpt-4o-mini-2024-07-18"]["input_per_m"] == 0.15
    assert rows["openai/mystery-model"]["output_per_m"] == 3 and rows["openai/mystery-model"]["price_source"] == "config"
    assert rows["openai/gpt-4o-mini-2024-07-18"]["source"] == "config"
    assert rows["demo/swift"]["demo"] is True


def test_models_unknown_price_shown_as_unknown(capsys):
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text('[endpoints.acme]\nbase_url = "http://127.0.0.1:9/v1"\nmodels = ["zz-1"]\n')
    assert main(["models", "--no-probe"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("acme/zz-1"))
    assert "unknown" in line and "$0 " not in line


def test_models_broken_config_is_one_line_exit_2(capsys):
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("[endpoints.x\n")
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert "config.toml: line 1" in err and "Traceback" not in err
