"""``tuiarena suite``: run a test suite across models, score, check requirements.

Exit codes: 0 some model qualifies; 1 no model qualifies (each failed every case, passed none, or
missed a requirement); 2 bad input; 3 ``--baseline`` found a regression (whatever the requirements);
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tuiarena.commands import limits_args
from tuiarena.commands._args import TABLE_FORMATS, add_format, add_models
from tuiarena.commands._flags import number_flag
from tuiarena.commands._term import control

FORMATS = (*TABLE_FORMATS, "html")


def output_format(given: str | None, out: str | None) -> str:
    from tuiarena.reports.suite import format_for

    return format_for(given, out)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "suite",
        help="run a test suite across models: checks, judge, requirements",
        description="Run every case of a suite (a .toml or .jsonl file, or the name of a shipped suite) "
        "against each model, score the answers with the suite's checks and an optional LLM judge, and "
        "print per-model figures, the requirements verdict and a recommendation. Exit 0 when at least "
        "one model qualifies, 1 when none does (a model that errors on every case or passes none never "
        "qualifies), 2 on bad input, 3 when --baseline finds a regression, 130 when interrupted (Ctrl-C: the "
        "partial report is still printed).",
    )
    p.add_argument("file", metavar="FILE", help="suite file, or the name of a shipped suite (e.g. extraction)")
    add_models(p, "the suite's models, else the UI selection, else the demo roster")
    p.add_argument("--judge", metavar="MODEL", help="LLM judge model (overrides [judge] model)")
    p.add_argument("--pairwise", action="store_true", help="also judge every pair of models, both orders")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="run each case N times (flaky detection)")
    p.add_argument("--concurrency", type=int, metavar="N", help="requests in flight per endpoint")
    p.add_argument("--cache", action="store_true", help="reuse stored answers for identical requests")
    add_format(p, FORMATS, default=None,
               help="table (default), markdown, json, csv or html; with --out, the file's extension decides")
    p.add_argument("--out", metavar="FILE", help="write the report to FILE instead of stdout (s.html writes HTML)")
    p.add_argument("--routing-out", metavar="FILE", help="write the routing table (TOML) to FILE")
    p.add_argument("--baseline", metavar="SESSION",
                   help="compare with a saved suite session and exit 3 on any regression (a case that passed "
                        "now fails, a score drop beyond the spread seen in repeats, p95 latency or cost up)")
    p.add_argument("--latency-tolerance", type=number_flag(0), default=0.20, metavar="F",
                   help="with --baseline: allowed growth of p95 latency (default 0.20 = 20%%; growth under "
                        "50 ms never counts)")
    p.add_argument("--cost-tolerance", type=number_flag(0), default=0.20, metavar="F",
                   help="with --baseline: allowed growth of the mean cost per answer (default 0.20)")
    p.add_argument("--score-tolerance", type=number_flag(0), default=0.05, metavar="F",
                   help="with --baseline: smallest score drop (0..1) that counts (default 0.05)")
    p.add_argument("--no-session", action="store_true", help="do not save the run as a session")
    p.add_argument("--name", default="", help="session name")
    limits_args.add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from tuiarena.errors import UserError

    if args.repeat < 1:
        raise UserError("--repeat must be at least 1")
    if args.concurrency is not None and args.concurrency < 1:
        raise UserError("--concurrency must be at least 1")
    return asyncio.run(_run(args))


def _load(args: argparse.Namespace):
    """The suite and the baseline (a bad one is bad input: said before anything is spent)."""
    from tuiarena.engine.suite.load import load_suite
    from tuiarena.errors import UserError

    suite = load_suite(args.file)
    baseline = None
    if args.baseline:  # a bad baseline is bad input: say so before spending anything
        from tuiarena.store.sessions import read_session, resolve_session

        baseline = read_session(resolve_session(args.baseline))
        if baseline.header.kind != "suite":
            raise UserError(f"baseline {args.baseline!r} is a {baseline.header.kind} session, not a suite run")
    return suite, baseline


class _ProgressLine:
    """The live stderr line: done/total, pass/fail/error counts, answers judged, cost, elapsed."""

    def __init__(self, stream, label: str, interval: float = 0.1) -> None:
        self.stream, self.label, self.interval = stream, label, interval
        self.t0 = time.monotonic()
        self._last = 0.0

    def __call__(self, p) -> None:
        now = time.monotonic()
        last = p.done >= p.total and p.judged >= p.judge_queued
        if now - self._last < self.interval and not last:
            return
        self._last = now
        pct = 100 * p.done / p.total if p.total else 100
        width = 20
        bar = "#" * int(width * pct / 100)
        cached = f" cached {p.cached}" if p.cached else ""
        judge = f" judged {p.judged}/{p.judge_queued}" if p.judge_queued else ""
        control(self.stream, "\r\x1b[2K")
        self.stream.write(f"{self.label} [{bar:<{width}}] {p.done}/{p.total} pass {p.passed} fail {p.failed} "
                          f"err {p.errors}{cached}{judge} ${p.cost_usd:.4f} {now - self.t0:.1f}s")
        self.stream.flush()

    def close(self) -> None:
        control(self.stream, "\r\x1b[2K")
        self.stream.flush()


def _warn(msg: str) -> None:
    print(f"tuiarena: {msg}", file=sys.stderr)


async def _run(args: argparse.Namespace) -> int:
    from tuiarena import __version__
    from tuiarena.commands._live import Interrupt
    from tuiarena.commands.run import resolve_models
    from tuiarena.engine.run.runner import Runner
    from tuiarena.engine.suite import requirements as rq
    from tuiarena.engine.suite.cache import ResponseCache
    from tuiarena.engine.suite.load import demo_judge
    from tuiarena.engine.suite.results import case_info, fold_suite_file, fold_suite_log
    from tuiarena.engine.suite.run import SuiteRun
    from tuiarena.engine.workspace import open_workspace
    from tuiarena.fmt import visible
    from tuiarena.model import ModelRef
    from tuiarena.reports.suite import exit_code, render, report_from_result
    from tuiarena.scoring.judge import Judge
    from tuiarena.store.paths import check_output, write_output
    from tuiarena.store.sessions import SessionWriter

    fmt_name = output_format(args.format, args.out)
    for flag, out in (("--out", args.out), ("--routing-out", args.routing_out)):
        if out:
            check_output(out, flag)  # before any request is paid for
    ws = await open_workspace()
    limits_args.apply(args, ws)
    try:
        if args.models:  # a mistyped model is said at once, before a big suite file is read
            resolve_models(args.models, ws)
        if args.judge:
            resolve_models([args.judge], ws)
        suite, baseline = _load(args)
        models = resolve_models(args.models or suite.models or None, ws)
        judge_model = args.judge or suite.judge.model
        warnings: list[str] = []
        if not judge_model and (judge_model := demo_judge(suite, models)):
            warnings.append(f"offline: the simulated {judge_model} judges the demo answers (--judge MODEL for a real one)")
        if judge_model:
            judge_model = resolve_models([judge_model], ws)[0]
            if judge_model in models:
                warnings.append(f"the judge {judge_model} is also a candidate: it may favour its own answers")
        elif "min_judge_score" in suite.requirements:
            warnings.append("min_judge_score is set but there is no judge (--judge MODEL or [judge] model): it cannot be met")
        if args.pairwise and not judge_model:
            raise_usage("--pairwise needs a judge (--judge MODEL or [judge] model)")
        for note in ws.notes:
            _warn(note)
        for w in warnings:
            _warn(w)
        if any(ModelRef.parse(m).is_demo for m in models):
            _warn("demo/* models are offline simulations, not real LLMs")

        kept: list = []  # with no session file, the persisted events the report is built from
        writer_box: list = []
        sinks = [lambda ev: writer_box[0].write(ev) if writer_box else (kept.append(ev) if ev.persisted else None)]
        runner = Runner(ws.registry, ws.pricing, sinks, per_endpoint=args.concurrency)
        judge = Judge(runner, judge_model, suite.judge.rubric, pass_total=suite.judge.pass_total,
                      max_tokens=suite.judge.max_tokens) if judge_model else None
        cache = ResponseCache() if args.cache else None
        job = SuiteRun(suite, models, runner, repeat=args.repeat, concurrency=args.concurrency, judge=judge,
                       pairwise=args.pairwise or suite.judge.pairwise, cache=cache, progress=None)
        shares = job.judge_shares_backend()
        if shares and judge_model:
            w = (f"the judge {judge_model} shares a backend with {', '.join(shares)}: its calls wait for every "
                 "candidate answer, so their latencies are not affected")
            warnings.append(w)
            _warn(w)
        meta = {"suite": suite.name, "path": str(suite.path), "models": models, "repeat": args.repeat,
                "judge": judge_model, "requirements": suite.requirements, "cases": len(suite.cases),
                "case_info": case_info(suite), "warnings": warnings}
        writer = None if args.no_session else SessionWriter.create(kind="suite", name=args.name or f"suite {suite.name}", meta=meta)
        if writer:
            writer_box.append(writer)
        progress = _ProgressLine(sys.stderr, suite.name) if sys.stderr.isatty() else None
        job.progress_cb = progress
        try:
            with Interrupt(job.cancel) as stop:
                await job.run()
        finally:
            if progress:
                progress.close()
            if writer:
                writer.close()
        if cache is not None:
            _warn(f"cache: {cache.hits} hits, {cache.stored} answers stored")
        from types import SimpleNamespace

        from tuiarena.store.sessions import read_session

        log: Any = None
        if writer and fmt_name != "html" and baseline is None:
            # figures only, as `tuiarena report` reads it: the session as a stream, without its answers' text
            result = fold_suite_file(writer.path)
        else:
            log = read_session(writer.path) if writer else SimpleNamespace(
                header=SimpleNamespace(session_id="", meta=meta), events=kept, path="")
            result = fold_suite_log(log)
        report = report_from_result(result, warnings)
        if result.agg.pairs and report.get("pairwise") is not None:
            report["pairwise"]["human_agreement"] = _human_agreement(result.agg.pairs)
        if stop.hit:
            # the live run knows why it stopped; reopening the session says "stopped before the end"
            report["partial"] = {"reason": "interrupted (Ctrl-C)", "answered": job.progress.done, "planned": job.progress.total}
            if baseline is not None:
                report["warnings"].append("not compared with the baseline: the run was interrupted")
                baseline = None
            if fmt_name == "csv":
                _warn(f"partial report: interrupted after {job.progress.done} of {job.progress.total} answers")
        regressions = _compare_baseline(args, baseline, log, report)
        text = render(report, fmt_name, result)
        if regressions is not None and fmt_name in ("table", "markdown"):
            text += "\n\n" + regressions
        if args.out:
            write_output(args.out, visible(text) + "\n")
            _warn(f"report written to {args.out}")
        else:
            print(text)
        if args.routing_out:
            write_output(args.routing_out, rq.routing_toml(report["routing"], suite.name, __version__))
            _warn(f"routing table written to {args.routing_out}")
        if stop.hit:
            return 130
        return exit_code(report)
    finally:
        await ws.aclose()


def _human_agreement(pairs) -> dict:
    """How often the pairwise judge agrees with the blind votes saved in any session."""
    from tuiarena.engine.arena import votes_from_events
    from tuiarena.engine.suite.aggregate import judge_agreement
    from tuiarena.store.sessions import list_sessions, read_session

    votes = []
    for summary in list_sessions():
        if summary.votes:
            votes += votes_from_events(read_session(summary.path).events)
    return judge_agreement(votes, pairs)


def _compare_baseline(args, baseline, new_log, report: dict) -> str | None:
    """Regressions against ``--baseline``, put in the report; returns the text form (or None)."""
    if baseline is None:
        return None
    from tuiarena.engine.suite.baseline import Tolerances, compare_logs
    from tuiarena.engine.suite.baseline import render as render_baseline

    tol = Tolerances(latency=args.latency_tolerance, cost=args.cost_tolerance, score=args.score_tolerance)
    result = compare_logs(baseline, new_log, tol)
    report["baseline"] = result.to_dict()
    fmt_name = output_format(args.format, args.out)
    text = render_baseline(result, markdown=fmt_name == "markdown")
    if fmt_name in ("csv", "json", "html"):
        _warn(text.replace("\n", "\n  "))
    return text


def raise_usage(message: str) -> None:
    from tuiarena.errors import UserError

    raise UserError(message)
