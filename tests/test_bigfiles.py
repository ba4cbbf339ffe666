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


def _suite_session(tmp_path: Path, *extra: str) -> Path:
    """A suite session of the tiny suite (copied, so the test may edit it afterwards), demo models."""
    import shutil

    for name in ("suite_tiny.toml", "suite_tiny.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    assert main(["suite", str(tmp_path / "suite_tiny.toml"), "-m", "demo/swift", "-m", "demo/steady",
                 "--repeat", "2", *extra]) in (0, 1)
    (s,) = [s for s in list_sessions() if s.kind == "suite"]
    return s.path


def _in_memory(path: Path, fmt: str) -> str:
    from tuiarena.reports.session import redact_secrets
    from tuiarena.reports.suite import render_session

    return redact_secrets(render_session(read_session(path), fmt))


def test_a_suite_session_report_is_streamed_with_the_in_memory_output(tmp_path, capsys):
    from tuiarena.reports.suite import stream_session

    path = _suite_session(tmp_path, "--judge", "demo/terse")
    with path.open("a") as fh:  # unreadable lines are skipped and counted alike
        fh.write('not json\n{"type":"response","run_id":"r","response_id":"x","text":5}\n{"type":"score","resp')
    capsys.readouterr()
    for fmt in ("md", "table", "json", "csv"):
        skipped: list[tuple[int, str]] = []
        streamed = "".join(stream_session(path, fmt, skipped))
        assert streamed == _in_memory(path, fmt), fmt
        assert skipped == read_session(path).skipped and len(skipped) == 3
        if fmt == "table":
            continue  # (not a `report` format)
        assert main(["report", str(path), "--format", fmt]) == 0
        out, err = capsys.readouterr()
        assert out == streamed + "\n" and err.count("skipped line") == 3
    out_file = tmp_path / "r.csv"
    assert main(["report", str(path), "--out", str(out_file)]) == 0
    assert out_file.read_bytes().decode() == _in_memory(path, "csv")


def test_a_streamed_fold_keeps_no_answer_text_and_the_same_figures(tmp_path, monkeypatch):
    from tuiarena.engine.suite.results import fold_suite_file, fold_suite_log
    from tuiarena.reports.suite import stream_session
    from tuiarena.store import session_lines

    reread: list[int] = []
    real = session_lines.event_at
    monkeypatch.setattr(session_lines, "event_at", lambda fh, offset: reread.append(offset) or real(fh, offset))

    path = _suite_session(tmp_path)
    # the suite file no longer has the JSON check its session's verdicts ran: whether an answer is
    # JSON is then read again, by offset, from the one line that needs it
    jsonl = tmp_path / "suite_tiny.jsonl"
    jsonl.write_text(jsonl.read_text().replace('"expected": {"name": "Ann"}, ', ""))
    streamed, memory = fold_suite_file(path), fold_suite_log(read_session(path))
    assert len(reread) == 4  # the "json" case's answers: 2 models x 2 repeats
    assert streamed.answers and all(a.record.text == "" and a.record.timeline == "" for a in streamed.answers)
    assert any(a.record.text for a in memory.answers)
    assert {m: s.summary() for m, s in streamed.agg.by_model.items()} == \
        {m: s.summary() for m, s in memory.agg.by_model.items()}
    assert any(s.summary()["invalid_json_rate"] is not None for s in memory.agg.by_model.values())
    assert _in_memory(path, "json") == "".join(stream_session(path, "json", []))


def test_the_suite_csv_is_written_a_batch_of_rows_at_a_time(tmp_path):
    from tuiarena.reports.suite import csv_chunks, render, report_from_log

    report = report_from_log(read_session(_suite_session(tmp_path)))
    pieces = list(csv_chunks(report, batch=2))
    rows = sum(len(c["results"][m]) for c in report["matrix"] for m in c["results"])
    assert rows == 12 and len(pieces) == rows // 2 + 1  # (the last piece: whatever follows the last full batch)
    assert "".join(pieces).rstrip("\n") == render(report, "csv")


@pytest.mark.parametrize("line", [
    b'{"type":"note","text":"a"}\n', b'  {"type":"note","text":"a"}  \r\n', b'\xef\xbb\xbf{"type":"note","text":"a"}\n',
    b'{"type":"note","text":"a"}\x0b\n', b'{"type":"note","text":"a"} x\n', b'{"type":"note","text":"a"}{}\n',
    b'\x0b{"type":"note","text":"a"}\n', b'{"type":"note","text":"\xff"}\n', b'{"type":"note","text":NaN}\n', b'[]\n',
])
def test_session_and_suite_lines_read_json_exactly_as_json_loads_does(line, tmp_path):
    from tuiarena.store.session_lines import parse_line

    try:
        json.loads(line)
        valid = True
    except ValueError:
        valid = False
    got = parse_line(line)
    assert (got == "not valid JSON") is not valid, got
    case = line.replace(b'"type":"note","text"', b'"input"')
    try:
        json.loads(case.decode("utf-8").strip())
        valid = True
    except ValueError:
        valid = False
    suite = tmp_path / "s.jsonl"
    suite.write_bytes(case)
    try:
        load_suite(suite)
        problem = ""
    except SuiteError as exc:
        problem = str(exc)
    assert ("invalid JSON" in problem or "not UTF-8" in problem) is not valid, problem


_MIXED = [  # plain cases (checked once, then read without checking) and every other kind of line
    {"id": "p1", "input": "q", "checks": [{"type": "contains", "value": "x"}], "category": "c", "meta": {"k": 1}},
    {"id": "p2", "input": "q"}, {"id": "p3", "input": "q", "checks": []},
    {"id": 7, "input": "int id"}, {"id": "n", "input": "q", "category": None}, {"input": "no id"},
    {"id": "e", "input": "q", "expected": {"a": 1}}, {"id": "m", "messages": [{"role": "user", "content": "hi"}]},
    {"id": "s", "input": "q", "system": "be brief", "temperature": 0.5, "max_latency_ms": 100, "weight": 2},
    {"id": "j", "input": "q", "checks": [{"type": "is-json"}, {"type": "contains", "value": "x"}]},
]


def test_plain_and_other_cases_read_from_a_big_file_equal_a_small_file(tmp_path, monkeypatch):
    import os

    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(["# head", *(json.dumps(c) for c in _MIXED), ""]))
    eager = load_suite(path).cases
    monkeypatch.setattr(cases_mod, "LAZY_BYTES", 0)
    lazy = load_suite(path).cases
    assert isinstance(lazy, cases_mod.CaseFile) and list(lazy.shapes) == [0, 1, 1, -1, -1, -1, -1, -1, -1, 2]
    assert list(lazy) == eager and [lazy[i] for i in range(len(eager))] == eager
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched: every line is checked again, alike
    again = load_suite(path).cases
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2 * 10**9))
    assert list(again) == eager and again[0] == eager[0] and not again._trusted


@pytest.mark.parametrize("line", [
    {"id": "a", "input": "  "}, {"id": " ", "input": "q"}, {"id": "a", "input": "q", "checks": [{"type": "nope"}]},
    {"id": "a", "input": "q", "checks": {"type": "contains"}}, {"id": "a", "input": "q", "category": 3},
    {"id": "a", "input": "q", "extra": 1}, {"id": True, "input": "q"}, {"id": "a", "input": "q", "checks": [5]},
    {"id": "a", "input": "q", "meta": json.loads("[" * 70 + "]" * 70)},
])
def test_a_big_file_gives_the_messages_of_a_small_one(line, tmp_path, monkeypatch):
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps({"id": "ok", "input": "q"}) + "\n" + json.dumps(line) + "\n")
    messages = []
    for lazy_bytes in (10**9, 0):
        monkeypatch.setattr(cases_mod, "LAZY_BYTES", lazy_bytes)
        with pytest.raises(SuiteError) as exc:
            load_suite(path)
        messages.append(str(exc.value))
    assert messages[0] == messages[1] and "line 2" in messages[0]
