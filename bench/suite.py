"""Benchmark `tuiarena suite` against the loopback fake server (run on purpose; prints figures).

    python bench/suite.py            # 200 cases x 4 models, concurrency 16, TTFT 50 ms, 100 tok/s, 100 tokens
    python bench/suite.py --big      # also 10,000 cases x 4 models at TTFT 0 (memory must stay flat)

The fake server runs in a subprocess (its CPU is not ours). The suite command runs in this process,
end to end: config, discovery, runner, checks on every answer, the session log, aggregation and
the report. Figures: wall time, CPU (user+sys, resource.getrusage) and peak RSS.

As in bench/headless.py, the openai SDK's import (~0.9 s of CPU, most of it building its pydantic
types; a fixed cost of the process, whatever the suite's size) happens before the clock and is
printed apart, with the end-to-end figures that include it. Everything of tuiarena's own is inside.
tuiarena's bytecode is compiled first, as an installed package has it (bench/precompile.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = ["fake/alpha", "fake/beta", "fake/gamma", "fake/delta"]
CHECKS = [
    {"type": "contains", "value": "tok42"},
    {"type": "regex", "pattern": r"^tok0 tok1"},
    {"type": "max-length", "value": 2000},
    {"type": "not-refused"},
    {"type": "rouge-l", "reference": "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7", "threshold": 0.05},
]


def start_server(ttft: float, rate: float, tokens: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeserver", "--port", "0", "--ttft", str(ttft), "--rate", str(rate), "--tokens", str(tokens)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    base_url = proc.stdout.readline().strip()
    if not base_url.startswith("http"):
        proc.kill()
        raise SystemExit(f"fake server did not start (got {base_url!r})")
    try:  # it stands in for a machine of its own: not slowed by the client it serves (as bench/headless.py)
        os.setpriority(os.PRIO_PROCESS, proc.pid, -10)
    except (OSError, AttributeError):
        pass
    return proc, base_url


def write_suite(folder: Path, n: int) -> Path:
    with (folder / "cases.jsonl").open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"case-{i}", "category": f"cat{i % 5}", "input": f"Question number {i}: say something.",
                                 "checks": CHECKS}) + "\n")
    p = folder / "bench.toml"
    p.write_text('name = "bench"\ncases = "cases.jsonl"\n[defaults]\ntemperature = 0\n'
                 "[requirements]\nmin_pass_rate = 0.9\nrequests_per_month = 100000\n")
    return p


def measure(label: str, n_cases: int, ttft: float, rate: float, tokens: int, concurrency: int) -> dict:
    from tuiarena.cli import main

    home = Path(tempfile.mkdtemp(prefix="tuiarena-bench-"))
    os.environ["TUIARENA_HOME"] = str(home)
    os.environ["TUIARENA_NO_PROBE"] = "1"
    proc, base_url = start_server(ttft, rate, tokens)
    try:
        names = ", ".join(json.dumps(m.split("/", 1)[1]) for m in MODELS)
        (home / "config.toml").write_text(f'[endpoints.fake]\nbase_url = "{base_url}"\nmodels = [{names}]\nmax_concurrency = {concurrency}\n')
        suite = write_suite(home, n_cases)
        out = home / "report.json"
        argv = ["suite", str(suite), *[a for m in MODELS for a in ("-m", m)], "--concurrency", str(concurrency),
                "--format", "json", "--out", str(out)]
        i0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        import openai  # noqa: F401 - the SDK's import, before the clock (see the module's docstring)

        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        import_cpu = (r0.ru_utime - i0.ru_utime) + (r0.ru_stime - i0.ru_stime)
        import_wall = t0 - w0
        rc = main(argv)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        proc.terminate()
        proc.wait(5)
    report = json.loads(out.read_text())
    s = report["summary"][MODELS[0]]
    return {
        "label": label, "rc": rc, "wall_s": wall,
        "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
        "rss_mb": r1.ru_maxrss / 1024,  # Linux: KiB
        "responses": sum(v["responses"] for v in report["summary"].values()),
        "pass_rate": s["pass_rate"], "ttft_p50_ms": s["ttft_p50_ms"], "ttft_p95_ms": s["ttft_p95_ms"],
        "latency_p95_ms": s["latency_p95_ms"], "import_cpu_s": import_cpu, "import_wall_s": import_wall,
    }


def show(res: dict, targets: dict) -> bool:
    ok = True
    print(f"\n{res['label']}: {res['responses']} responses, exit {res['rc']}, pass rate {res['pass_rate']:.0%}")
    print(f"  TTFT p50 {res['ttft_p50_ms']:.1f} ms, p95 {res['ttft_p95_ms']:.1f} ms; total latency p95 {res['latency_p95_ms']:.0f} ms")
    for key, unit in (("wall_s", "s"), ("cpu_s", "s"), ("rss_mb", "MB")):
        target = targets.get(key)
        verdict = "" if target is None else ("  OK" if res[key] <= target else "  OVER TARGET")
        ok &= not verdict.endswith("TARGET")
        print(f"  {key:7} {res[key]:8.2f} {unit}" + (f"  (target <= {target:g} {unit}){verdict}" if target else ""))
    print(f"  (the SDK's import before the clock: {res['import_cpu_s']:.2f} s CPU, {res['import_wall_s']:.2f} s wall; "
          f"end to end with it: wall {res['wall_s'] + res['import_wall_s']:.2f} s, cpu {res['cpu_s'] + res['import_cpu_s']:.2f} s)")
    return ok


def main() -> int:
    from precompile import compile_tuiarena

    compile_tuiarena()  # as an installed package has it (see bench/precompile.py)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="also run 10,000 cases x 4 models at TTFT 0 (long)")
    ap.add_argument("--big-only", action="store_true", help="only the 10,000-case run")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--big-cases", type=int, default=10_000)
    args = ap.parse_args()
    ok = True
    if not args.big_only:
        res = measure(f"{args.cases} cases x 4 models, concurrency 16, TTFT 50 ms, 100 tok/s, 100 tokens",
                      args.cases, 0.05, 100, 100, 16)
        ok &= show(res, {"wall_s": 54, "cpu_s": 6, "rss_mb": 100})
    if args.big or args.big_only:
        res = measure(f"{args.big_cases:,} cases x 4 models, concurrency 16, TTFT 0, 100 tokens as fast as possible",
                      args.big_cases, 0, 0, 100, 16)
        ok &= show(res, {"rss_mb": 150})
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
