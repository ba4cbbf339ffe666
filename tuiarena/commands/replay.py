"""``tuiarena replay SESSION``: re-stream a saved session in the terminal at the recorded pace.

Layout. One model: its text streams straight to the terminal, character by character, as it did.
Several models: the answers are printed as whole lines, each prefixed by its model, at the moment
that line was completed in the recording. That keeps the race visible (the fast model's lines
arrive first, the thinker's reasoning ticks along before its answer) while never mixing fragments
of two answers on one line; printing the models one after another would hide who was ahead.
After each run comes the comparison table (TTFT, total, tok/s, tokens, cost, finish); scores and
votes follow as they were logged. Replay never calls a model.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser(
        "replay",
        help="re-stream a saved session in the terminal",
        description="Replay a saved session at its recorded pace (no model is called). SESSION is an id, "
        "a unique id prefix, a name, a file path or 'latest'. Exit 2 when the session cannot be found or read.",
    )
    p.add_argument("session", help="session id, name, path or 'latest'")
    p.add_argument("--speed", type=_speed, default=1.0, metavar="N", help="playback speed (2 = twice as fast; default 1)")
    p.add_argument("--instant", action="store_true", help="print everything at once, no waiting")
    p.add_argument("--no-reasoning", action="store_true", help="hide reasoning text (its length is still shown)")
    p.set_defaults(handler=run)


def _speed(text: str) -> float:
    try:
        value = float(text.rstrip("xX"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed must be a number like 2 or 0.5, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("speed must be greater than 0")
    return value


def run(args: argparse.Namespace) -> int:
    import asyncio
    import shutil
    import sys

    from tuiarena.reports.session import redact_log
    from tuiarena.store.sessions import read_session, resolve_session

    log = read_session(resolve_session(args.session))
    redact_log(log)  # a key saved by an older version is not replayed onto the screen
    for line in log.skipped_notes():
        print(f"tuiarena: {line}", file=sys.stderr)
    width = shutil.get_terminal_size((100, 24)).columns
    printer = ReplayPrinter(sys.stdout, width=width, reasoning=not args.no_reasoning)
    return asyncio.run(_play(log, args, printer))


async def _play(log, args, printer: ReplayPrinter) -> int:
    import asyncio
    import sys

    from tuiarena.commands._live import Interrupt
    from tuiarena.engine.sessions.replay import replay_events

    task = asyncio.current_task()
    assert task is not None
    with Interrupt(task.cancel) as stop:
        try:
            async for event in replay_events(log, speed=args.speed, instant=args.instant):
                printer.on(event)
        except asyncio.CancelledError:
            if not stop.hit:
                raise
            task.uncancel()
    if stop.hit:
        printer.write("\n(replay interrupted)\n")
        print("tuiarena: replay interrupted", file=sys.stderr)
        return 130
    printer.finish()
    return 0


class ReplayPrinter:
    """Turns replayed events into plain terminal text (see the module docstring for the layout)."""

    def __init__(self, out, width: int = 100, reasoning: bool = True) -> None:
        self.out = out
        self.width = max(40, width)
        self.show_reasoning = reasoning
        self.run = None
        self.run_count = 0
        self.records: dict[str, object] = {}  # response id -> ResponseDone of the current run
        self.labels: dict[str, str] = {}  # response id -> padded model label
        self.sent: dict[tuple[str, bool], int] = {}  # (response id, reasoning) -> chars printed
        self.partial: dict[tuple[str, bool], str] = {}  # line-mode buffers
        self.stream_kind: dict[str, bool] = {}  # single-model mode: reasoning or answer being streamed
        self.prefixes: dict[str, str] = {}  # response id -> "model | " in multi-model mode
        self.table_done = True

    # -- output helpers ----------------------------------------------------------------------
    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    @property
    def multi(self) -> bool:
        return len(self.labels) > 1

    # -- events --------------------------------------------------------------------------------
    def on(self, ev) -> None:
        from tuiarena import model as m

        kind = type(ev)
        if kind is m.SessionHeader:
            self._header(ev)
        elif kind is m.RunStarted:
            self._end_run()
            self._start_run(ev)
        elif kind is m.ResponseStarted:
            self.labels.setdefault(ev.response_id, ev.model)
            self._pad_labels()
        elif kind is m.ResponseDelta:
            self._text(ev.response_id, ev.text, ev.reasoning)
        elif kind is m.ResponseRetry:
            self._line(ev.response_id, f"(retry {ev.attempt}{f', HTTP {ev.status}' if ev.status else ''})")
        elif kind is m.ResponseDone:
            self._done(ev)
        elif kind is m.ScoreGiven:
            self._end_run()
            self._score(ev)
        elif kind is m.VoteCast:
            self._end_run()
            self.write(f"vote: A = {ev.model_a}, B = {ev.model_b} -> {_outcome(ev)}\n")
        elif kind is m.NoteTaken:
            self.write(f"note: {_visible(ev.text)}\n")
        elif kind is m.SessionRenamed:
            self.write(f"(renamed to {_visible(ev.name)})\n")

    def finish(self) -> None:
        self._end_run()
        if not self.run_count:
            self.write("(this session has no runs)\n")

    # -- pieces --------------------------------------------------------------------------------
    def _header(self, h) -> None:
        import time

        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(h.created)) if h.created else "?"
        self.write(f"{_visible(h.name) or 'unnamed session'} ({h.session_id}, {h.kind}, {when})\n")

    def _start_run(self, run) -> None:
        from tuiarena.reports.session import prompt_of

        self.run, self.run_count, self.table_done = run, self.run_count + 1, False
        self.records, self.labels, self.sent, self.partial, self.stream_kind, self.prefixes = {}, {}, {}, {}, {}, {}
        title = f"run {self.run_count}" + (f" · case {run.case_id}" if run.case_id else "") + (f" · repeat {run.repeat}" if run.repeat else "")
        self.write("\n" + f"== {title} ".ljust(min(self.width, 80), "=") + "\n")
        system, user = prompt_of(run)
        if system:
            self.write(_quote(_clip(system), "system> ") + "\n")
        self.write(_quote(_clip(user), "> ") + "\n\n")

    def _pad_labels(self) -> None:
        names = {rid: model.split("/", 1)[-1] if model.count("/") else model for rid, model in self.labels.items()}
        short = {rid: (n if list(names.values()).count(n) == 1 else self.labels[rid]).strip() for rid, n in names.items()}
        pad = max(len(n) for n in short.values())
        self.prefixes = {rid: f"{n.ljust(pad)} | " for rid, n in short.items()}

    def _text(self, rid: str, text: str, reasoning: bool) -> None:
        key = (rid, reasoning)
        self.sent[key] = self.sent.get(key, 0) + len(text)
        if reasoning and not self.show_reasoning:
            return
        if not self.multi:
            if rid not in self.stream_kind or self.stream_kind[rid] is not reasoning:
                if rid in self.stream_kind:  # reasoning -> answer
                    self.write("\n(answer)\n")
                elif reasoning:
                    self.write("(reasoning)\n")
                self.stream_kind[rid] = reasoning
            self.write(_visible(text))
            return
        if not reasoning and self.partial.get((rid, True)):  # the answer begins: end the reasoning line
            self._line(rid, self.partial.pop((rid, True)), True)
        buf = self.partial.get(key, "") + text
        lines = buf.split("\n")
        room = max(20, self.width - len(self.prefixes.get(rid, "")) - 2)
        for line in lines[:-1]:
            self._line(rid, line, reasoning)
        tail = lines[-1]
        while len(tail) > room:  # a long line without newline: print it in pieces as it grows
            self._line(rid, tail[:room], reasoning)
            tail = tail[room:]
        self.partial[key] = tail

    def _line(self, rid: str, line: str, reasoning: bool = False) -> None:
        prefix = self.prefixes.get(rid, "")
        mark = "~ " if reasoning else ""
        self.write(f"{prefix}{mark}{_visible(line)}\n")

    def _done(self, rec) -> None:
        self.records[rec.response_id] = rec
        self.labels.setdefault(rec.response_id, rec.model)
        if rec.response_id not in self.prefixes:
            self._pad_labels()
        for reasoning, text in ((True, rec.reasoning or ""), (False, rec.text or "")):
            rest = text[self.sent.get((rec.response_id, reasoning), 0):]
            if rest:
                self._text(rec.response_id, rest, reasoning)
            if reasoning and text and not self.show_reasoning:
                self._line(rec.response_id, f"(reasoning hidden, {len(text):,} chars)")
            tail = self.partial.pop((rec.response_id, reasoning), "")
            if tail:
                self._line(rec.response_id, tail, reasoning)
        if not self.multi and rec.response_id in self.stream_kind:
            self.write("\n")
        if rec.status != "done" or rec.error:
            detail = f"{rec.error_kind}: {rec.error}" if rec.error else rec.status
            self._line(rec.response_id, f"[{rec.status}] {detail}")
        if self.run is not None and set(self.run.response_ids.values()) <= set(self.records):
            self._end_run()

    def _end_run(self) -> None:
        if self.table_done or self.run is None:
            return
        from tuiarena import fmt
        from tuiarena.reports.session import STATS_HEADERS, stats_row

        self.table_done = True
        order = {rid: i for i, rid in enumerate(self.run.response_ids.values())}
        recs = sorted(self.records.values(), key=lambda r: order.get(r.response_id, len(order)))
        if recs:
            rows = [[_visible(c) for c in stats_row(r)] for r in recs]
            self.write("\n" + fmt.table(STATS_HEADERS, rows, right={1, 2, 3, 4, 5}) + "\n")
        missing = [m for m, rid in self.run.response_ids.items() if rid not in self.records]
        if missing:
            self.write(f"(no recorded answer from {', '.join(missing)}: the session ended while they were streaming)\n")

    def _score(self, s) -> None:
        verdict = {True: "pass", False: "FAIL", None: "    "}[s.passed]
        value = "" if s.score is None else f" {s.score:.3g}"
        who = self.labels.get(s.response_id, s.response_id)
        self.write(f"score: {verdict}{value} {who} {s.scorer}" + (f" - {_visible(s.reason)}" if s.reason else "") + "\n")


def _outcome(v) -> str:
    return {"a": f"{v.model_a} wins", "b": f"{v.model_b} wins", "tie": "tie", "both_bad": "both bad"}.get(v.outcome, v.outcome)


def _visible(text: str) -> str:
    from tuiarena.fmt import visible

    return visible(text or "")


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more chars)"


def _quote(text: str, prefix: str) -> str:
    return "\n".join(prefix + _visible(line) for line in text.split("\n"))
