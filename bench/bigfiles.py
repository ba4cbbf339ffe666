"""Big inputs benchmark (issue 15, class 12): a 50 MB suite and a 300 MB session.

    python bench/bigfiles.py [--cases 400000] [--session-mb 300] [--code DIR]

Figures printed against the targets:
- ``suite FILE -m nope/x`` (a bad model with a huge suite): how long before the error;
- loading a 50 MB suite (400k JSONL cases) and walking every case: <= 3 s and <= 200 MB RSS;
- ``report SESSION --format csv`` of a 300 MB suite session to a pipe: <= 10 s and <= 300 MB RSS
  (a suite session's csv is its suite report, folded from the file as a stream: decision 0041).

Each figure is measured in a fresh child process (wall time and peak RSS of that process);
``--code DIR`` runs another checkout's code (e.g. main, for a before/after). The files are
written to a temporary folder first (that part is not measured).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time, io
t0 = time.perf_counter()
kind, arg = sys.argv[1], sys.argv[2]
rc = None
if kind == "load":
    from tuiarena.engine.suite.load import load_suite
    suite = load_suite(arg)
    n = sum(1 for _ in suite.cases)
    assert n == len(suite.cases), (n, len(suite.cases))
    rc = n
else:
    from tuiarena.cli import main
    rc = main(json.loads(arg))
elapsed = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"s": elapsed, "cpu": ru.ru_utime + ru.ru_stime, "mb": ru.ru_maxrss / 1024, "rc": rc}), file=sys.__stderr__)
"""


def measure(code: Path, home: Path, kind: str, arg: str) -> dict:
    env = dict(os.environ, TUIARENA_HOME=str(home), TUIARENA_NO_PROBE="1", PYTHONPATH=str(code))
    p = subprocess.run([sys.executable, "-c", CHILD, kind, arg], env=env, cwd=code, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith('{"s"')]
    if not lines:
        raise SystemExit(f"{kind} failed:\n{p.stderr[-2000:]}")
    return json.loads(lines[-1]) | {"stderr": [ln for ln in p.stderr.splitlines() if not ln.startswith('{"s"')][:3]}


def write_suite(path: Path, n: int) -> None:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"case-{i:06d}", "input": f"Question {i}: capital of country {i}?",
                                 "checks": [{"type": "contains", "value": "Paris"}]}) + "\n")


def write_session(directory: Path, target_mb: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from tuiarena.model import ResponseDone, RunStarted, ScoreGiven, SessionHeader, new_id

    def line(ev) -> str:
        return json.dumps(ev.to_record(), ensure_ascii=False, separators=(",", ":")) + "\n"

    header = SessionHeader(session_id=new_id(), name="big", kind="suite")
    path = directory / f"20260101-000000-{header.session_id}.jsonl"
    words = "the quick brown fox jumps over a lazy dog while models stream tokens at various speeds ".split()
    text = " ".join(words[i % len(words)] for i in range(500))  # ~3 KB answers
    models = ["demo/swift", "demo/steady", "demo/thinker"]
    size = 0
    with path.open("w") as fh:
        fh.write(line(header))
        i = 0
        while size < target_mb * 1_000_000:
            run = RunStarted(run_id=new_id("r"), models=models, messages=[{"role": "user", "content": f"case {i}?"}],
                             response_ids={m: new_id("x") for m in models}, case_id=f"c{i}", label="big")
            chunk = [line(run)]
            for m in models:
                rid = run.response_ids[m]
                chunk.append(line(ResponseDone(run_id=run.run_id, response_id=rid, model=m, text=f"{i} {text}",
                                               ttft_ms=120.5, total_ms=900.0, tokens_per_s=80.0, prompt_tokens=12,
                                               completion_tokens=500, cost_usd=0.0001,
                                               timeline=" ".join(f"{k * 20},{k * 60}" for k in range(25)))))
                chunk.append(line(ScoreGiven(response_id=rid, run_id=run.run_id, scorer="checks", passed=True,
                                             score=1.0, reason="ok", detail={"checks": [{"name": "contains"}]})))
            data = "".join(chunk)
            fh.write(data)
            size += len(data)
            i += 1
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=400_000)
    ap.add_argument("--session-mb", type=int, default=300)
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code is measured")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bigfiles-") as tmp:
        tmp_path = Path(tmp)
        home = tmp_path / "home"
        home.mkdir()
        suite = tmp_path / "big.jsonl"
        t = time.perf_counter()
        write_suite(suite, a.cases)
        session = write_session(tmp_path, a.session_mb)
        print(f"set-up: suite {suite.stat().st_size / 1e6:.0f} MB ({a.cases:,} cases), session "
              f"{session.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - t:.1f} s; code: {a.code}; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        r = measure(a.code, home, "cli", json.dumps(["suite", str(suite), "-m", "nope/x"]))
        print(f"suite -m nope/x         {r['s']:6.2f} s (cpu {r['cpu']:5.2f} s) {r['mb']:6.0f} MB  exit {r['rc']}  {r['stderr'][-1:]}")
        r = measure(a.code, home, "load", str(suite))
        ok = "ok" if r["s"] <= 3 and r["mb"] <= 200 else "MISSED"
        print(f"load 50 MB suite        {r['s']:6.2f} s (cpu {r['cpu']:5.2f} s) {r['mb']:6.0f} MB  (target <= 3 s, <= 200 MB) {ok}")
        r = measure(a.code, home, "cli", json.dumps(["report", str(session), "--format", "csv"]))
        ok = "ok" if r["s"] <= 10 and r["mb"] <= 300 else "MISSED"
        print(f"report csv 300 MB       {r['s']:6.2f} s (cpu {r['cpu']:5.2f} s) {r['mb']:6.0f} MB  (target <= 10 s, <= 300 MB) {ok}  exit {r['rc']}")
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores: wall times above CPU times "
              "mean other processes had them)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
