"""Session store benchmark: listing 1,000 sessions and opening one with 10,000 responses.

    python bench/sessions.py [--sessions 1000] [--responses 10000]

Targets (issue 6): list 1,000 sessions <= 0.5 s; open a 10,000-response session <= 1 s.
Runs in a temporary TUIARENA_HOME; the files are written directly (no fsync per event) to keep
set-up quick, in exactly the format SessionWriter produces.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tuiarena.model import ResponseDone, RunStarted, SessionHeader, VoteCast, new_id  # noqa: E402

WORDS = "the quick brown fox jumps over a lazy dog while models stream tokens at various speeds".split()


def line(ev) -> str:
    return json.dumps(ev.to_record(), ensure_ascii=False, separators=(",", ":")) + "\n"


def write_session(directory: Path, runs: int, models: list[str], text_chars: int, rng: random.Random,
                  points: int = 25) -> Path:
    header = SessionHeader(session_id=new_id(), name=f"bench {rng.randint(0, 10**6)}", kind="compare")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(header.created))
    path = directory / f"{stamp}-{header.session_id}.jsonl"
    out = [line(header)]
    for r in range(runs):
        run_id = new_id("r")
        ids = {m: new_id("x") for m in models}
        out.append(line(RunStarted(run_id=run_id, models=models, response_ids=ids,
                                   messages=[{"role": "user", "content": f"prompt number {r}"}])))
        for m in models:
            text = " ".join(rng.choice(WORDS) for _ in range(text_chars // 5))[:text_chars]
            timeline = [[round(20.0 * i + rng.random(), 1), len(text) * i // points] for i in range(1, points + 1)]
            out.append(line(ResponseDone(run_id=run_id, response_id=ids[m], model=m, text=text, ttft_ms=120.5,
                                         ttft_answer_ms=130.2, total_ms=2400.0, tokens_per_s=88.1,
                                         prompt_tokens=12, completion_tokens=400, cost_usd=0.00042,
                                         finish_reason="stop", timeline=timeline)))
        if len(models) == 2 and r % 2 == 0:
            out.append(line(VoteCast(run_id=run_id, model_a=models[0], model_b=models[1], outcome="a")))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(out))
    return path


def timed(fn, repeat: int = 1):
    """(wall s, cpu s, result) of the fastest of ``repeat`` runs."""
    best = (float("inf"), 0.0, None)
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if wall < best[0]:
            best = (wall, cpu, out)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--responses", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=250,
                    help="timeline points per response in the realistic big session (2 KB at 100 tok/s "
                    "is ~5 s of streaming = ~250 windows of 20 ms)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="tuiarena-bench-") as tmp:
        os.environ["TUIARENA_HOME"] = tmp
        from tuiarena.store import paths
        from tuiarena.store.sessions import SessionWriter, list_sessions, read_session

        directory = paths.sessions_dir()
        rng = random.Random(1)
        t0 = time.perf_counter()
        for _ in range(args.sessions):
            write_session(directory, runs=rng.randint(1, 5), models=["demo/swift", "demo/thinker"],
                          text_chars=400, rng=rng)
        big = write_session(directory, runs=args.responses // 2, models=["demo/swift", "openai/gpt-4o-mini"],
                            text_chars=2000, rng=rng, points=25)
        real = write_session(directory, runs=args.responses // 2, models=["demo/swift", "openai/gpt-4o-mini"],
                             text_chars=2000, rng=rng, points=args.points)
        setup = time.perf_counter() - t0
        print(f"set-up: {args.sessions} small sessions + 2 with {args.responses} responses "
              f"({big.stat().st_size / 1e6:.1f} MB with 25-point timelines, {real.stat().st_size / 1e6:.1f} MB "
              f"with {args.points}-point timelines) in {setup:.1f} s")

        def cold_list():
            (directory / "index.json").unlink(missing_ok=True)
            return list_sessions()

        cold = timed(cold_list, repeat=3)
        listed = cold[2]
        warm = timed(lambda: list_sessions(), repeat=5)
        # one session changed since the index was written (the common case after a run)
        with SessionWriter.append_to(real) as w:
            w.write(VoteCast(run_id="r", model_a="a", model_b="b", outcome="tie"))
        stale = timed(lambda: list_sessions())
        responses = next(s for s in listed if s.path == big).responses
        opened = timed(lambda: read_session(big), repeat=3)
        opened_real = timed(lambda: read_session(real), repeat=3)

        def show(label: str, figures, target: float, extra: str = "") -> None:
            wall, cpu, _ = figures
            verdict = "ok" if wall <= target else "MISSED"
            print(f"{label:<46} {wall * 1000:8.1f} ms wall {cpu * 1000:8.1f} ms CPU   "
                  f"target {target * 1000:.0f} ms  {verdict}{extra}")

        n = len(listed)
        show(f"list {n} sessions, cold (no index)", cold, 0.5)
        show(f"list {n} sessions, warm index", warm, 0.5)
        show(f"list {n} sessions, a big one appended to", stale, 0.5)
        show(f"open {responses} responses, 25-point timelines", opened, 1.0,
             f"  ({len(opened[2].events)} events, {len(opened[2].skipped)} skipped)")
        show(f"open {responses} responses, {args.points}-point timelines", opened_real, 1.0,
             f"  ({len(opened_real[2].events)} events)")
        print("(best of 3 for cold list and open, best of 5 for warm list)")

        # per-event writer cost (write + fsync), the price of crash safety
        with SessionWriter.create(name="fsync probe") as w:
            ev = ResponseDone(model="demo/swift", text="x" * 2000)
            t = timed(lambda: [w.write(ev) for _ in range(200)])[0]
        print(f"SessionWriter.write (2 KB + fsync): {t / 200 * 1000:.3f} ms per event")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
