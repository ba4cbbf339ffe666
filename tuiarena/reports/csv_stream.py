"""The csv export of a session read as a stream, for files too big to hold in memory.

Two passes over the file: the first keeps only the runs, the scores (without their detail) and,
per response, the offset of its latest line; the second reads each response again by offset, in
the order :func:`tuiarena.reports.session_formats.to_csv` uses (runs in log order, a run's responses in
the order of its models, responses without a run line last), and writes rows in batches. The
result is byte for byte what ``export_session(log, "csv")`` gives, secrets redacted and control
characters escaped, with memory that does not grow with the answers' text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuiarena.fmt import visible
from tuiarena.model import ResponseDone, RunStarted, ScoreGiven
from tuiarena.reports.session import RunView, prompt_of, redact_secrets
from tuiarena.reports.session_formats import CSV_COLUMNS, csv_row
from tuiarena.runtime import collector_paused
from tuiarena.store.session_lines import event_at, iter_lines
from tuiarena.store.sessions import read_header

BATCH = 2000  # rows per write
_QUICK = b'{"type":"response","run_id":"'  # how our writer starts a response line (see session_lines.quick_ids)


class CsvPlan:
    """The first pass over a session file; :meth:`write` makes the second and writes the csv."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.header = read_header(self.path)
        self.skipped: list[tuple[int, str]] = []
        self.runs: dict[str, RunStarted] = {}
        self.latest: dict[str, tuple[int, str]] = {}  # response id -> (offset, run id)
        self.scores: dict[str, list[ScoreGiven]] = {}
        with collector_paused():  # many kept objects and no cycles
            self._scan()

    def _scan(self) -> None:
        for offset, _lineno, ev in iter_lines(self.path, self.skipped, quick=_QUICK):
            if isinstance(ev, tuple):  # a response line, only its ids read (checked in full when written)
                self.latest[ev[1]] = (offset, ev[0])
            elif isinstance(ev, ResponseDone):
                self.latest[ev.response_id] = (offset, ev.run_id)  # the latest line; first-seen order
            elif isinstance(ev, RunStarted):
                self.runs.setdefault(ev.run_id, ev)
            elif isinstance(ev, ScoreGiven):
                ev.detail = {}  # not in the csv; can be big
                self.scores.setdefault(ev.response_id, []).append(ev)

    def write(self, out: Callable[[str], Any]) -> None:
        by_run: dict[str, list[int]] = {}
        orphans: list[int] = []
        for offset, run_id in self.latest.values():
            (by_run.setdefault(run_id, []) if run_id in self.runs else orphans).append(offset)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        rows = 0

        def flush() -> None:
            out(visible(redact_secrets(buf.getvalue())))
            buf.seek(0)
            buf.truncate()

        with open(self.path, "rb") as fh:

            def emit(rv: RunView, offsets: list[int], order: dict[str, int] | None) -> None:
                nonlocal rows
                system, user = prompt_of(rv.run)
                recs = []
                for o in offsets:
                    r = event_at(fh, o)
                    if isinstance(r, ResponseDone):
                        recs.append(r)
                    elif isinstance(r, str):  # a line only glanced at in the first pass
                        self.skipped.append((0, f"{r}, at byte {o}"))
                if order is not None:
                    recs.sort(key=lambda r: order.get(r.model, len(order)))
                for r in recs:
                    writer.writerow(csv_row(self.header.session_id, rv, system, user, r, self.scores.get(r.response_id, [])))
                    rows += 1
                    if rows % BATCH == 0:
                        flush()

            index = 0
            for run in self.runs.values():
                index += 1
                emit(RunView(index, run), by_run.get(run.run_id, []), {m: i for i, m in enumerate(run.models)})
            if orphans:  # responses whose run line was lost (a torn file), as in collect()
                models = [r.model for r in (event_at(fh, o) for o in orphans) if isinstance(r, ResponseDone)]
                lost = RunStarted(run_id="(unknown run)", models=models, label="responses without a run line")
                emit(RunView(index + 1, lost), orphans, None)
        flush()
