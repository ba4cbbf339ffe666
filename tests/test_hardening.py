"""Hostile input, as a careless user, a broken server or an attacker would give it (issue 15,
classes 1-5, 11): terminal injection, Ctrl-C, bad session files, deep nesting, bad numbers and
the environment. Each must be one clear message in the right place, nothing lost, nothing obeyed."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile import DEEP, HostileServer, config_toml
from tuiarena.cli import main

ROOT = Path(__file__).resolve().parent.parent
OUR_CONTROLS = b"\r\x1b[2K"  # the progress line's own "clear the line": the only escape we send


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, TUIARENA_HOME=str(home), TUIARENA_NO_PROBE="1", TUIARENA_DEMO_SPEED="1000",
                PYTHONPATH=str(ROOT), COLUMNS="200")


def _in_pty(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> tuple[int, bytes]:
    """Run ``tuiarena ARGS`` with stdout and stderr on a pseudo-terminal; (exit code, all bytes)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tuiarena", *args], stdout=slave, stderr=slave,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, env=env, cwd=ROOT)
    os.close(slave)
    if stdin is not None:
        proc.stdin.write(stdin)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError(f"{args}: no output for 60 s")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    return proc.wait(30), out


def _assert_inert(out: bytes, what: str) -> None:
    rest = out.replace(OUR_CONTROLS, b"")
    for bad in (b"\x1b", b"\xc2\x9b", b"\x07", b"\x08", b"\x9b"):
        assert bad not in rest, f"{what}: raw {bad!r} reached the terminal:\n{out[:3000]!r}"


@pytest.fixture(scope="module")
def hostile():
    with HostileServer() as srv:
        yield srv


@contextlib.contextmanager
def _pty_output() -> Iterator[list[bytes]]:
    """stdout and stderr on a pseudo-terminal (isatty() is true) for commands run in-process; the
    bytes that reached the terminal are in the yielded list afterwards."""
    master, slave = pty.openpty()
    got: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            got.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    term = open(slave, "w", encoding="utf-8", closefd=True, buffering=1)  # noqa: SIM115
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = term
    try:
        yield got
    finally:
        sys.stdout, sys.stderr = old
        term.close()
        reader.join(10)
        os.close(master)


def test_nothing_from_a_server_drives_the_terminal(tmp_path, hostile, tuiarena_home, monkeypatch):
    """Every command and format, stdout and stderr on a pty: the model's escapes show as text."""
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")
    tuiarena_home.mkdir(parents=True, exist_ok=True)
    (tuiarena_home / "config.toml").write_text(config_toml(hostile.base_url))
    models = ["-m", "hostile/inject", "-m", "hostile/inject-error", "-m", "hostile/deep"]
    suite = tmp_path / "s.jsonl"
    suite.write_text('{"id": "a\\u001b[2Jb", "input": "hi", "checks": [{"type": "contains", "value": "\\u001b]0;x"}]}\n')
    commands = [["run", *models, "hi", "--format", f, "--name", "n\x1b]0;t\x07"] for f in ("table", "markdown", "json", "csv")]
    commands += [["suite", str(suite), "-m", "hostile/inject", "--format", f] for f in ("table", "markdown", "json", "csv")]
    commands += [["report", "latest", "--format", f] for f in ("md", "csv", "json", "html")]
    commands += [["replay", "latest", "--instant"], ["sessions"], ["sessions", "--json"], ["models"], ["models", "--json"],
                 ["history"], ["run", "-m", "hostile/evil\x1b]0;t\x07", "hi"], ["run", "-m", "nowhere\x1b[2J/x", "hi"]]
    seen = b""
    for args in commands:
        with _pty_output() as got:
            main(args)
        out = b"".join(got)
        assert b"Traceback" not in out, (args, out)
        _assert_inert(out, " ".join(args))
        seen += out
    assert b"\\x1b]52;c;cHduZWQ=\\x07" in seen  # the clipboard write, shown as text
    assert b"\\u009b31m" in seen and b"\\x1b]0;err-title" in seen and b"evil\\x1b]0;model-title" in seen


def test_a_real_process_on_a_pty_is_inert(tmp_path, hostile):
    """The same through a real process: prompt on stdin with escapes, model output with escapes."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(config_toml(hostile.base_url))
    code, out = _in_pty(["run", "-m", "hostile/inject", "--format", "csv"], _env(home), stdin=b"\x1b[2Jprompt")
    assert code == 0, out
    _assert_inert(out, "run with stdin")
    assert b"\\x1b]52;c;cHduZWQ=" in out


def test_files_keep_the_text_without_raw_escapes(tmp_path, hostile, capsys):
    home = Path(os.environ["TUIARENA_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(config_toml(hostile.base_url))
    assert main(["run", "-m", "hostile/inject", "hi", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out
    assert json.loads(out)[0]["text"].startswith("ok \x1b[2J")  # JSON escapes decode back to the text
    for fmt in ("md", "csv", "json", "html"):
        target = tmp_path / f"r.{fmt}"
        assert main(["report", "latest", "--out", str(target)]) == 0
        data = target.read_bytes()
        assert b"\x1b" not in data and b"\xc2\x9b" not in data, fmt
        assert b"cHduZWQ=" in data
    session = next((home / "sessions").glob("*.jsonl")).read_bytes()
    assert b"\x1b" not in session and b"\xc2\x9b" not in session


def _suite_config(home: Path, base_url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(config_toml(base_url))


def test_ctrl_c_during_suite_stops_sending_and_prints_the_partial_report(tmp_path):
    """4 answers come back, 2 more are held in flight; Ctrl-C: no new request, partial report, 130."""
    cases = tmp_path / "many.jsonl"
    cases.write_text("".join(json.dumps({"id": f"c{i}", "input": f"q{i}", "checks": [{"type": "contains", "value": "tok"}]})
                             + "\n" for i in range(40)))
    with HostileServer(free=4) as srv:
        home = tmp_path / "home"
        _suite_config(home, srv.base_url)
        proc = subprocess.Popen([sys.executable, "-m", "tuiarena", "suite", str(cases), "-m", "hostile/hold",
                                 "--concurrency", "2", "--format", "markdown"], env=_env(home), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert srv.wait_requests(6), "the suite never reached its held requests"
            with srv.cond:
                sent = srv.chat_count
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        with srv.cond:
            assert srv.chat_count == sent == 6, "requests kept going out after Ctrl-C"
    assert proc.returncode == 130, err.decode()
    text = out.decode()
    assert "PARTIAL REPORT: interrupted (Ctrl-C) after 4 of 40 answers" in text
    assert "Traceback" not in err.decode()
    from tuiarena.store.sessions import read_session

    session = text.strip().splitlines()[-1].split("Session: ", 1)[1]
    statuses = sorted(e.status for e in read_session(session).events if e.type == "response")
    assert statuses == ["cancelled", "cancelled", "done", "done", "done", "done"]


def _saved_statuses(home: Path) -> list[str]:
    """The statuses of the responses written so far to the one session under ``home``."""
    found: list[str] = []
    for path in (home / "sessions").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith('{"type":"response"') and line.endswith("}"):
                found.append(json.loads(line)["status"])
    return found


def _wait_for(condition, proc: subprocess.Popen, limit: float = 60.0) -> bool:
    """Poll ``condition`` until it holds, the process ends, or ``limit`` seconds pass (a hang guard only)."""
    import time

    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def test_ctrl_c_during_run_keeps_the_finished_answers(tmp_path):
    with HostileServer(free=1) as srv:
        home = tmp_path / "home"
        _suite_config(home, srv.base_url)
        proc = subprocess.Popen([sys.executable, "-m", "tuiarena", "run", "-m", "hostile/hold", "-m", "hostile/hold+x",
                                 "hi", "--format", "csv"], env=_env(home), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert srv.wait_requests(2)
            # The free answer must be in the session (client side) before the interrupt, not merely
            # sent by the server: otherwise a loaded machine interrupts it too.
            assert _wait_for(lambda: _saved_statuses(home) == ["done"], proc)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err.decode()
    assert b"partial result: interrupted, 1 of 2 answers finished" in err
    assert out.count(b",cancelled,") == 1 and out.count(b",done,") == 1


# ------------------------------------------------------------------ bad session files


def _bad_sessions(home: Path) -> Path:
    from tuiarena.model import ResponseDone, RunStarted
    from tuiarena.store.sessions import SessionWriter

    with SessionWriter.create(name="good one") as w:
        w.write(RunStarted(run_id="r", models=["demo/swift"], messages=[{"role": "user", "content": "good one"}]))
        w.write(ResponseDone(run_id="r", response_id="x", model="demo/swift", text="good one answered"))
    d = home / "sessions"
    (d / "20990101-000000-bad1.jsonl").write_text('{"type":"header","session_id":"bad1","created":"yesterday"}\n')
    (d / "20990101-000000-future.jsonl").write_text('{"type":"header","session_id":"fut","format":9}\n')
    (d / "20990101-000000-empty.jsonl").write_text("")
    (d / "20990101-000000-nohead.jsonl").write_text('{"type":"run","run_id":"r"}\n')
    good = next(p for p in d.glob("*.jsonl") if "2099" not in p.name)
    with good.open("a") as fh:
        fh.write('{"type":"response","run_id":"r","response_id":"q","model":"m","text":5}\n')
        fh.write('{"type":"note","text":"x","run_id":%s}\n' % DEEP)  # noqa: UP031
        fh.write('{"type":"note","text":' + "[" * 100_000 + "]" * 100_000 + "}\n")
    return good


def test_bad_session_files_are_listed_and_never_break_the_good_ones(tuiarena_home, capsys):
    good = _bad_sessions(tuiarena_home)
    capsys.readouterr()
    assert main(["sessions"]) == 0
    out, err = capsys.readouterr()
    assert "good one" in out
    assert "unreadable session files (4)" in err
    assert "bad1.jsonl: header field 'created' has the wrong type" in err
    assert "future.jsonl: written by a newer tuiarena (format 9" in err
    assert "empty.jsonl: not a tuiarena session (empty file)" in err
    assert "nohead.jsonl: not a tuiarena session (no header line)" in err
    assert main(["sessions", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 5 and sum(s["error"] is None for s in listed) == 1
    for args in (["report", "latest"], ["replay", "latest", "--instant"]):
        assert main(args) == 0
        out, err = capsys.readouterr()
        assert "good one" in out and "Traceback" not in err
        assert "wrong-typed field 'text'" in err and "nested too deeply" in err
    assert main(["report", str(tuiarena_home / "sessions" / "20990101-000000-bad1.jsonl")]) == 2
    assert "wrong type" in capsys.readouterr().err
    assert good.exists()


async def test_sessions_screen_lists_despite_bad_files(tuiarena_home):
    from tests.test_ui_sessions import open_sessions
    from tests.ui_helpers import make_app

    _bad_sessions(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_sessions(app, pilot)
        assert screen.loaded and len(screen.sessions) == 1 and len(screen.unreadable) == 4


# ------------------------------------------------------------------ deep nesting, numbers, environment


def test_deep_nesting_is_a_clear_error(tmp_path, tuiarena_home, capsys):
    tuiarena_home.mkdir(parents=True, exist_ok=True)
    suites = {"a.jsonl": '{"input": "x", "expected": %s}\n' % DEEP,
              "b.toml": "cases = [{input = \"x\", meta = %s}]\n" % DEEP,
              "c.jsonl": '{"input": "x", "meta": %s}\n' % ("[" * 50_000 + "]" * 50_000)}
    for name, text in suites.items():
        (tmp_path / name).write_text(text)
        assert main(["suite", str(tmp_path / name), "-m", "demo/swift"]) == 2
        err = capsys.readouterr().err
        assert "nested" in err and name in err and "Traceback" not in err
    (tuiarena_home / "config.toml").write_text(f"[defaults]\nx = {DEEP}\n")
    assert main(["run", "-m", "demo/swift", "hi"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_a_deep_stream_chunk_fails_the_response(hostile, tuiarena_home, capsys):
    tuiarena_home.mkdir(parents=True, exist_ok=True)
    (tuiarena_home / "config.toml").write_text(config_toml(hostile.base_url))
    assert main(["run", "-m", "hostile/deep", "hi", "--format", "json"]) == 1
    rec = json.loads(capsys.readouterr().out)[0]
    assert rec["status"] == "error" and rec["error"] == "stream data nested too deeply to read"


@pytest.mark.parametrize("flag", [["--temperature", "nan"], ["--temperature", "-3"], ["--max-tokens", "-1"],
                                  ["--max-tokens", "0"], ["--temperature", "inf"], ["--seed", "1.5"]])
def test_bad_numbers_on_the_command_line(flag, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "-m", "demo/swift", *flag, "hi"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert flag[0] in err and flag[1] in err and "Traceback" not in err


def test_the_environment(tmp_path, tuiarena_home, capsys, monkeypatch):
    # a sessions path that is a file
    tuiarena_home.mkdir(parents=True, exist_ok=True)
    (tuiarena_home / "sessions").write_text("")
    for args in (["run", "-m", "demo/swift", "hi"], ["sessions"]):
        assert main(args) == 1
        err = capsys.readouterr().err
        assert "is a file where a folder is needed" in err and "Traceback" not in err
    (tuiarena_home / "sessions").unlink()
    # invalid UTF-8 in the prompt: argv (surrogateescape) and stdin
    assert main(["run", "-m", "demo/swift", b"\xff\xfe bad".decode("utf-8", "surrogateescape")]) == 2
    assert "the prompt is not valid UTF-8 text (byte ff" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, "-m", "tuiarena", "run", "-m", "demo/swift"], input=b"\xff\xfebad",
                          capture_output=True, env=_env(tuiarena_home), cwd=ROOT)
    assert proc.returncode == 2 and b"not valid UTF-8" in proc.stderr and b"Traceback" not in proc.stderr
    # standard output on a full disk
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "tuiarena", "sessions", "--json"], stdout=full,
                              stderr=subprocess.PIPE, env=_env(tuiarena_home), cwd=ROOT)
    assert proc.returncode == 1 and b"cannot write the output: No space left on device" in proc.stderr
    assert b"Traceback" not in proc.stderr and b"Exception ignored" not in proc.stderr


async def test_the_ui_shows_a_hostile_model_name_as_text(hostile, tuiarena_home):
    from tests.ui_helpers import make_app, ready
    from tuiarena.ui.widgets.roster import Roster

    tuiarena_home.mkdir(parents=True, exist_ok=True)
    (tuiarena_home / "config.toml").write_text(config_toml(hostile.base_url))
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        roster = app.compare_screen.query_one(Roster)
        await ready(app, pilot)  # discovery filled the roster
        assert any(i.startswith("hostile/") for i in roster.entries)
        names = [e.model for e in roster.entries.values()]
        assert "evil\\x1b]0;model-title\\x07\\x1b[31mred" in names
        assert not any("\x1b" in n or "\x07" in n for n in names)
