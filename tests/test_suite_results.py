"""Suite results you can trust: qualification, judge records, reopening a suite session, formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakeserver import FakeServer
from tuiarena.cli import main
from tuiarena.engine.suite import requirements as rq
from tuiarena.store.session_index import list_sessions
from tuiarena.store.sessions import read_session

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def fast_demo(monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")


def _fake_config(home: Path, base_url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[endpoints.fake]\nbase_url = "{base_url}"\nmodels = ["fake-model", "server-error"]\nmax_retries = 0\n'
        '[pricing."fake/fake-model"]\ninput = 1.0\noutput = 2.0\n[pricing."fake/server-error"]\ninput = 0.1\noutput = 0.1\n')


def _suite(tmp_path: Path, requirements: str = "") -> Path:
    (tmp_path / "cases.jsonl").write_text("".join(
        json.dumps({"id": f"c{i}", "input": f"question {i}", "category": "even" if i % 2 == 0 else "odd",
                    "checks": [{"type": "contains", "value": "tok3"}]}) + "\n" for i in range(6)))
    p = tmp_path / "fake.toml"
    p.write_text(f'name = "fake"\ncases = "cases.jsonl"\n[defaults]\nmax_tokens = 50\n{requirements}')
    return p


def test_a_model_failing_every_case_never_qualifies_even_without_requirements(tmp_path, tuiarena_home, capsys):
    with FakeServer(ttft=0, n_tokens=8) as srv:
        _fake_config(tuiarena_home, srv.base_url)
        rc = main(["suite", str(_suite(tmp_path)), "-m", "fake/server-error", "-m", "fake/fake-model", "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        assert rc == 0
        rec = report["recommendation"]
        assert rec["best"] == rec["cheapest"] == "fake/fake-model" and "fake/server-error" not in rec["meeting"]
        assert report["verdicts"]["fake/server-error"]["failures"][0].startswith("failed on every case")
        assert all(r["model"] == "fake/fake-model" and "fallback" not in r for r in report["routing"].values())
        # only the failing model: said plainly, exit 1, routing routes nowhere
        rc = main(["suite", str(_suite(tmp_path)), "-m", "fake/server-error", "--format", "markdown"])
        out = capsys.readouterr().out
    assert rc == 1
    assert "No recommendation: no model qualifies (fake/server-error: failed on every case (errors))" in out
    assert "none qualifies" in out


def test_ties_go_to_quality_then_p95_latency_then_cost_never_the_name():
    base = {"responses": 4, "error_rate": 0.0, "pass_rate": 0.75, "judge_score": None, "mean_score": 0.8}
    S = {"z/slow": {**base, "latency_p95_ms": 900.0, "cost_per_request": 0.001},
         "a/fast-dear": {**base, "latency_p95_ms": 100.0, "cost_per_request": 0.01},
         "m/fast-cheap": {**base, "latency_p95_ms": 100.0, "cost_per_request": 0.002}}
    v = rq.verdicts(S, {})
    rec = rq.recommend(S, v)
    assert rec["best"] == "m/fast-cheap" and rec["cheapest"] == "z/slow"
    S["z/slow"]["pass_rate"] = 0.8
    assert rq.recommend(S, rq.verdicts(S, {}))["best"] == "z/slow"
    S["z/slow"]["pass_rate"] = 0.0
    assert not rq.verdicts(S, {})["z/slow"]["meets"]


def test_a_category_nobody_qualifies_for_names_what_stopped_the_qualified_models():
    base = {"responses": 4, "error_rate": 0.0, "judge_score": None, "mean_score": 0.8, "latency_p95_ms": 100.0,
            "cost_per_request": 0.001}
    overall = {"a/good": {**base, "pass_rate": 0.95}, "b/bad": {**base, "pass_rate": 0.5}, "c/bad": {**base, "pass_rate": 0.4}}
    req = {"min_pass_rate": 0.9}
    v = rq.verdicts(overall, req)
    cats = {"hard": {"a/good": {**base, "pass_rate": 0.75}, "b/bad": {**base, "pass_rate": 0.5},
                     "c/bad": {**base, "pass_rate": 0.25}}}
    route = rq.routing_table(cats, v, req)["hard"]
    assert route["model"] == "" and route["none_qualifies"]
    assert route["reason"] == ("no model qualifies here (a/good: min_pass_rate: pass rate 75.0% < 90.0%; "
                               "the 2 others do not qualify overall)")


def test_judge_calls_are_judge_records_not_runs_or_contestants(tmp_path, capsys):
    rc = main(["suite", str(DATA / "suite_tiny.toml"), "-m", "demo/swift", "--judge", "demo/steady", "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    report = json.loads(out)
    assert "shares a backend with demo/swift" in err and any("shares a backend" in w for w in report["warnings"])
    assert report["judge_calls"]["calls"] == 3 and report["models"] == ["demo/swift"]
    [s] = list_sessions()
    assert s.runs == 3 and s.responses == 3 and s.judge_calls == 3 and s.models == ["demo/swift"]
    assert main(["report", str(s.path), "--diff", str(s.path), "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert len(diff["prompts"]) == 3 and all(len(p["models"]) == 1 for p in diff["prompts"])
    from tuiarena.reports.session import collect

    view = collect(read_session(s.path))
    assert len(view.runs) == 3 and {r.model for rv in view.runs for r in rv.responses} == {"demo/swift"}


def test_judge_failures_are_visible(tmp_path, tuiarena_home, capsys):
    with FakeServer(ttft=0, n_tokens=8) as srv:
        _fake_config(tuiarena_home, srv.base_url)
        main(["suite", str(_suite(tmp_path)), "-m", "fake/fake-model", "--judge", "fake/server-error", "--format", "markdown"])
    out = capsys.readouterr().out
    assert "| fake/fake-model |" in out
    row = next(line for line in out.splitlines() if line.startswith("| fake/fake-model") and "failed" in line)
    assert row.count("failed") >= 4  # every judge column says so, not "—"
    assert "6 failed" in out


def test_report_reopens_a_suite_as_it_ended_in_every_format(tmp_path, capsys):
    html = tmp_path / "s.html"
    rc = main(["suite", str(DATA / "suite_tiny.toml"), "-m", "demo/swift", "-m", "demo/terse", "--format", "json"])
    printed = json.loads(capsys.readouterr().out)
    session = printed["session"]
    assert main(["report", session, "--format", "json"]) == 0
    reopened = json.loads(capsys.readouterr().out)
    assert reopened == printed and rc == 0
    assert {"matrix", "stats", "verdicts", "recommendation", "routing"} <= set(reopened)
    assert reopened["stats"]["models"]["demo/swift"]["pass_rate_ci"] is not None
    assert len(reopened["stats"]["pairs"]) == 1 and reopened["stats"]["pairs"][0]["sentence"]
    assert main(["report", session]) == 0
    md = capsys.readouterr().out
    assert "## Recommendation" in md and "## Cases" in md and "## Statistics (95% intervals)" in md
    assert main(["report", session, "--out", str(html)]) == 0
    text = html.read_text()
    assert text.startswith("<!doctype html>") and "<svg" in text and "id=matrix" in text and "http" not in text.split("<body>")[0]
    answers = json.loads(text.split("id=answers>", 1)[1].split("</script>", 1)[0])
    assert all(case[1] for case in answers["cases"])  # every case has its answers to open
    assert main(["report", session, "--no-answers", "--out", str(html)]) == 0
    bare = json.loads(html.read_text().split("id=answers>", 1)[1].split("</script>", 1)[0])
    assert not any(case[1] for case in bare["cases"]) and bare["s"] == [] and "<svg" in html.read_text()
    assert main(["report", session, "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.startswith("category,model,responses") and ",case,capital," in csv_text


def test_out_extension_picks_the_format(tmp_path, capsys):
    html = tmp_path / "s.html"
    rc = main(["suite", str(DATA / "suite_tiny.toml"), "-m", "demo/swift", "--out", str(html), "--no-session"])
    assert rc == 0
    text = html.read_text()
    assert text.startswith("<!doctype html>") and "Quality vs cost" in text and "Wilson" in text


def test_html_report_escapes_model_text_and_keeps_every_answer():
    from types import SimpleNamespace

    from tests.replay_helpers import done, run
    from tuiarena.engine.suite.results import fold_suite_log
    from tuiarena.model import ScoreGiven, SessionHeader
    from tuiarena.reports.suite import render, report_from_result

    hostile = "</script><script>alert(1)</script><!-- \x1b[2J"
    r = run("r1", ["x/m"], "q", case_id="c1", label="suite")
    d = done(r, "x/m", hostile)
    checks = ScoreGiven(response_id=d.response_id, run_id=r.run_id, scorer="checks", passed=False, score=0.0,
                        reason="contains: missing 'zzz'",
                        detail={"checks": [{"name": "contains", "type": "contains", "passed": False,
                                            "reason": "missing 'zzz'"}]})
    log = SimpleNamespace(header=SessionHeader(session_id="s", kind="suite", meta={"suite": "h", "models": ["x/m"]}),
                          events=[r, d, checks], path="")
    result = fold_suite_log(log)
    html = render(report_from_result(result), "html", result)
    assert "<script>alert(1)" not in html and "\x1b" not in html
    data = html.split("<script type=application/json id=answers>", 1)[1].split("</script>", 1)[0]
    parsed = json.loads(data)
    [(parts, answers)] = parsed["cases"]
    assert "alert(1)" in answers[0][1] and answers[0][2] is False
    assert parsed["s"][answers[0][3][0][2]] == "missing 'zzz'"  # the check's reason travels with the answer
    assert "class='r x fail'" in html  # the failures-only filter keeps it


def test_a_projected_monthly_bill_reads_in_cents():
    from tuiarena.reports.suite_sections import monthly

    assert [monthly(v) for v in (0.4, 5.2249, 1234.5, 0.0012, None)] == ["$0.40", "$5.22", "$1,234.50", "$0.0012", "unknown"]
