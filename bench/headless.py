"""Headless throughput and timing honesty: tuiarena's runner vs a plain openai-python loop.

    python bench/headless.py [--cases 200] [--models 4] [--concurrency 16] [--setting realistic|fast]
                             [--no-plain] [--diag] [--profile FILE]

800 streamed requests (200 cases x 4 models) at concurrency 16 against the loopback fake server,
in two settings — realistic (TTFT 50 ms, 100 tok/s, 100 tokens) and fast (TTFT 0, 10,000 tok/s) —
each measured in its own child process (so peak RSS is that run's own), with the server in another
process (so its CPU is not counted). Prints wall, CPU, peak RSS, the measured TTFT p95 against the
server's true TTFT, the ratio to the plain SDK loop, and the fake server's own CPU (from wait4).

--diag splits each request's TTFT using the server's timestamps (perf_counter is CLOCK_MONOTONIC,
shared across processes): build = request handed to the provider -> its bytes on the wire (the
client building it; not part of measured TTFT), wire = on the wire -> the server's code got it (the
server's own lag reading it: inside measured TTFT, as a real client sees it), server_late = server's lateness past its configured TTFT, receive = server wrote the first
token -> tuiarena's timestamp for it (event-loop lag). It also times GC collections.

--floor adds a bare asyncio Protocol client (no HTTP library, no parsing: it writes the request and
collects bytes), the CPU any asyncio client pays here. On the 2-core machine this was built on it
measured 6.3 s of CPU for the realistic setting, above the 6 s target on its own.

A third setting, https, is the realistic one over TLS (the fake server with a throwaway certificate
made by trustme, trusted through SSL_CERT_FILE): TTFT counts from the request on the wire, and the
connection set-up (TCP + TLS) is printed apart (issue 14).

Targets (issue 2): realistic wall <= 54 s, CPU <= 6 s, RSS <= 100 MB; fast wall <= 4 s;
TTFT p95 within 3 ms of the true TTFT in both settings. "True" is per request, the server's own
record (from when its code had the request to when it had written the first token), not the
configured TTFT: a Python server on a busy 2-core box is late by a millisecond or more itself.
The p95 against the configured TTFT is printed too. The server runs at a higher priority (it
stands in for a machine of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {
    "realistic": {"ttft": 0.05, "rate": 100, "tokens": 100},
    "fast": {"ttft": 0.0, "rate": 10000, "tokens": 100},
    "https": {"ttft": 0.05, "rate": 100, "tokens": 100, "tls": True},  # realistic, over TLS
}


def make_certificate() -> tuple[str, str, str]:
    """A throwaway CA and a certificate for 127.0.0.1 (trustme, a test extra): (cert, key, CA file)."""
    import trustme

    folder = tempfile.mkdtemp(prefix="tuiarena-bench-tls-")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    paths = [os.path.join(folder, n) for n in ("cert.pem", "key.pem", "ca.pem")]
    leaf.cert_chain_pems[0].write_to_path(paths[0])
    leaf.private_key_pem.write_to_path(paths[1])
    ca.cert_pem.write_to_path(paths[2])
    return paths[0], paths[1], paths[2]


def start_server(ttft: float, rate: float, tokens: int, stats: str | None = None,
                 tls: tuple[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeserver", "--port", "0", "--ttft", str(ttft), "--rate", str(rate),
         "--tokens", str(tokens), *(["--stats", stats] if stats else []), *(["--tls", *tls] if tls else [])],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    base_url = proc.stdout.readline().strip()
    if not base_url.startswith("http"):
        proc.kill()
        raise SystemExit(f"fake server did not start: {base_url!r}")
    # The server stands in for a machine of its own: on a small box it would otherwise be slowed by
    # the very client it serves, and read requests late. Higher priority where allowed (root).
    try:
        os.setpriority(os.PRIO_PROCESS, proc.pid, -10)
    except (OSError, AttributeError):
        pass
    return proc, base_url


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def stop_server(proc: subprocess.Popen) -> float:
    """Stop the server; its CPU seconds (start-up included), from the kernel's accounting."""
    proc.terminate()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_utime + usage.ru_stime


CONNECTS: list[float] = []  # tuiarena's connect_ms of each new connection
DIAG: dict[tuple[str, str], list[float]] = {}  # (model, prompt) -> [t_call, t_first_token, t_sent]
MEASURED: dict[tuple[str, str], float | None] = {}  # (model, prompt) -> tuiarena's ttft_ms


def _server_records(stats_path: str) -> dict:
    server = {}
    with open(stats_path) as f:
        for line in f:
            r = json.loads(line)
            server[(r["model"], r["content"])] = r
    return server


def _errors_vs_server(stats_path: str) -> dict:
    """Each request's measured TTFT against the server's own record of it: from when its code had
    the request to when it had written the first token (same CLOCK_MONOTONIC both sides). The time
    the request waited in the server's socket before its code read it counts as error here."""
    server = _server_records(stats_path)
    errs, true = [], []
    for key, ttft in MEASURED.items():
        r = server.get(key)
        if ttft is None or r is None or r["t_first_chunk"] is None:
            continue
        t = (r["t_first_chunk"] - r["t_received"]) * 1000
        true.append(t)
        errs.append(ttft - t)
    return {"err_p50": pct(errs, 50), "err_p95": pct(errs, 95), "true_p95": pct(true, 95), "matched": len(errs)}


def _trace_provider(registry) -> None:
    """--diag: note when each request is handed to the provider and when its first token came."""
    provider = registry.get("bench")
    inner = provider.stream

    async def stream(model, messages, params):
        times = DIAG[(model, messages[-1]["content"])] = [time.perf_counter(), float("nan"), float("nan")]
        async for ev in inner(model, messages, params):
            if times[1] != times[1] and getattr(ev, "text", None):
                times[1] = ev.t
            elif type(ev).__name__ == "RequestSent" and times[2] != times[2]:
                times[2] = ev.t
            yield ev

    provider.stream = stream


async def run_tuiarena(base_url: str, cases: int, models: int, concurrency: int, diag: bool = False) -> list[float]:
    from tuiarena.engine.run.runner import Runner
    from tuiarena.model import EndpointSpec, Params
    from tuiarena.providers.registry import Registry
    from tuiarena.store.pricing import PricingTable
    from tuiarena.store.sessions import SessionWriter

    spec = EndpointSpec(name="bench", base_url=base_url, api_key_env=None, max_concurrency=concurrency,
                        source="local", max_retries=0)
    registry = Registry([spec], include_demo=False)
    if diag:
        _trace_provider(registry)
    writer = SessionWriter.create(kind="compare", name="bench")
    runner = Runner(registry, PricingTable({}, local_endpoints={"bench"}), [writer.write])
    names = [f"bench/model-{i}" for i in range(models)]
    sem = asyncio.Semaphore(max(1, concurrency // models))

    async def one_case(i: int):
        content = f"case {i}: say something"
        async with sem:
            recs = await runner.run(names, [{"role": "user", "content": content}], Params(max_tokens=100))
        for r in recs:
            MEASURED[(r.model.split("/", 1)[1], content)] = r.ttft_ms
            connect = getattr(r, "connect_ms", None)  # (None on versions before issue 14)
            if connect is not None:
                CONNECTS.append(connect)
        return recs

    results = await asyncio.gather(*(one_case(i) for i in range(cases)))
    writer.close()
    await registry.aclose()
    recs = [r for rs in results for r in rs]
    bad = [r for r in recs if r.status != "done"]
    if bad:
        print(f"  {len(bad)} failed, e.g. {bad[0].error}", file=sys.stderr)
    return [r.ttft_ms for r in recs if r.ttft_ms is not None]


async def run_plain_sdk(base_url: str, cases: int, models: int, concurrency: int, diag: bool = False) -> list[float]:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    sem = asyncio.Semaphore(concurrency)
    ttfts: list[float] = []

    async def one(i: int, m: int):
        async with sem:
            t0 = time.perf_counter()
            first = None
            stream = await client.chat.completions.create(
                model=f"model-{m}", messages=[{"role": "user", "content": f"case {i}"}], stream=True,
                stream_options={"include_usage": True}, max_tokens=100,
            )
            async for chunk in stream:
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter()
            if first is not None:
                ttfts.append((first - t0) * 1000)

    await asyncio.gather(*(one(i, m) for i in range(cases) for m in range(models)))
    await client.close()
    return ttfts


async def run_socket_floor(base_url: str, cases: int, models: int, concurrency: int, diag: bool = False) -> list[float]:
    """The floor: the same requests from a bare asyncio Protocol that only writes the request and
    collects the bytes (no HTTP library, no parsing). What any asyncio client pays per token here."""
    from urllib.parse import urlparse

    url = urlparse(base_url)
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(concurrency)
    ttfts: list[float] = []

    class Collect(asyncio.Protocol):
        def __init__(self) -> None:
            self.buf = bytearray()
            self.done = loop.create_future()
            self.first: float | None = None

        def data_received(self, data: bytes) -> None:
            if self.first is None and b'"content":"tok' in data:
                self.first = time.perf_counter()
            self.buf += data
            if self.buf.endswith(b"0\r\n\r\n") and not self.done.done():
                self.done.set_result(None)

    async def one(i: int, m: int) -> None:
        body = json.dumps({"model": f"model-{m}", "messages": [{"role": "user", "content": f"case {i}"}],
                           "stream": True, "max_tokens": 100, "stream_options": {"include_usage": True}}).encode()
        async with sem:
            transport, proto = await loop.create_connection(Collect, url.hostname, url.port)
            t0 = time.perf_counter()
            transport.write(b"POST %s/chat/completions HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
                            b"content-length: %d\r\n\r\n%s" % (url.path.encode(), url.netloc.encode(), len(body), body))
            await proto.done
            transport.close()
            if proto.first is not None:
                ttfts.append((proto.first - t0) * 1000)

    await asyncio.gather(*(one(i, m) for i in range(cases) for m in range(models)))
    return ttfts


def _diag_figures(stats_path: str) -> dict:
    """Split measured TTFT per request into where the time went (same CLOCK_MONOTONIC both sides)."""
    server = _server_records(stats_path)
    build, wire, late, recv = [], [], [], []
    for key, (t_call, t_first, t_sent) in DIAG.items():
        r = server.get(key)
        if r is None or r["t_first_chunk"] is None or t_first != t_first or t_sent != t_sent:
            continue
        build.append((t_sent - t_call) * 1000)
        wire.append((r["t_received"] - t_sent) * 1000)
        late.append((r["t_first_chunk"] - r["t_received"] - r["ttft"]) * 1000)
        recv.append((t_first - r["t_first_chunk"]) * 1000)
    return {name: [pct(v, 50), pct(v, 95), max(v, default=float("nan"))]
            for name, v in (("build", build), ("wire", wire), ("server_late", late), ("receive", recv))}


def child(mode: str, setting: str, cases: int, models: int, concurrency: int, diag: bool = False,
          profile: str | None = None) -> None:
    """Runs in its own process: one mode x setting; prints a JSON line of figures."""
    cfg = SETTINGS[setting]
    stats = tempfile.mktemp(prefix="fakeserver-", suffix=".jsonl") if diag or mode == "tuiarena" else None
    tls = None
    if cfg.get("tls"):
        cert, key, ca = make_certificate()
        tls = (cert, key)
        os.environ["SSL_CERT_FILE"] = ca  # the client trusts the throwaway CA (httpx2 reads it)
    proc, base_url = start_server(cfg["ttft"], cfg["rate"], cfg["tokens"], stats, tls)
    gc_pauses: list[float] = []
    server_cpu = float("nan")
    try:
        os.environ["TUIARENA_HOME"] = tempfile.mkdtemp(prefix="tuiarena-bench-")
        fn = {"tuiarena": run_tuiarena, "plain-sdk": run_plain_sdk, "socket-floor": run_socket_floor}[mode]
        # Imports (openai builds its pydantic types: ~1 s of CPU) are start-up, not the run: load
        # them before the clock starts, for both modes alike, and report them apart.
        i0 = time.process_time()
        import openai  # noqa: F401

        if mode == "tuiarena":
            import tuiarena.engine.run.runner  # noqa: F401
            import tuiarena.providers.openai_compat  # noqa: F401
            import tuiarena.providers.registry  # noqa: F401
            import tuiarena.store.sessions  # noqa: F401
        import_cpu = time.process_time() - i0
        import gc

        if diag:

            def on_gc(phase: str, info: dict, _t=[0.0]) -> None:  # noqa: B006 (a cell the callback keeps)
                if phase == "start":
                    _t[0] = time.perf_counter()
                else:
                    gc_pauses.append((time.perf_counter() - _t[0]) * 1000)

            gc.callbacks.append(on_gc)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        ttfts = asyncio.run(fn(base_url, cases, models, concurrency, diag))
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        server_cpu = stop_server(proc)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    out = {
        "mode": mode, "setting": setting, "requests": len(ttfts), "wall_s": wall, "cpu_s": cpu,
        "rss_mb": r1.ru_maxrss / 1024, "ttft_p50": pct(ttfts, 50), "ttft_p95": pct(ttfts, 95),
        "true_ttft_ms": cfg["ttft"] * 1000, "import_cpu_s": import_cpu, "server_cpu_s": server_cpu,
    }
    if mode == "tuiarena":
        out.update(_errors_vs_server(stats))
        out["connect"] = [len(CONNECTS), pct(CONNECTS, 50), pct(CONNECTS, 95)]
    if diag:
        out["gc"] = [len(gc_pauses), sum(gc_pauses), max(gc_pauses, default=0.0)]
        if mode == "tuiarena":
            out.update(_diag_figures(stats))
    if stats:
        os.unlink(stats)
    if profiler:
        import pstats

        profiler.dump_stats(profile)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    print(json.dumps(out))


def main() -> None:
    from precompile import compile_tuiarena

    compile_tuiarena()  # as an installed package has it (see bench/precompile.py)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--models", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--setting", choices=[*SETTINGS, "all"], default="all")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain openai-python loop (quick iterations)")
    ap.add_argument("--floor", action="store_true",
                    help="also run a bare asyncio socket client (no HTTP library): the CPU floor on this machine")
    ap.add_argument("--diag", action="store_true",
                    help="also split TTFT into build / wire / server lateness / receive, and count GC pauses")
    ap.add_argument("--profile", metavar="FILE", help="cProfile tuiarena's run into FILE (inflates CPU ~2x)")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "SETTING"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.cases, args.models, args.concurrency, args.diag, args.profile)
        return
    targets = {"realistic": {"wall_s": 54, "cpu_s": 6, "rss_mb": 100}, "fast": {"wall_s": 4}, "https": {}}
    settings = list(SETTINGS) if args.setting == "all" else [args.setting]
    print(f"{args.cases} cases x {args.models} models = {args.cases * args.models} requests, concurrency {args.concurrency}")
    modes = ("tuiarena",) if args.no_plain else ("tuiarena", "plain-sdk")
    if args.floor:
        modes += ("socket-floor",)
    extra = [*(["--diag"] if args.diag else []), *(["--profile", args.profile] if args.profile else [])]
    for setting in settings:
        figures = {}
        for mode in modes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, setting, "--cases", str(args.cases), "--models",
                 str(args.models), "--concurrency", str(args.concurrency), *extra],
                cwd=ROOT, capture_output=True, text=True,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                raise SystemExit(f"{mode}/{setting} failed")
            if args.profile and mode == "tuiarena":
                print(out.stderr, file=sys.stderr)
            figures[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n[{setting}] server TTFT {SETTINGS[setting]['ttft'] * 1000:.0f} ms, {SETTINGS[setting]['rate']} tok/s")
        for mode, f in figures.items():
            print(f"  {mode:12} wall {f['wall_s']:6.2f} s  cpu {f['cpu_s']:5.2f} s  rss {f['rss_mb']:6.1f} MB  "
                  f"ttft p50 {f['ttft_p50']:6.1f} ms  p95 {f['ttft_p95']:6.1f} ms  ({f['requests']} requests; "
                  f"imports {f['import_cpu_s']:.2f} s CPU before the clock; fake server cpu {f['server_cpu_s']:.2f} s)")
            if f.get("connect") and f["connect"][0]:
                n, p50, p95 = f["connect"]
                print(f"  {'':10} connection set-up (apart from TTFT): {n} new connections, p50 {p50:.1f} ms, "
                      f"p95 {p95:.1f} ms")
            if "gc" in f:
                n, total, worst = f["gc"]
                print(f"  {'':10} gc: {n} collections, {total:.0f} ms in all, longest {worst:.1f} ms")
            if "build" in f:
                print(f"  {'':10} ttft split (p50 / p95 / max ms): "
                      + "; ".join(f"{k} {f[k][0]:.1f} / {f[k][1]:.1f} / {f[k][2]:.1f}"
                                  for k in ("build", "wire", "server_late", "receive")))
        t = figures["tuiarena"]
        if "plain-sdk" in figures:
            p = figures["plain-sdk"]
            print(f"  ratio tuiarena/plain: wall {t['wall_s'] / p['wall_s']:.2f}, cpu {t['cpu_s'] / p['cpu_s']:.2f}")
        for key, limit in targets[setting].items():
            print(f"  target {key} <= {limit}: {t[key]:.2f} -> {'met' if t[key] <= limit else 'NOT met'}")
        err = t["ttft_p95"] - t["true_ttft_ms"]
        print(f"  (ttft p95 against the configured {t['true_ttft_ms']:.0f} ms: {err:+.1f} ms; the server's own TTFT "
              f"p95 was {t['true_p95']:.1f} ms)")
        print(f"  target ttft within 3 ms of the server's true TTFT, p95 over {t['matched']} requests: "
              f"{t['err_p95']:+.1f} ms (p50 {t['err_p50']:+.1f}) -> {'met' if abs(t['err_p95']) <= 3 else 'NOT met'}")

if __name__ == "__main__":
    main()
