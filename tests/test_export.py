"""Exports (md, csv, json, html) and ``tuiarena report``: content, escaping, file mode, no secrets."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat

import pytest

from tests.replay_helpers import compare_session, done, run, score, write_session
from tuiarena.cli import main
from tuiarena.reports.export import export_session
from tuiarena.reports.session import FORMATS, redact_secrets
from tuiarena.store.sessions import read_session

PLANTED = "sk-test-PLANTED123"

HOSTILE = "```\n| not | a | row |\n</pre><script>alert(1)</script>\n=HYPERLINK(\"http://x\")"


def hostile_log(tmp_path):
    r = run("r1", ["demo/a", "demo/b"], "Break <b>things</b> | please")
    a = done(r, "demo/a", HOSTILE)
    b = done(r, "demo/b", "-1 is negative", status="error", error="bad | gateway\nretry later", error_kind="server",
             cost_usd=None)
    path = write_session(tmp_path / "hostile.jsonl", [r, a, b, score(a, "check:is-json", False, 0.0, "not <json> | at all")])
    return read_session(path)


# ------------------------------------------------------------------ markdown


def test_markdown_has_the_comparison_table_and_answers(tmp_path):
    md = export_session(read_session(compare_session(tmp_path)), "md")
    assert "| Model | TTFT (ms) | Total (s) | Tok/s | Tokens | Cost | Finish |" in md
    assert "| demo/swift | 50.0 | 0.10 | 50.0 | 3 | $0.00012 | stop |" in md
    assert "13 is prime." in md and "Primes: 11, 13, 17, 19." in md
    assert "error: rate_limit" in md and "stop (cached)" in md
    assert "demo/thinker wins" in md
    assert "| demo/thinker | check:contains | fail 0 | missing '13' |" in md


def test_markdown_escapes_cells_and_fences_answers(tmp_path):
    md = export_session(hostile_log(tmp_path), "md")
    # the answer contains a ``` fence: ours must be longer so it stays one block
    assert "````text\n" + HOSTILE.replace("```", "```") in md
    # table cells: a pipe and a newline from the error / reason do not break the row
    row = next(line for line in md.splitlines() if line.startswith("| demo/a | check:is-json"))
    assert row == "| demo/a | check:is-json | fail 0 | not &lt;json> \\| at all |"
    assert "<script>" not in md.replace(HOSTILE, "")  # only inside the fenced answer


def test_markdown_without_answers(tmp_path):
    md = export_session(read_session(compare_session(tmp_path)), "md", answers=False)
    assert "| Model | TTFT (ms)" in md and "13 is prime." not in md


# ------------------------------------------------------------------ csv


def test_csv_one_row_per_response_round_trips(tmp_path):
    text = export_session(hostile_log(tmp_path), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["model"] for r in rows] == ["demo/a", "demo/b"]
    assert rows[0]["text"] == HOSTILE  # starts with ``` : not a formula, kept as is
    assert rows[1]["error"] == "bad | gateway\nretry later" and rows[1]["status"] == "error"
    assert rows[0]["passed"] == "False" and json.loads(rows[0]["scores"]) == {"check:is-json": 0.0}
    assert rows[1]["text"] == "'-1 is negative"  # a spreadsheet would evaluate it
    assert rows[0]["ttft_ms"] == "100.0" and rows[1]["cost_usd"] == ""


# ------------------------------------------------------------------ json


def test_json_has_header_runs_responses_scores(tmp_path):
    data = json.loads(export_session(read_session(compare_session(tmp_path)), "json"))
    assert data["session"]["session_id"] == "sess1" and data["summary"]["responses"] == 4
    run1 = data["runs"][0]
    assert [r["model"] for r in run1["responses"]] == ["demo/swift", "demo/thinker"]
    assert run1["responses"][0]["scores"][0]["scorer"] == "check:contains"
    assert run1["votes"][0]["outcome"] == "b"
    assert "timeline" not in run1["responses"][0]
    with_tl = json.loads(export_session(read_session(compare_session(tmp_path, "t.jsonl")), "json", timelines=True))
    assert with_tl["runs"][0]["responses"][0]["timeline"]


# ------------------------------------------------------------------ html


def test_html_is_self_contained_and_escaped(tmp_path):
    page = export_session(hostile_log(tmp_path), "html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    lowered = page.lower()
    for forbidden in ("<script", "src=", "href=", "<link", "@import", "url(", "<iframe", "<img", "<object"):
        assert forbidden not in lowered, forbidden
    assert lowered.count("http:") == 1 and "=hyperlink(&quot;http://x&quot;)" in lowered  # only as escaped text
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Break &lt;b&gt;things&lt;/b&gt; | please" in page
    assert page.count('<article class="answer') == 2
    assert "bad | gateway" in page and "not &lt;json&gt; | at all" in page


def test_html_side_by_side_with_stats_and_votes(tmp_path):
    page = export_session(read_session(compare_session(tmp_path)), "html")
    assert "<th>TTFT (ms)</th>" in page and "<th>Finish</th>" in page
    assert re.search(r'<div class="answers">(<article.*?</article>){2}</div>', page)
    assert "demo/thinker wins" in page and "<details><summary>reasoning" in page


# ------------------------------------------------------------------ secrets


def test_redaction_blanks_key_like_env_values():
    env = {"OPENAI_API_KEY": PLANTED, "MY_SERVICE_TOKEN": "tok-abcdefgh", "HOME": "/home/someone", "SHORT_KEY": "x"}
    out = redact_secrets(f"echo {PLANTED} tok-abcdefgh /home/someone x", env)
    assert out == "echo [redacted] [redacted] /home/someone x"


def test_an_echoed_key_never_reaches_an_export(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    r = run("r1", ["openai/gpt-4o-mini"], "hi")
    d = done(r, "openai/gpt-4o-mini", "", status="error", error_kind="auth",
             error=f"401 Incorrect API key provided: {PLANTED}", timeline=False)
    log = read_session(write_session(tmp_path / "echo.jsonl", [r, d]))
    for name in FORMATS:
        out = export_session(log, name)
        assert PLANTED not in out and "[redacted]" in out, name


def test_real_session_with_a_planted_key_leaks_it_nowhere(tmp_path, monkeypatch, capsys):
    """Stream through the real provider to the loopback server with the key in the environment."""
    import asyncio

    from tests.fakeserver import FakeServer
    from tuiarena.engine.run.runner import Runner
    from tuiarena.model import EndpointSpec, Params
    from tuiarena.providers.openai_compat import OpenAICompatProvider
    from tuiarena.store.sessions import SessionWriter

    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)

    class OneEndpoint:
        def __init__(self, provider):
            self.provider, self.endpoints = provider, {"openai": provider}

        def get(self, name):
            return self.provider

    with FakeServer(n_tokens=12) as srv:
        provider = OpenAICompatProvider(EndpointSpec(name="openai", base_url=srv.base_url, api_key_env="OPENAI_API_KEY",
                                                     max_retries=0))
        writer = SessionWriter.create(kind="compare", name="planted key")

        async def go():
            try:
                return await Runner(OneEndpoint(provider), None, [writer.write]).run(
                    ["openai/fake-model", "openai/auth"], [{"role": "user", "content": "hello"}], Params(temperature=0))
            finally:
                await provider.aclose()

        records = asyncio.run(go())
        writer.close()
        sent = [r.headers.get("authorization", "") for r in srv.chat_requests]
    assert any(PLANTED in h for h in sent)  # the key really was used: the test can catch a leak
    assert {r.status for r in records} == {"done", "error"}

    raw = writer.path.read_text(encoding="utf-8")
    assert PLANTED not in raw
    log = read_session(writer.path)
    for name in FORMATS:
        assert PLANTED not in export_session(log, name), name
    for name in FORMATS:
        out = tmp_path / f"report.{name}"
        assert main(["report", writer.session_id, "--out", str(out)]) == 0
        assert PLANTED not in out.read_text(encoding="utf-8")
    assert main(["replay", writer.session_id, "--instant"]) == 0
    assert main(["report", writer.session_id, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert PLANTED not in captured.out + captured.err
    assert "tok0" in captured.out


# ------------------------------------------------------------------ the command


def test_report_out_file_is_private_and_format_follows_suffix(tmp_path, capsys):
    path = compare_session(tmp_path)
    out = tmp_path / "exports" / "r.html"
    assert main(["report", str(path), "--out", str(out)]) == 2  # a missing folder is refused...
    assert not out.parent.exists() and "does not exist" in capsys.readouterr().err
    csv = out.parent / "r.csv"  # the csv is written as a stream, by its own path: the same rule
    assert main(["report", str(path), "--out", str(csv)]) == 2
    assert not out.parent.exists() and "does not exist" in capsys.readouterr().err
    out.parent.mkdir()
    assert main(["report", str(path), "--out", str(out)]) == 0  # ...and used once it exists
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", str(path), "-o", str(tmp_path / "r.txt"), "--format", "csv"]) == 0
    assert (tmp_path / "r.txt").read_text(encoding="utf-8").startswith("session_id,")
    assert "wrote" in capsys.readouterr().err


def test_report_stdout_defaults_to_markdown(tmp_path, capsys):
    assert main(["report", str(compare_session(tmp_path))]) == 0
    assert capsys.readouterr().out.startswith("# demo session")


def test_report_unknown_session_and_folder_out(tmp_path, capsys):
    assert main(["report", "nope"]) == 2
    assert main(["report", str(compare_session(tmp_path)), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_report_diff_markdown_and_json(tmp_path, capsys):
    old = compare_session(tmp_path, "old.jsonl")
    assert main(["report", str(old), "--diff", str(old)]) == 0
    out = capsys.readouterr().out
    assert "| Prompt | Model | Δ TTFT (ms)" in out and "| same |" in out
    assert main(["report", str(old), "--diff", str(old), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["matched"] == 2 and data["summary"]["regressions"] == 0
    with pytest.raises(SystemExit):
        main(["report", str(old), "--format", "pdf"])
