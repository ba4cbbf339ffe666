"""Session files: round trip, torn lines, versions, listing with a stale-aware index, import."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tuiarena.engine.run.timeline import points
from tuiarena.errors import SessionFileError
from tuiarena.model import (
    NoteTaken,
    ResponseDelta,
    ResponseDone,
    ResponseStarted,
    RunStarted,
    SessionRenamed,
    VoteCast,
)
from tuiarena.store import paths
from tuiarena.store.sessions import (
    SessionWriter,
    delete_session,
    import_session,
    list_sessions,
    read_header,
    read_session,
    rename_session,
    resolve_session,
)


def make_session(name="s", kind="compare", models=("demo/swift", "demo/thinker"), runs=1, cost=0.001,
                 directory=None, prompt="Why is the sky blue?"):
    w = SessionWriter.create(kind=kind, name=name, directory=directory)
    for r in range(runs):
        run_id = f"r{r}"
        w.write(RunStarted(run_id=run_id, models=list(models), messages=[{"role": "user", "content": prompt}]))
        for m in models:
            w.write(ResponseStarted(run_id=run_id, response_id=f"{run_id}-{m}", model=m))
            w.write(ResponseDelta(response_id=f"{run_id}-{m}", text="Ray", ms=5))
            w.write(ResponseDone(run_id=run_id, response_id=f"{run_id}-{m}", model=m, text='Rayleigh "scattering"\n',
                                 cost_usd=cost, prompt_tokens=10, completion_tokens=20, timeline=[[5.0, 3], [25.0, 21]]))
    w.close()
    return w


def test_writer_file_name_mode_and_header(tuiarena_home):
    w = make_session(name="first")
    assert w.path.parent == tuiarena_home / "sessions"
    assert w.path.name.endswith(f"-{w.session_id}.jsonl") and len(w.path.name.split("-")[0]) == 8
    assert stat.S_IMODE(w.path.stat().st_mode) == 0o600
    first = json.loads(w.path.read_text().splitlines()[0])
    assert first["type"] == "header" and first["format"] == 1 and first["app_version"]
    assert w.closed


def test_round_trip_skips_transient_events():
    w = make_session(runs=2)
    log = read_session(w.path)
    assert log.header.session_id == w.session_id and log.header.name == "s"
    assert log.skipped == []
    kinds = [type(e).__name__ for e in log.events]
    assert kinds == ["RunStarted", "ResponseDone", "ResponseDone"] * 2  # no deltas / starts stored
    done = log.events[1]
    assert isinstance(done, ResponseDone) and done.text == 'Rayleigh "scattering"\n'
    assert points(done.timeline) == [[5.0, 3], [25.0, 21]] and done.cost_usd == 0.001


def test_writer_is_a_context_manager_and_a_sink():
    with SessionWriter.create(name="ctx") as w:
        w(NoteTaken(text="hello ✓"))
    assert w.closed
    assert read_session(w.path).events[0].text == "hello ✓"
    with pytest.raises(ValueError):
        w.write(NoteTaken(text="after close"))


def test_torn_last_line_is_skipped_and_reported():
    w = make_session()
    good = len(read_session(w.path).events)
    with open(w.path, "ab") as fh:
        fh.write(b'{"type":"response","run_id":"r9","text":"half an ans')
    log = read_session(w.path)
    assert len(log.events) == good
    assert len(log.skipped) == 1 and "torn" in log.skipped[0][1]
    assert log.skipped[0][0] == len(w.path.read_bytes().split(b"\n"))


def test_garbled_and_unknown_lines_are_skipped_with_reasons():
    w = make_session()
    lines = w.path.read_text().splitlines()
    lines.insert(2, "{not json")
    lines.insert(3, json.dumps({"type": "hologram", "x": 1}))
    lines.insert(4, "[1, 2]")
    w.path.write_text("\n".join(lines) + "\n")
    log = read_session(w.path)
    reasons = dict(log.skipped)
    assert reasons[3] == "not valid JSON"
    assert "unknown event type 'hologram'" in reasons[4]
    assert reasons[5] == "not a JSON object"
    assert len(log.events) == 3


def test_not_a_session_and_newer_format_refused(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"type":"run"}\n')
    with pytest.raises(SessionFileError, match="not a tuiarena session"):
        read_session(bad)
    bad.write_text("")
    with pytest.raises(SessionFileError, match="not a tuiarena session"):
        read_session(bad)
    newer = tmp_path / "n.jsonl"
    newer.write_text(json.dumps({"type": "header", "session_id": "abc", "format": 2}) + "\n")
    with pytest.raises(SessionFileError, match=r"newer tuiarena \(format 2, this one reads 1\): upgrade"):
        read_session(newer)
    with pytest.raises(SessionFileError, match="newer"):
        read_header(newer)
    with pytest.raises(SessionFileError, match="no such session"):
        read_session(tmp_path / "missing.jsonl")


def test_no_api_key_in_written_files(monkeypatch, tuiarena_home):
    secret = "sk-test-PLANTED-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    from tuiarena.store.config import append_history, update_config

    update_config({"endpoints": {"openai": {"base_url": "https://api.openai.com/v1",
                                            "api_key_env": "OPENAI_API_KEY"}}})
    append_history("hello")
    make_session(models=("openai/gpt-4o-mini",))
    list_sessions()  # writes the index too
    written = [p for p in tuiarena_home.rglob("*") if p.is_file()]
    assert len(written) >= 4
    for p in written:
        assert secret.encode() not in p.read_bytes(), p


def test_list_sessions_summaries_newest_first():
    a = make_session(name="alpha", runs=2, cost=0.5)
    b = make_session(name="beta", kind="blind", models=("demo/swift", "openai/gpt-4o-mini"), cost=None)
    with SessionWriter.append_to(b.path) as w:
        w.write(VoteCast(run_id="r0", model_a="demo/swift", model_b="openai/gpt-4o-mini", outcome="a"))
    os.utime(a.path, ns=(1, 1))  # mtime must not matter for order: created does
    found = list_sessions()
    assert [s.session_id for s in found] == [b.session_id, a.session_id]
    sa = found[1]
    assert (sa.name, sa.kind, sa.runs, sa.responses, sa.votes) == ("alpha", "compare", 2, 4, 0)
    assert sa.cost_usd == pytest.approx(2.0) and sa.models == ["demo/swift", "demo/thinker"]
    assert sa.first_prompt == "Why is the sky blue?"
    sb = found[0]
    assert (sb.kind, sb.votes, sb.cost_usd) == ("blind", 1, None)  # unknown cost stays unknown
    assert (paths.sessions_dir() / "index.json").exists()


def test_index_notices_changes_and_can_be_rebuilt():
    w = make_session(name="one")
    assert list_sessions()[0].responses == 2
    with SessionWriter.append_to(w.path) as aw:
        aw.write(ResponseDone(run_id="r0", response_id="extra", model="demo/new", cost_usd=1.0, status="error"))
    s = list_sessions()[0]
    assert s.responses == 3 and s.failed == 1 and "demo/new" in s.models and s.cost_usd == pytest.approx(1.002)
    rename_session(w.path, "renamed")
    assert list_sessions()[0].name == "renamed"
    assert read_session(w.path).name == "renamed"
    index = paths.sessions_dir() / "index.json"
    index.write_text("{garbage")
    again = list_sessions()[0]
    assert (again.name, again.responses) == ("renamed", 3)
    make_session(name="two")
    assert len(list_sessions()) == 2
    delete_session(w.path)
    assert [s.name for s in list_sessions()] == ["two"]


def test_index_is_not_fooled_by_a_rewrite():
    w = make_session(name="orig", runs=3)
    assert list_sessions()[0].runs == 3
    lines = w.path.read_bytes().split(b"\n")
    w.path.write_bytes(b"\n".join(lines[:2]) + b"\n")  # truncated: shorter file
    assert list_sessions()[0].runs == 1


def test_listing_survives_broken_files():
    make_session(name="ok")
    (paths.sessions_dir() / "20200101-000000-junk.jsonl").write_text("hello\n")
    assert [s.name for s in list_sessions()] == ["ok"]
    assert len(list_sessions(include_invalid=True)) == 2


def test_torn_tail_is_sealed_before_appending():
    w = make_session()
    with open(w.path, "ab") as fh:
        fh.write(b'{"type":"note","text":"cut')
    rename_session(w.path, "after crash")
    log = read_session(w.path)
    assert log.name == "after crash"
    assert len(log.skipped) == 1 and log.skipped[0][1] == "not valid JSON"
    assert list_sessions()[0].name == "after crash"


def test_resolve_session():
    a = make_session(name="Alpha run")
    b = make_session(name="beta")
    assert resolve_session(a.session_id) == a.path
    assert resolve_session(a.session_id[:6]) == a.path
    assert resolve_session("alpha run") == a.path
    assert resolve_session(str(b.path)) == b.path
    assert resolve_session(b.path.name) == b.path
    assert resolve_session("latest") == b.path
    with pytest.raises(SessionFileError, match="no session matches 'zzz'"):
        resolve_session("zzz")
    make_session(name="beta")
    with pytest.raises(SessionFileError, match="matches 2 sessions"):
        resolve_session("beta")


def test_import_copies_and_refuses_duplicates_and_newer(tmp_path):
    elsewhere = tmp_path / "colleague"
    w = make_session(name="theirs", directory=elsewhere)
    target = import_session(w.path)
    assert target.parent == paths.sessions_dir() and target.name == w.path.name
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [s.name for s in list_sessions()] == ["theirs"]
    with pytest.raises(SessionFileError, match="already imported"):
        import_session(w.path)
    newer = tmp_path / "newer.jsonl"
    newer.write_text(json.dumps({"type": "header", "session_id": "fff", "format": 7}) + "\n")
    with pytest.raises(SessionFileError, match="format 7"):
        import_session(newer)
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n")
    with pytest.raises(SessionFileError, match="not a tuiarena session"):
        import_session(junk)
    assert len(list(paths.sessions_dir().glob("*.jsonl"))) == 1


def test_rename_event_is_appended():
    w = make_session(name="old")
    rename_session(w.path, "  new  ")
    log = read_session(w.path)
    assert isinstance(log.events[-1], SessionRenamed) and log.events[-1].name == "new"
    assert log.header.name == "old" and log.name == "new"


def test_index_is_not_fooled_by_a_same_size_edit():
    w = make_session(name="orig", cost=0.001)
    assert list_sessions()[0].cost_usd == pytest.approx(0.002)
    data = w.path.read_bytes()
    w.path.write_bytes(data.replace(b'"cost_usd":0.001', b'"cost_usd":0.009'))
    os.utime(w.path, ns=(w.path.stat().st_atime_ns, w.path.stat().st_mtime_ns + 10**9))
    assert list_sessions()[0].cost_usd == pytest.approx(0.018)
