"""Benchmark: reading the team arena's votes (what every open leaderboard does when a voter's file
changes), from 100 voters' session files of 50 battles each (answers of ~1.8 KB: 29 MB).

    python bench/arena_votes.py [--files 100] [--battles 50]

Prints the first read (every file, vote and judge lines only) and the next reads (nothing or one
battle appended: only what each file gained). Reading every file whole, as before, took 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--battles", type=int, default=50)
    args = parser.parse_args()
    os.environ["TUIARENA_HOME"] = tempfile.mkdtemp(prefix="arena-votes-")
    from tuiarena.engine.arena import collect_arena
    from tuiarena.model import ResponseDone, RunStarted, SessionHeader, VoteCast, new_id
    from tuiarena.store.paths import sessions_dir
    from tuiarena.store.sessions import list_sessions, read_session

    folder = sessions_dir()
    folder.mkdir(parents=True, exist_ok=True)
    text = "the quick brown fox jumps over the lazy dog " * 40

    def line(ev) -> str:
        return json.dumps(ev.to_record(), ensure_ascii=False, separators=(",", ":")) + "\n"

    def battle() -> str:
        models = ["demo/swift", "demo/steady"]
        run = RunStarted(run_id=new_id("r"), models=models, messages=[{"role": "user", "content": "q"}],
                         response_ids={m: new_id("x") for m in models}, label="blind")
        out = [line(run)] + [line(ResponseDone(run_id=run.run_id, response_id=run.response_ids[m], model=m, text=text,
                                               ttft_ms=100.0, total_ms=800.0, completion_tokens=300,
                                               timeline=" ".join(f"{k * 20},{k * 60}" for k in range(25))))
                             for m in models]
        return "".join(out) + line(VoteCast(model_a=models[0], model_b=models[1], outcome="a", run_id=run.run_id))

    paths = []
    for f in range(args.files):
        header = SessionHeader(session_id=new_id(), name=f"arena · v{f}", kind="blind")
        path = folder / f"20261204-000000-{header.session_id}.jsonl"
        path.write_text(line(header) + "".join(battle() for _ in range(args.battles)), encoding="utf-8")
        paths.append(path)
    size = sum(p.stat().st_size for p in paths) / 1e6
    list_sessions()  # (the index, as a running server has it)

    def timed(label: str, fn) -> None:
        t, c = time.perf_counter(), time.process_time()
        n = fn()
        print(f"{label:<44} {n:6d} votes  {(time.perf_counter() - t) * 1000:7.1f} ms wall "
              f"{(time.process_time() - c) * 1000:7.1f} ms CPU")

    print(f"{args.files} session files x {args.battles} battles: {size:.1f} MB")
    timed("every file read whole (the old way)",
          lambda: sum(1 for p in paths for ev in read_session(p).events if ev.type == "vote"))
    timed("first read (vote and judge lines only)", lambda: len(collect_arena([])[0]))
    timed("next read, nothing changed", lambda: len(collect_arena([])[0]))
    with open(paths[0], "a", encoding="utf-8") as fh:
        fh.write(battle())
    timed("next read, one battle appended to one file", lambda: len(collect_arena([])[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
