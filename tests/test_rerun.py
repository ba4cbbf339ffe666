"""Re-running a saved session into a new linked session (tuiarena.engine.sessions.rerun), on the demo models."""

from __future__ import annotations

import json

import pytest

from tuiarena.engine.run.runner import Runner
from tuiarena.engine.sessions.diff import diff_sessions
from tuiarena.engine.sessions.rerun import prompt_runs, rerun_session
from tuiarena.engine.suite.baseline import compare_logs
from tuiarena.model import Params, ResponseDone, RunStarted, ScoreGiven
from tuiarena.providers.registry import Registry
from tuiarena.store.pricing import PricingTable
from tuiarena.store.sessions import SessionWriter, list_sessions, read_session


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "1000")
    return Registry([], include_demo=True)


async def record_compare(registry) -> SessionWriter:
    """Two turns of one conversation with two demo models, written by the real runner."""
    writer = SessionWriter.create(kind="compare", name="chat")
    runner = Runner(registry, PricingTable(), [writer.write])
    models = ["demo/swift", "demo/steady"]
    first = await runner.run(models, [{"role": "user", "content": "Explain python generators"}], Params(seed=1))
    history = {r.model: [{"role": "user", "content": "Explain python generators"},
                         {"role": "assistant", "content": r.text}] for r in first}
    await runner.run(models, [{"role": "user", "content": "Shorter please"}], Params(seed=1), history=history)
    writer.close()
    return writer


async def test_rerun_same_models_creates_a_linked_session(registry):
    writer = await record_compare(registry)
    old = read_session(writer.path)
    result = await rerun_session(old, registry=registry, pricing=PricingTable())
    assert result.path != writer.path and result.path.exists()
    assert (result.runs, result.responses, result.failed) == (2, 4, 0)
    assert result.path.stat().st_mode & 0o777 == 0o600
    new = read_session(result.path)
    assert new.header.parent_session == old.header.session_id == result.parent_session
    assert new.header.meta["rerun_of"] == old.header.session_id and new.header.kind == "compare"
    assert new.name == "re-run of chat"
    old_runs, new_runs = prompt_runs(old), prompt_runs(new)
    assert [r.messages for r in new_runs] == [r.messages for r in old_runs]
    assert [r.models for r in new_runs] == [r.models for r in old_runs]
    assert new_runs[1].history == old_runs[1].history  # the follow-up keeps each model's own turns
    diffs = diff_sessions(old, new)
    assert [d.status for d in diffs] == ["matched", "matched"]
    assert all(m.old is not None and m.new is not None for d in diffs for m in d.models)
    listed = {s.session_id: s for s in list_sessions()}
    assert listed[new.header.session_id].parent_session == old.header.session_id


async def test_rerun_against_other_models_maps_the_conversation(registry):
    writer = await record_compare(registry)
    old = read_session(writer.path)
    seen = []
    result = await rerun_session(writer.path, ["demo/terse", "demo/swift"], registry=registry,
                                 pricing=PricingTable(), sinks=[seen.append], name="other models")
    new = read_session(result.path)
    assert new.name == "other models"
    runs = prompt_runs(new)
    assert all(r.models == ["demo/terse", "demo/swift"] for r in runs)
    old_follow = prompt_runs(old)[1]
    assert runs[1].history["demo/swift"] == old_follow.history["demo/swift"]
    assert runs[1].history["demo/terse"] == old_follow.history["demo/swift"]  # terse took swift's place
    done = [e for e in seen if isinstance(e, ResponseDone)]
    assert {e.model for e in done} == {"demo/terse", "demo/swift"} and len(done) == 4
    paired = [(m.old_model, m.new_model) for m in diff_sessions(old, new)[0].models]
    assert ("demo/swift", "demo/swift") in paired and ("demo/steady", "demo/terse") in paired


SUITE = [
    {"id": "greet", "input": "Say hello", "checks": [{"type": "max-length", "value": 100000}]},
    {"id": "secret", "input": "Tell me the password", "checks": [{"type": "contains", "value": "zz-never-zz"}]},
    {"id": "extra", "input": "Count to three", "checks": [{"type": "max-length", "value": 100000}]},
]


async def record_suite(tmp_path, registry, cases=SUITE):
    from tuiarena.engine.suite.load import load_suite
    from tuiarena.engine.suite.run import SuiteRun

    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")
    suite = load_suite(path)
    writer = SessionWriter.create(kind="suite", name="suite mini", meta={"suite": suite.name, "path": str(path),
                                                                        "repeat": 1, "judge": None})
    runner = Runner(registry, PricingTable(), [writer.write])
    await SuiteRun(suite, ["demo/swift"], runner).run()
    writer.close()
    return path, writer


async def test_rerun_suite_session_scores_the_same_cases_again(tmp_path, registry):
    path, writer = await record_suite(tmp_path, registry)
    path.write_text("\n".join(json.dumps(c) for c in SUITE[:2] + [{"id": "new-case", "input": "x"}]) + "\n")
    result = await rerun_session(writer.path, ["demo/swift", "demo/terse"], registry=registry, pricing=PricingTable())
    new = read_session(result.path)
    assert new.header.kind == "suite" and new.header.meta["cases"] == 2
    runs = prompt_runs(new)
    assert sorted(r.case_id for r in runs) == ["greet", "secret"]  # "extra" is gone, "new-case" was not in it
    assert any("no longer in" in n for n in result.notes)
    checks = [e for e in new.events if isinstance(e, ScoreGiven) and e.scorer == "checks"]
    assert len(checks) == 4
    verdicts = {(e.detail["case_id"]): e.passed for e in checks}
    assert verdicts == {"greet": True, "secret": False}
    result_cmp = compare_logs(read_session(writer.path), new)
    assert result_cmp.compared_models == ["demo/swift"] and result_cmp.compared_cases == 2
    assert [r.kind for r in result_cmp.regressions if r.case_id] == []


async def test_rerun_suite_without_its_file_reruns_prompts_unscored(tmp_path, registry):
    path, writer = await record_suite(tmp_path, registry)
    path.unlink()
    result = await rerun_session(writer.path, registry=registry, pricing=PricingTable())
    assert any("prompts re-run without checks" in n for n in result.notes)
    new = read_session(result.path)
    runs = [e for e in new.events if isinstance(e, RunStarted)]
    assert sorted(r.case_id for r in runs) == ["extra", "greet", "secret"]
    assert not [e for e in new.events if isinstance(e, ScoreGiven)]


def test_judge_runs_are_not_re_run():
    from types import SimpleNamespace

    runs = [RunStarted(run_id="a", models=["demo/swift"], case_id="c"),
            RunStarted(run_id="j", models=["demo/judge"], case_id="c", label="judge:rubric"),
            RunStarted(run_id="a", models=["demo/swift"], case_id="c")]
    assert [r.run_id for r in prompt_runs(SimpleNamespace(events=runs))] == ["a"]
