"""Ctrl-C during `replay`: it stops at once, says so, and exits 130 (issue 15, class 2)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

from tests.test_hardening import ROOT, _env
from tuiarena.model import ResponseDone, RunStarted
from tuiarena.store.sessions import SessionWriter


def test_ctrl_c_during_replay(tuiarena_home):
    with SessionWriter.create(name="slow one") as w:
        w.write(RunStarted(run_id="r", models=["demo/swift"], messages=[{"role": "user", "content": "hi"}]))
        w.write(ResponseDone(run_id="r", response_id="x", model="demo/swift", text="word " * 200, total_ms=600_000,
                             timeline=" ".join(f"{k * 3000},{k * 5}" for k in range(200))))
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tuiarena", "replay", "latest", "--speed", "1"], stdout=slave,
                            stderr=slave, stdin=subprocess.DEVNULL, env=_env(tuiarena_home), cwd=ROOT)
    os.close(slave)
    out = b""
    try:
        while b"word" not in out:  # the replay is under way: its first words are on the terminal
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, out
            out += os.read(master, 65536)
        proc.send_signal(signal.SIGINT)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
        assert proc.wait(60) == 130, out
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b"(replay interrupted)" in out and b"Traceback" not in out
