"""What the suite screen knows about a running suite: each cell's results, answers and scores.

:class:`LiveSuite` is a runner sink plus the ``on_result`` hook of a
:class:`~tuiarena.engine.suite.run.SuiteRun`. It is called for every event, on the event loop, so
it only stores and marks cells dirty; the screen's timer reads the dirty cells and redraws them.
The answers are kept (capped) so a cell can be drilled into: a suite shown in the TUI is small
enough for that, and the session file has the full texts anyway. :meth:`LiveSuite.from_session`
builds the same state from a saved suite session, to show it as it ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tuiarena.model import ResponseDone, ResponseStarted, RunStarted, ScoreGiven

MAX_CHARS = 100_000  # per kept answer


@dataclass(slots=True)
class Answer:
    """One model's answer to one case (one repeat), as the detail view shows it."""

    model: str
    record: ResponseDone | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    cell: Any = None  # CellResult, once scored
    truncated: bool = False


class LiveSuite:
    def __init__(self, suite: Any, models: list[str], repeat: int = 1, judged: bool = False) -> None:
        self.suite = suite
        self.judged = judged  # answers wait for a judge after they end
        self.models = list(models)
        self.repeat = repeat
        self.cases = {c.id: c for c in suite.cases}
        self.results: dict[tuple[str, str], dict[int, Any]] = {}  # (case, model) -> repeat -> CellResult
        self.inflight: set[tuple[str, str, int]] = set()  # requests on the wire
        self.answered: set[tuple[str, str, int]] = set()  # answer in, score (judge) still to come
        self.answers: dict[tuple[str, str, int], Answer] = {}
        self.pairwise: dict[str, list[ScoreGiven]] = {}
        self._where: dict[str, tuple[str, str, int]] = {}  # candidate response id -> (case, model, repeat)
        self._dirty: set[tuple[str, str]] = set()
        self.progress: Any = None  # the SuiteProgress, updated in place by the SuiteRun
        self.version = 0  # bumped on every change the screen may want to draw

    @classmethod
    def from_session(cls, log: Any, result: Any) -> LiveSuite:
        """A finished suite as the screen shows it, from its session ``log`` and its fold ``result``
        (a :class:`~tuiarena.engine.suite.results.SuiteResult`)."""
        from tuiarena.engine.suite.run import CellResult, SuiteProgress

        live = cls(result.suite, result.models, result.repeat, judged=bool(result.judge))
        for ev in log.events:
            live.sink(ev)
        for ans in result.answers:
            c, rec = ans.checks, ans.record
            failed = rec.status in ("error", "cancelled")
            live.on_result(CellResult(ans.case_id, ans.repeat, ans.model, rec.run_id, rec.response_id, rec.status,
                                      c.passed if c else (False if failed else None),
                                      c.score if c else (0.0 if failed else None), c.reason if c else "", ans.judge))
        checks = [a.checks for a in result.answers]
        live.progress = SuiteProgress(
            done=len(result.answers), total=result.expected,
            passed=sum(1 for c in checks if c is not None and c.passed is True),
            failed=sum(1 for c in checks if c is not None and c.passed is False),
            errors=sum(1 for a in result.answers if a.record.status in ("error", "cancelled")),
            cost_usd=sum(a.record.cost_usd or 0.0 for a in result.answers))
        return live

    # -- hooks -----------------------------------------------------------------------------------
    def sink(self, event: Any) -> None:
        kind = type(event)
        if kind is RunStarted:
            if event.case_id is None or str(event.label).startswith("judge:"):
                return
            for model, rid in event.response_ids.items():
                self._where[rid] = (event.case_id, model, event.repeat)
        elif kind is ResponseStarted:
            where = self._where.get(event.response_id)
            if where is not None:
                self.inflight.add(where)
                self._touch(where[:2])
        elif kind is ResponseDone:
            where = self._where.get(event.response_id)
            if where is not None:
                ans = self._answer(where)
                if len(event.text) > MAX_CHARS:
                    ans.truncated = True
                ans.record = event
                self.inflight.discard(where)
                self.answered.add(where)
                self._touch(where[:2])
        elif kind is ScoreGiven:
            if event.scorer == "checks":
                where = self._where.get(event.response_id)
                if where is not None:
                    self._answer(where).checks = list(event.detail.get("checks", []))
            elif event.scorer == "judge:pairwise":
                where = self._where.get(event.response_id)
                if where is not None:
                    self.pairwise.setdefault(where[0], []).append(event)

    def on_result(self, cell: Any) -> None:
        key = (cell.case_id, cell.model)
        self.results.setdefault(key, {})[cell.repeat] = cell
        self._answer((cell.case_id, cell.model, cell.repeat)).cell = cell
        self.answered.discard((cell.case_id, cell.model, cell.repeat))
        self.inflight.discard((cell.case_id, cell.model, cell.repeat))
        self._touch(key)

    def on_progress(self, progress: Any) -> None:
        self.progress = progress
        self.version += 1

    # -- reading ---------------------------------------------------------------------------------
    def take_dirty(self) -> set[tuple[str, str]]:
        dirty, self._dirty = self._dirty, set()
        return dirty

    def cell_state(self, case_id: str, model: str) -> tuple[list[Any], str]:
        """The scored results of a cell (by repeat) and its state: pending, running, judging or done."""
        results = [r for _, r in sorted(self.results.get((case_id, model), {}).items())]
        if any((case_id, model, rep) in self.inflight for rep in range(self.repeat)):
            state = "running"
        elif any((case_id, model, rep) in self.answered for rep in range(self.repeat)):
            state = "judging" if self.judged else "running"
        elif len(results) >= self.repeat:
            state = "done"
        else:
            state = "pending" if not results else "partial"
        return results, state

    def case_answers(self, case_id: str, repeat: int = 0) -> list[Answer]:
        return [self.answers.get((case_id, m, repeat)) or Answer(m) for m in self.models]

    def text_of(self, ans: Answer) -> str:
        text = ans.record.text if ans.record is not None else ""
        return text[:MAX_CHARS]

    # -- internals -------------------------------------------------------------------------------
    def _answer(self, where: tuple[str, str, int]) -> Answer:
        ans = self.answers.get(where)
        if ans is None:
            ans = self.answers[where] = Answer(where[1])
        return ans

    def _touch(self, key: tuple[str, str]) -> None:
        self._dirty.add(key)
        self.version += 1
