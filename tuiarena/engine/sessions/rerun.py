"""Re-run a saved session's prompts (or a suite session's cases) into a NEW linked session.

The new session's header has ``parent_session`` = the old session's id and ``meta["rerun_of"]``, so
the diff view and ``--baseline`` can pair them. Models: the same ones as each original run, or one
list for every run (a re-run "against other models").

* Compare / blind sessions: each run is sent again, in order, with its prompt, parameters, case id
  and repeat. A follow-up turn keeps its conversation: a model that took part before gets its own
  earlier turns; a new model gets the turns of the model it replaces (same position in the roster).
* Suite sessions: when the suite file named in the header (``meta["path"]``) still loads, the cases
  of the old session are run again through :class:`~tuiarena.engine.suite.run.SuiteRun`, so they are
  scored by the suite's current checks (and judged again when the suite had a judge and
  ``judge=True``). Otherwise the prompts are re-run without scores and a note says why.

Runs go through a fresh :class:`~tuiarena.engine.run.runner.Runner` on the given registry and pricing;
extra ``sinks`` (a UI) see every event as it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuiarena.engine.outcomes import is_judge_run
from tuiarena.engine.run.runner import Runner
from tuiarena.model import Event, Message, Params, ResponseDone, RunStarted

if TYPE_CHECKING:
    from tuiarena.engine.suite.load import Suite


@dataclass(slots=True)
class RerunResult:
    path: Path  # the new session file
    session_id: str
    parent_session: str
    runs: int = 0
    responses: int = 0
    failed: int = 0  # error / cut / cancelled
    notes: list[str] = field(default_factory=list)


def _history_for(run: RunStarted, models: list[str]) -> dict[str, list[Message]]:
    if not run.history:
        return {}
    old_models = list(run.models)
    out: dict[str, list[Message]] = {}
    for i, model in enumerate(models):
        if model in run.history:
            out[model] = run.history[model]
        elif i < len(old_models) and old_models[i] in run.history:
            out[model] = run.history[old_models[i]]
        else:
            first = next(iter(run.history.values()), None)
            if first:
                out[model] = first
    return out


def prompt_runs(log: Any) -> list[RunStarted]:
    """The runs a re-run repeats: every run once, in log order, judge runs left out."""
    seen: dict[str, RunStarted] = {}
    for ev in log.events:
        if type(ev) is RunStarted and ev.run_id not in seen and not is_judge_run(ev):
            seen[ev.run_id] = ev
    return list(seen.values())


def _load_suite_cases(log: Any, notes: list[str]) -> Suite | None:
    from tuiarena.errors import UserError

    meta = log.header.meta or {}
    where = meta.get("path") or meta.get("suite")
    if not where:
        notes.append("the session does not name its suite file: prompts re-run without checks")
        return None
    from tuiarena.engine.suite.load import load_suite

    try:
        suite = load_suite(where)
    except UserError as exc:
        notes.append(f"suite not loaded ({exc}): prompts re-run without checks")
        return None
    wanted = {r.case_id for r in prompt_runs(log) if r.case_id is not None}
    cases = [c for c in suite.cases if c.id in wanted]
    missing = wanted - {c.id for c in cases}
    if missing:
        notes.append(f"{len(missing)} case(s) no longer in {suite.path.name}: {', '.join(sorted(missing)[:5])}")
    if not cases:
        notes.append(f"none of the session's cases are in {suite.path.name} any more: prompts re-run without checks")
        return None
    suite.cases = cases
    return suite


async def rerun_session(
    log: Any,
    models: list[str] | None = None,
    *,
    registry: Any,
    pricing: Any = None,
    sinks: Iterable[Callable[[Event], Any]] = (),
    name: str | None = None,
    judge: bool = True,
    concurrency: int | None = None,
    directory: Path | str | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> RerunResult:
    """Re-run ``log`` (a SessionLog, or a path / id / name) and return the new session's path and counts.

    ``models``: one list for every run (None = each run's own models). ``progress(done, total)`` is
    called after each run (suite: after each answer).
    """
    from tuiarena.store.sessions import SessionWriter, read_session, resolve_session

    if not hasattr(log, "events"):
        log = read_session(resolve_session(log))
    header = log.header
    models = list(dict.fromkeys(models)) if models else None
    notes: list[str] = []
    suite = _load_suite_cases(log, notes) if header.kind == "suite" else None
    kind = "suite" if header.kind == "suite" else "compare"
    meta = {"rerun_of": header.session_id, "models": models}
    if header.kind == "suite":
        meta.update({k: v for k, v in (header.meta or {}).items() if k not in meta})
        if models:
            meta["models"] = models
        if suite is not None:
            meta["cases"] = len(suite.cases)
        if not judge:
            meta["judge"] = None  # the re-run is not judged: its report must not show "judge failed"
    old_name = log.name or header.session_id
    writer = SessionWriter.create(kind=kind, name=name or f"re-run of {old_name}"[:80],
                                  parent_session=header.session_id, meta=meta, directory=directory)
    result = RerunResult(writer.path, writer.session_id, header.session_id, notes=notes)

    def count(ev: Event) -> None:
        if type(ev) is RunStarted and not is_judge_run(ev):
            result.runs += 1
        elif type(ev) is ResponseDone and ev.run_id not in judge_runs:
            result.responses += 1
            result.failed += ev.status != "done"

    judge_runs: set[str] = set()

    def track_judge(ev: Event) -> None:
        if type(ev) is RunStarted and is_judge_run(ev):
            judge_runs.add(ev.run_id)

    runner = Runner(registry, pricing, [writer.write, track_judge, count, *sinks], per_endpoint=concurrency)
    try:
        if suite is not None:
            await _rerun_suite(log, suite, models, runner, judge, concurrency, progress)
        else:
            runs = prompt_runs(log)
            for i, run in enumerate(runs, 1):
                use = models or list(run.models)
                await runner.run(use, list(run.messages), Params.from_dict(run.params), history=_history_for(run, use),
                                 case_id=run.case_id, repeat=run.repeat, label=run.label)
                if progress is not None:
                    progress(i, len(runs))
    finally:
        writer.close()
    return result


async def _rerun_suite(log: Any, suite: Any, models: list[str] | None, runner: Runner, judge: bool,
                       concurrency: int | None, progress: Callable[[int, int], Any] | None) -> None:
    from tuiarena.engine.suite.run import SuiteRun
    from tuiarena.scoring.judge import Judge

    meta = log.header.meta or {}
    if not models:
        seen: dict[str, None] = {}
        for run in prompt_runs(log):
            for m in run.models:
                seen.setdefault(m, None)
        models = list(seen)
    repeat = max([r.repeat for r in prompt_runs(log)] + [0]) + 1
    judge_model = meta.get("judge") if judge else None
    grader = None
    if judge_model:
        grader = Judge(runner, judge_model, suite.judge.rubric, pass_total=suite.judge.pass_total,
                       max_tokens=suite.judge.max_tokens)
    cb = None
    if progress is not None:
        cb = lambda p: progress(p.done, p.total)  # noqa: E731
    job = SuiteRun(suite, models, runner, repeat=repeat, concurrency=concurrency, judge=grader, progress=cb)
    await job.run()


__all__ = ["RerunResult", "prompt_runs", "rerun_session"]
