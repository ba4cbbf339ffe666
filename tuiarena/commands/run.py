"""``tuiarena run``: one prompt to several models at once, a table of figures on stdout."""

from __future__ import annotations

import argparse
import sys

from tuiarena.commands import limits_args
from tuiarena.commands._args import TABLE_FORMATS, add_format, add_models
from tuiarena.commands._flags import param_flag

FORMATS = TABLE_FORMATS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "run",
        help="stream one prompt to several models and print the figures",
        description="Stream one prompt to several models concurrently; print TTFT, tok/s, latency, "
        "tokens and cost. The run is saved as a session. Exit 0 when every model answered, 1 when "
        "some failed, 2 on bad usage.",
    )
    p.add_argument("prompt", nargs="?", help="the user prompt (read from stdin when omitted)")
    add_models(p, "the models selected in the UI, else the demo roster")
    p.add_argument("--system", help="system prompt")
    p.add_argument("--temperature", type=param_flag("temperature"), help="0 to 2")
    p.add_argument("--max-tokens", type=param_flag("max_tokens"), help="at least 1")
    p.add_argument("--seed", type=param_flag("seed"))
    p.add_argument("--json-mode", action="store_true", help="ask for a JSON object (response_format)")
    add_format(p, FORMATS)
    p.add_argument("--no-session", action="store_true", help="do not save the run as a session")
    p.add_argument("--name", default="", help="session name")
    limits_args.add_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from tuiarena.errors import UserError

    prompt = args.prompt
    if prompt is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise UserError("no prompt: give one as an argument or pipe it on stdin")
        try:
            prompt = sys.stdin.read()
        except UnicodeDecodeError as exc:
            raise UserError(f"the prompt on stdin is not valid UTF-8 text (byte {exc.object[exc.start:exc.start + 1].hex()} "
                            f"at offset {exc.start})") from None
    if not prompt.strip():
        raise UserError("the prompt is empty")
    from tuiarena.validate import BadValue, text

    for what, value in (("the prompt", prompt), ("--system", args.system), ("--name", args.name)):
        try:
            text(value or "")
        except BadValue as exc:
            raise UserError(f"{what} {exc}") from None
    return asyncio.run(_run(args, prompt))


async def _run(args: argparse.Namespace, prompt: str) -> int:
    from tuiarena.commands._live import Interrupt, Progress
    from tuiarena.engine.run.runner import Runner
    from tuiarena.engine.workspace import open_workspace
    from tuiarena.model import ModelRef, Params
    from tuiarena.store.sessions import SessionWriter

    ws = await open_workspace()
    limits_args.apply(args, ws)
    try:
        models = resolve_models(args.models, ws)
        params = Params.from_dict(ws.config.defaults.to_dict() if ws.config.defaults else {})
        for name in ("temperature", "max_tokens", "seed"):
            if getattr(args, name) is not None:
                setattr(params, name, getattr(args, name))
        if args.json_mode:
            params.response_format = "json_object"
        messages = ([{"role": "system", "content": args.system}] if args.system else []) + [
            {"role": "user", "content": prompt}
        ]
        for note in ws.notes:
            print(f"tuiarena: {note}", file=sys.stderr)
        if any(ModelRef.parse(m).is_demo for m in models):
            print("tuiarena: demo/* models are offline simulations, not real LLMs", file=sys.stderr)

        writer = None if args.no_session else SessionWriter.create(kind="compare", name=args.name or prompt[:60])
        progress = Progress(sys.stderr) if sys.stderr.isatty() else None
        sinks = [s for s in (writer.write if writer else None, progress) if s]
        runner = Runner(ws.registry, ws.pricing, sinks)
        try:
            with Interrupt(runner.cancel) as stop:
                records = await runner.run(models, messages, params)
        finally:
            if progress:
                progress.close()
            if writer:
                writer.close()
        print(render(records, args.format, session=writer.path if writer else None))
        if writer:
            print(f"tuiarena: saved session {writer.session_id} ({writer.path})", file=sys.stderr)
        if stop.hit:
            done = sum(r.status != "cancelled" for r in records)
            print(f"tuiarena: partial result: interrupted, {done} of {len(records)} answers finished", file=sys.stderr)
            return 130
        return 0 if all(r.status == "done" for r in records) else 1
    finally:
        await ws.aclose()


def resolve_models(requested: list[str] | None, ws) -> list[str]:
    """Check every ref names a known endpoint; default to the UI selection, then the demo roster."""
    from tuiarena.errors import UserError
    from tuiarena.model import ModelRef

    if not requested:
        requested = list(ws.config.ui.selected or []) or ["demo/swift", "demo/steady", "demo/thinker"]
    known = set(ws.registry.endpoints) | {"demo"}
    out = []
    for text in requested:
        try:
            ref = ModelRef.parse(text)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if ref.endpoint not in known:
            raise UserError(
                f"unknown endpoint {ref.endpoint!r} in {text!r}; known: {', '.join(sorted(known))} "
                "(see `tuiarena models`, or add [endpoints.NAME] to config.toml)"
            )
        if ref.id not in out:
            out.append(ref.id)
    return out


COLUMNS = ("model", "ttft_ms", "ttft_answer_ms", "total_ms", "tokens_per_s", "prompt_tokens",
           "completion_tokens", "reasoning_tokens", "tokens_estimated", "cost_usd", "finish_reason",
           "status", "error_kind", "error", "retries", "response_id", "text", "reasoning",
           "connect_ms", "timed_by", "streamed", "tokens_source", "itl_p50_ms", "itl_p95_ms", "tokens_per_chunk",
           "server_prompt_ms", "server_decode_ms", "server_tokens_per_s", "server_cost_usd")


def as_dict(rec) -> dict:
    d = {k: getattr(rec, k) for k in COLUMNS}
    d["retries"] = len(rec.retries)
    return d


def render(records, fmt: str, session=None) -> str:
    import csv
    import io
    import json

    from tuiarena import fmt as f

    if fmt == "json":
        return json.dumps([as_dict(r) for r in records], ensure_ascii=False, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(COLUMNS))
        w.writeheader()
        for r in records:
            w.writerow(as_dict(r))
        return buf.getvalue().rstrip("\n")
    md = fmt == "markdown"
    headers = ["Model", "TTFT ms", "Answer TTFT ms", "Total s", "Tok/s", "Prompt tok", "Compl tok", "Cost", "Finish"]
    rows = []
    for r in records:
        finish = r.finish_reason or r.status
        if r.status != "done":
            finish = f"{r.status}: {r.error_kind or ''}".rstrip(": ")
        rows.append([r.model, f.ms(r.ttft_ms), f.ms(r.ttft_answer_ms), f.seconds(r.total_ms), f.rate(r.tokens_per_s),
                     f.tokens(r.prompt_tokens, r.tokens_estimated), f.tokens(r.completion_tokens, r.tokens_estimated),
                     f.cost(r.cost_usd), finish])
    out = [f.table(headers, rows, markdown=md, right={1, 2, 3, 4, 5, 6, 7})]
    if any(r.tokens_estimated for r in records):
        out.append("~ token counts estimated (the server sent no usage)")
    from tuiarena.reports.session import timing_notes

    for r in records:
        out.append(("\n### " if md else "\n== ") + r.model + ("" if md else " =="))
        notes = timing_notes(r)
        if notes:
            out.append(("_" if md else "(") + " · ".join(notes) + ("_" if md else ")"))
        if r.error:
            out.append(f"error ({r.error_kind}): {f.visible(r.error)}")
        if r.reasoning:
            out.append(("> reasoning: " if md else "[reasoning] ") + f.visible(r.reasoning).replace("\n", " ")[:400])
        if r.text:
            out.append(f.visible(r.text))
    return "\n".join(out)
