"""Big inputs read as streams (issue 15, class 12): a big JSONL suite keeps only offsets, models
are checked before the suite is read, and the csv export of a session is streamed with exactly
the output of the in-memory export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuiarena.cli import main
from tuiarena.engine.suite import cases as cases_mod
from tuiarena.engine.suite.load import load_suite
from tuiarena.errors import SuiteError
from tuiarena.reports.export import export_session
from tuiarena.store.sessions import list_sessions, read_session

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def fast_demo(monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")


def _suite(path: Path, n: int) -> Path:
    lines = ["# a comment", ""]
    lines += [json.dumps({"id": f"c{i}", "input": f"question {i}", "category": "a" if i % 2 else "b",
                          "checks": [{"type": "contains", "value": "x"}]}) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_big_suite_is_read_as_a_stream(tmp_path, monkeypatch):
    path = _suite(tmp_path / "s.jsonl", 50)
    eager = load_suite(path).cases
    monkeypatch.setattr(cases_mod, "LAZY_BYTES", 0)
    lazy = load_suite(path).cases
    assert isinstance(lazy, cases_mod.CaseFile) and isinstance(eager, list)
    assert len(lazy) == len(eager) == 50
    assert list(lazy) == eager and [lazy[i] for i in range(50)] == eager
    assert lazy[-1] == eager[-1] and lazy[3:5] == eager[3:5] and lazy[7].where.endswith("line 10")
    with pytest.raises(IndexError):
        lazy[50]
    dup = tmp_path / "d.jsonl"
    dup.write_text('{"id": "a", "input": "x"}\n{"id": "b", "input": "x"}\n{"id": "a", "input": "y"}\n')
    with pytest.raises(SuiteError, match=r'line 3: field "id": duplicate id \'a\' \(first at line 1\)'):
        load_suite(dup)


def test_a_streamed_suite_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cases_mod, "LAZY_BYTES", 0)
    path = _suite(tmp_path / "s.jsonl", 6)
    assert main(["suite", str(path), "-m", "demo/swift", "-m", "demo/terse", "--format", "json"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    assert report["cases"] == 6 and report["summary"]["demo/swift"]["responses"] == 6


def test_models_are_checked_before_the_suite_is_read(tmp_path, monkeypatch, capsys):
    import tuiarena.engine.suite.load as load_mod

    def never(*_a, **_k):
        raise AssertionError("the suite was read before the model was checked")

    monkeypatch.setattr(load_mod, "load_suite", never)
    assert main(["suite", str(tmp_path / "whatever.jsonl"), "-m", "nope/x"]) == 2
    assert "unknown endpoint 'nope'" in capsys.readouterr().err


def test_streamed_csv_equals_the_in_memory_export(tmp_path, capsys):
    assert main(["run", "-m", "demo/swift", "-m", "demo/steady", "first \x1b[2J prompt"]) == 0
    assert main(["suite", str(DATA / "suite_tiny.toml"), "-m", "demo/swift", "-m", "demo/steady"]) in (0, 1)
    capsys.readouterr()
    for s in list_sessions():
        with s.path.open("a") as fh:  # a garbled line and a response whose run line was lost
            fh.write('{"type":"response","run_id":"gone","response_id":"o1","model":"demo/x","text":"orphan"}\nnot json\n')
        assert main(["report", str(s.path), "--format", "csv"]) == 0
        streamed, err = capsys.readouterr()
        if s.kind == "suite":  # a suite session's csv is its suite report (issue 16), not a run export
            assert streamed.startswith("category,model,responses") and "skipped line" in err
            continue
        expected = export_session(read_session(s.path), "csv")
        assert streamed == expected and "skipped line" in err
        out = tmp_path / f"{s.session_id}.csv"
        assert main(["report", str(s.path), "--out", str(out)]) == 0
        assert out.read_text() == expected and (out.stat().st_mode & 0o777) == 0o600
