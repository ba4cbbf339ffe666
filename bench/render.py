"""Rendering benchmark: the real app streaming 8 columns at 200 tok/s for 10 s from the loopback
fake server, against the same streams run headless (Runner, no UI) in the same process.

    python bench/render.py [--columns 8] [--rate 200] [--tokens 2000]

Prints event-loop lag (p50/p95/max), time from each stream's end to its full text being on screen,
each stream's TTFT and total with and without the UI, and the first paint time of the app, each
with its target and "met" / "NOT met".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class LagMonitor:
    """Wakes every ``interval`` and records how late it woke (event-loop lag)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - due) * 1000.0)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()


def start_server(args, stats: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeserver", "--port", "0", "--ttft", str(args.ttft), "--rate", str(args.rate),
         "--tokens", str(args.tokens), "--stats", stats], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


def write_config(home: Path, url: str, models: list[str]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    quoted = ", ".join(f'"{m}"' for m in models)
    (home / "config.toml").write_text(
        f'[endpoints.fake]\nbase_url = "{url}"\napi_key_env = "FAKE_BENCH_KEY"\nmodels = [{quoted}]\n'
        f"max_concurrency = {len(models)}\n")


async def warm(registry, model_ids: list[str]) -> None:
    """One short request per model first, so both runs start with open, pooled connections (as a
    user's second prompt does) and compare steady state rather than who paid the TCP set-up."""
    from tuiarena.model import Params

    async def one(model_id: str) -> None:
        endpoint, model = model_id.split("/", 1)
        async for _ in registry.get(endpoint).stream(model, [{"role": "user", "content": "warm"}], Params(max_tokens=2)):
            pass

    await asyncio.gather(*(one(m) for m in model_ids))


async def headless(model_ids: list[str]):
    from tuiarena.engine.run.runner import Runner
    from tuiarena.engine.workspace import open_workspace

    ws = await open_workspace(probe_local=False)
    try:
        runner = Runner(ws.registry, ws.pricing, per_endpoint=len(model_ids))
        await warm(ws.registry, model_ids)
        lag = LagMonitor()
        lag.start()
        records = await runner.run(model_ids, [{"role": "user", "content": "bench headless"}])
        lag.stop()
        return records, lag.lags
    finally:
        await ws.aclose()


async def with_ui(model_ids: list[str]):
    from tuiarena.model import ResponseDone
    from tuiarena.ui.app import AppOptions, TuiArena
    from tuiarena.ui.widgets.column import OutputColumn
    from tuiarena.ui.widgets.roster import Roster

    app = TuiArena(AppOptions(probe_local=False, cursor_blink=False))
    ended: dict[str, float] = {}
    async with app.run_test(size=(240, 60)) as pilot:
        for _ in range(500):
            if app.runner is not None and app.compare_screen.query_one(Roster).entries:
                break
            await pilot.pause(0.01)
        app.runner.sinks.append(lambda ev: ended.__setitem__(ev.response_id, time.perf_counter())
                                if type(ev) is ResponseDone else None)
        app.runner.runner._per_endpoint = len(model_ids)  # the engine-thread Runner behind the app
        await app.runner.engine.run_async(warm(app.runner.registry, model_ids))
        screen = app.compare_screen
        screen.query_one(Roster).select(model_ids)
        screen.query_one("#user").text = "bench ui"
        screen.action_toggle_roster()  # 8 columns side by side at 240 wide (with the roster they are paged)
        await pilot.pause()
        lag = LagMonitor()
        lag.start()
        screen.action_run()
        while True:
            await asyncio.sleep(0.05)
            cols = screen.current_columns()
            widgets = list(screen.query(OutputColumn))
            if cols and all(c.final for c in cols) and all(w.shown_final_at for w in widgets):
                break
        lag.stop()
        await pilot.pause(0.3)
        on_screen = {w.response_id: (w.shown_final_at - ended[w.response_id]) * 1000.0 for w in widgets}
        texts_ok = all(w.text == c.text for w, c in zip(widgets, cols))
        records = [c.record for c in cols]
    return records, lag.lags, on_screen, texts_ok


FIRST_PAINT = r"""
import sys, time
t0, out = float(sys.argv[1]), sys.argv[2]
from tuiarena.ui.app import AppOptions, TuiArena
class Timed(TuiArena):
    def on_mount(self):
        super().on_mount()
        self.screen.call_after_refresh(self.painted)
    def painted(self):
        open(out, "w").write(f"{(time.time() - t0) * 1000:.0f}")
        self.exit()
Timed(AppOptions(probe_local=False)).run(headless=True)
"""


def first_paint_ms(env: dict) -> float:
    result = Path(tempfile.mkdtemp()) / "paint"
    subprocess.run([sys.executable, "-c", FIRST_PAINT, repr(time.time()), str(result)], env=env, cwd=ROOT,
                   capture_output=True, text=True, timeout=30)
    return float(result.read_text())


def main() -> int:
    from precompile import compile_tuiarena

    compile_tuiarena()  # as an installed package has it (see bench/precompile.py)
    ap = argparse.ArgumentParser()
    ap.add_argument("--columns", type=int, default=8)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--tokens", type=int, default=2000)
    ap.add_argument("--ttft", type=float, default=0.05)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="tuiarena-bench-"))
    os.environ.update(TUIARENA_HOME=str(home), TUIARENA_NO_PROBE="1", FAKE_BENCH_KEY="bench")
    stats = str(home / "server-stats.jsonl")
    proc, url = start_server(args, stats)
    try:
        models = [f"bench{i}" for i in range(args.columns)]
        write_config(home, url, models)
        ids = [f"fake/{m}" for m in models]
        print(f"{args.columns} streams x {args.tokens} tokens at {args.rate:g} tok/s (ttft {args.ttft * 1000:.0f} ms), "
              f"server {url}")
        h_records, h_lags = asyncio.run(headless(ids))
        u_records, u_lags, on_screen, texts_ok = asyncio.run(with_ui(ids))
        paint = [first_paint_ms(dict(os.environ)) for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait()
    server = {}  # (model, prompt) -> the server's own TTFT in ms (first token written - request read)
    with open(stats) as f:
        for line in f:
            r = json.loads(line)
            if r["t_first_chunk"] is not None:
                server[(r["model"], r["content"])] = (r["t_first_chunk"] - r["t_received"]) * 1000.0

    ok_all = True
    lag95 = pct(u_lags, 0.95)
    print(f"\nevent-loop lag with UI: p50 {pct(u_lags, .5):.1f} ms  p95 {lag95:.1f} ms  max {max(u_lags):.1f} ms "
          f"(headless p95 {pct(h_lags, .95):.1f} ms)  target p95 <= 33 ms: {verdict(lag95 <= 33)}")
    ok_all &= lag95 <= 33
    worst = max(on_screen.values())
    print(f"stream end -> full text on screen: median {statistics.median(on_screen.values()):.0f} ms, "
          f"worst {worst:.0f} ms  target <= 100 ms: {verdict(worst <= 100 and texts_ok)}"
          + ("" if texts_ok else "  (text on screen incomplete!)"))
    ok_all &= worst <= 100 and texts_ok
    # The two runs are different requests, and the fake server's own TTFT varies between them by a
    # few ms (its event loop is busier in one than the other). So besides the raw comparison, each
    # stream's measurement error against the server's own record of that request is compared:
    # "ui err - hl err" is how much the UI moved the number, as a share of the TTFT.
    print(f"\n{'stream':10} {'status':7} {'TTFT hl':>8} {'TTFT ui':>8} {'diff':>7} {'server hl':>9} {'server ui':>9} "
          f"{'ui err-hl err':>13} {'total hl':>9} {'total ui':>9} {'diff':>7}")
    worst_ttft = worst_raw = worst_total = 0.0
    for h, u in zip(h_records, u_records):
        model = h.model.split("/")[-1]
        sh, su = server.get((model, "bench headless"), float("nan")), server.get((model, "bench ui"), float("nan"))
        raw = (u.ttft_ms - h.ttft_ms) / h.ttft_ms * 100
        moved = ((u.ttft_ms - su) - (h.ttft_ms - sh)) / h.ttft_ms * 100
        dtot = (u.total_ms - h.total_ms) / h.total_ms * 100
        worst_raw, worst_ttft, worst_total = max(worst_raw, abs(raw)), max(worst_ttft, abs(moved)), max(worst_total, abs(dtot))
        print(f"{model:10} {u.status:7} {h.ttft_ms:8.1f} {u.ttft_ms:8.1f} {raw:+6.1f}% {sh:9.1f} {su:9.1f} "
              f"{moved:+12.1f}% {h.total_ms:9.0f} {u.total_ms:9.0f} {dtot:+6.2f}%")
    print(f"TTFT: raw difference worst {worst_raw:.1f}% (includes the server's own variation between the runs)")
    print(f"TTFT moved by the UI (error vs the server's record, UI minus headless): worst {worst_ttft:.1f}%  "
          f"target 2%: {verdict(worst_ttft <= 2)}")
    print(f"total within 2% of headless: worst {worst_total:.2f}%  {verdict(worst_total <= 2)}")
    ok_all &= worst_ttft <= 2 and worst_total <= 2
    print(f"\nfirst paint of the app (process start -> ready, headless): {', '.join(f'{p:.0f}' for p in paint)} ms  "
          f"target <= 1000 ms: {verdict(max(paint) <= 1000)}")
    ok_all &= max(paint) <= 1000
    print(f"\nall targets: {verdict(ok_all)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
