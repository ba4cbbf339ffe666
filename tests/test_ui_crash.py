"""An internal error ends the app with one line on stderr and a private crash log, never a
traceback on the screen; secret environment values never reach the log."""

from __future__ import annotations

import gc
import os
import stat

import pytest

from tuiarena.ui.app import AppOptions, TuiArena, redact_secrets


class Broken(TuiArena):
    def on_mount(self) -> None:
        raise RuntimeError(f"boom with {os.environ['TUIARENA_TEST_API_KEY']}")


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")  # the crashed app's own
def test_an_internal_error_becomes_one_line_and_a_private_log(tuiarena_home, monkeypatch, capsys):
    monkeypatch.setenv("TUIARENA_TEST_API_KEY", "sk-test-very-secret-123")
    app = Broken(AppOptions(probe_local=False))
    app.run(headless=True, size=(80, 24))
    line = app.crash_report()
    assert app.return_code == 1
    assert line is not None and line.startswith("tuiarena: internal error: RuntimeError: boom with")
    log = tuiarena_home / "cache" / "crash.log"
    assert str(log) in line
    text = log.read_text(encoding="utf-8")
    assert "RuntimeError" in text and "on_mount" in text
    assert "sk-test-very-secret-123" not in text + line
    assert "[TUIARENA_TEST_API_KEY]" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "Traceback" not in capsys.readouterr().err  # nothing reached the terminal
    del app
    gc.collect()  # the crashed app's never-awaited coroutines are reported here, not in a later test


def test_a_clean_exit_reports_nothing():
    app = TuiArena(AppOptions(probe_local=False))
    assert app.crash_report() is None


def test_redaction_covers_named_key_variables():
    env = {"MY_LLM_CRED": "abcdefgh12345", "HOME": "/home/someone", "X_TOKEN": "short"}
    out = redact_secrets("cred abcdefgh12345 home /home/someone short", env, names={"MY_LLM_CRED"})
    assert out == "cred [MY_LLM_CRED] home /home/someone short"
