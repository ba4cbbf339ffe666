"""`tuiarena serve` with 20 concurrent browser sessions (headless Chromium through Playwright).

Prints, against the targets of issue 18, first the server's share alone, then the whole:
- the server's share: 20 plain websocket clients (no browser) open at once: first terminal frame,
  the voter prompt drawn, each app process's CPU from its connection to that prompt, and key press
  -> vote on disk with all 20 pressing at once. On a small machine, 20 headless Chromiums cost far
  more CPU than the server, so only these figures say what the server does;
- first paint: page request -> the first terminal bytes drawn in the page (body gets "-first-byte"),
  for one session alone and for 20 opened at once (target <= 2 s);
- memory per session: each connection's app process, RSS and PSS (PSS shares the common pages
  fairly; target <= 80 MB);
- key press -> vote on disk: Playwright presses "a" in all 20 pages at once; the time from just
  before the press to the vote's ``t_wall`` (stamped when the vote is made, right before its
  ``os.write``; the same clock on one machine), p50/p95 over every vote (target p95 <= 100 ms).

    python bench/serve.py [--sessions 20] [--rounds 3] [--warm 20] [--no-browsers] [--canvas]

Demo models only (offline). The machine may be shared and loaded: the figures say so by being
noisy, so run it more than once before believing one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.serve_helpers import CHROMIUM_ARGS, chromium_path, plain

MODELS = ["demo/swift", "demo/steady", "demo/thinker"]


def app_processes(home: Path, serving: bool) -> list[int]:
    """Pids of this bench's app processes: ``serving`` ones (a browser connected: several threads)
    or idle pooled ones (one thread, waiting for a connection)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            env = Path(f"/proc/{entry}/environ").read_bytes()
            threads = int(next(line.split()[1] for line in Path(f"/proc/{entry}/status").read_text().splitlines()
                               if line.startswith("Threads:")))
        except (OSError, StopIteration):
            continue
        # an argument of its own (not the shell wrapper's one string), and this bench's home
        mine = b"tuiarena.ui.serve" in cmd and f"TUIARENA_HOME={home}".encode() in env
        if mine and (threads > 1) == serving:
            pids.append(int(entry))
    return pids


def browser_cpu() -> float:
    """CPU seconds used so far by every chromium process (the browsers share this machine)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if b"chromium" in Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0]:
                    total += cpu_seconds(int(entry))
            except OSError:
                continue
    return total


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB from /proc/PID/smaps_rollup."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cast(pages: list[Page], sessions: Path) -> list[float]:
    """Press "a" in these pages at once; ms from each press to its vote's t_wall."""
    before = len(votes_on_disk(sessions))
    pressed: dict[str, float] = {}

    async def vote(p: Page) -> None:
        pressed[f"voter{p.n:02d}"] = time.time()
        await p.page.keyboard.press("a")

    await asyncio.gather(*(vote(p) for p in pages))
    end = time.monotonic() + 60
    while len(votes_on_disk(sessions)) < before + len(pages) and time.monotonic() < end:
        await asyncio.sleep(0.005)
    fresh = sorted(votes_on_disk(sessions), key=lambda v: v["t_wall"])[before:]
    return [(v["t_wall"] - pressed[v["voter"]]) * 1000 for v in fresh if v["voter"] in pressed]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


class Page:
    def __init__(self, page, n: int) -> None:
        self.page, self.n = page, n
        self.chunks: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if isinstance(payload, (bytes, bytearray)):
            payload = bytes(payload).decode("utf-8", "replace")
        self.chunks.append(payload)

    def text(self) -> str:
        return plain("".join(self.chunks))

    async def until(self, needle: str, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > end:
                raise TimeoutError(f"session {self.n}: no {needle!r} after {timeout:g}s")
            await self.page.wait_for_timeout(20)


class PlainClient:
    """A websocket client without a browser (the server's share of the work): it reads the terminal
    stream and types as the page would (``["stdin", text]``)."""

    def __init__(self, url: str, n: int) -> None:
        self.url, self.n = url, n
        self.text = ""
        self.first_frame: float | None = None  # seconds from opening the socket
        self.prompt_seen: float | None = None  # ... to the voter prompt drawn
        self.ws = None

    async def run(self, http, needles: list[str], events: dict[str, asyncio.Event]) -> None:
        import aiohttp

        t0 = time.perf_counter()
        self.ws = await http.ws_connect(self.url.replace("http://", "ws://") + "ws?width=110&height=32",
                                        origin=self.url.rstrip("/"))
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            if self.first_frame is None and len(msg.data) > 10:
                self.first_frame = time.perf_counter() - t0
            self.text = (self.text + msg.data.decode("utf-8", "replace"))[-200_000:]
            if self.prompt_seen is None and "Your name for the leaderboard" in plain(self.text[-20_000:]):
                self.prompt_seen = time.perf_counter() - t0
            for needle in needles:
                if needle in plain(self.text[-20_000:]):
                    events[needle].set()

    async def type(self, text: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", text]))


async def plain_clients(url: str, home: Path, n: int) -> dict[str, list[float]]:
    """``n`` plain websocket clients at once: first frame, the voter prompt, the app processes' CPU
    from their connection to the voter prompt, then one vote each (all at once): key -> vote on disk."""
    import aiohttp

    idle_cpu = {pid: cpu_seconds(pid) for pid in app_processes(home, serving=False)}
    clients = [PlainClient(url, i) for i in range(n)]
    needles = ["Your name for the leaderboard", "Both answers are in"]
    events = [{k: asyncio.Event() for k in needles} for _ in clients]
    sessions = home / "sessions"
    async with aiohttp.ClientSession() as http:
        tasks = [asyncio.create_task(c.run(http, needles, e)) for c, e in zip(clients, events, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(e[needles[0]].wait() for e in events)), 300)
        serving = app_processes(home, serving=True)
        cpu = [cpu_seconds(pid) - idle_cpu.get(pid, 0.0) for pid in serving]
        for c in clients:
            await c.type(f"plain{c.n:02d}\r")
        await asyncio.wait_for(asyncio.gather(*(e[needles[1]].wait() for e in events)), 300)
        before = len(votes_on_disk(sessions))
        pressed = {}
        for c in clients:  # as close to "at once" as one loop gets
            pressed[f"plain{c.n:02d}"] = time.time()
            await c.type("a")
        end = time.monotonic() + 60
        while len(votes_on_disk(sessions)) < before + n and time.monotonic() < end:
            await asyncio.sleep(0.005)
        fresh = [v for v in votes_on_disk(sessions) if v.get("voter") in pressed]
        delays = [(v["t_wall"] - pressed[v["voter"]]) * 1000 for v in fresh]
        for c in clients:
            await c.ws.close()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"first_frame": [c.first_frame or 0.0 for c in clients],
            "prompt": [c.prompt_seen or 0.0 for c in clients], "cpu": cpu, "vote_ms": delays}


async def wait_pool(home: Path, warm: int) -> None:
    """Until ``warm`` pooled app processes exist and have finished importing (their CPU time
    stands still for half a second): a burst must not compete with the pool's own start."""
    end = time.monotonic() + 180
    last = -1.0
    while time.monotonic() < end:
        pids = app_processes(home, serving=False)
        used = sum(cpu_seconds(pid) for pid in pids)
        if len(pids) >= warm and used == last:
            return
        last = used
        await asyncio.sleep(0.5)


async def open_session(browser, url: str, n: int) -> tuple[Page, float]:
    context = await browser.new_context(viewport={"width": 1100, "height": 640})
    p = Page(await context.new_page(), n)
    t0 = time.perf_counter()
    await p.page.goto(url, timeout=180_000)
    await p.page.wait_for_selector("body.-first-byte", timeout=180_000)
    return p, time.perf_counter() - t0


def votes_on_disk(folder: Path) -> list[dict]:
    out = []
    for path in folder.glob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            if b'"type":"vote"' in line:
                out.append(json.loads(line))
    return out


async def main_async(args: argparse.Namespace) -> int:
    import socket
    import subprocess

    from playwright.async_api import async_playwright

    home = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    os.environ["TUIARENA_HOME"] = str(home)
    os.environ["TUIARENA_NO_PROBE"] = "1"
    os.environ.setdefault("TUIARENA_DEMO_SPEED", "8")
    prompts = home / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"p{i}", "input": f"Explain idea number {i} briefly."}) + "\n"
                               for i in range(10)), encoding="utf-8")
    with socket.socket() as probe:  # a free port for the real `tuiarena serve`, in its own process
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [sys.executable, "-m", "tuiarena", "serve", "--port", str(port), "--prompts", str(prompts),
           "--warm", str(args.warm)] + [a for m in MODELS for a in ("-m", m)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    sessions = home / "sessions"
    end = time.monotonic() + 120
    while time.monotonic() < end:  # the server listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    await wait_pool(home, args.warm)  # and its pool is full
    print(f"server up with {len(app_processes(home, serving=False))} warm app processes (--warm {args.warm}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    try:
        server_cpu0 = cpu_seconds(server.pid)
        plain_ = await plain_clients(url, home, args.sessions)
        server_cpu = cpu_seconds(server.pid) - server_cpu0
        frames, prompts_, cpu_ = plain_["first_frame"], plain_["prompt"], plain_["cpu"]
        print(f"THE SERVER'S SHARE ({args.sessions} plain websocket clients at once, no browser):")
        print(f"  first terminal frame: p50 {statistics.median(frames) * 1000:.0f} ms, "
              f"p95 {pct(frames, 0.95) * 1000:.0f} ms, max {max(frames) * 1000:.0f} ms (target <= 2000)")
        print(f"  voter prompt drawn: p50 {statistics.median(prompts_) * 1000:.0f} ms, "
              f"p95 {pct(prompts_, 0.95) * 1000:.0f} ms, max {max(prompts_) * 1000:.0f} ms")
        print(f"  app process CPU from its connection to the voter prompt: median "
              f"{statistics.median(cpu_) * 1000:.0f} ms, total {sum(cpu_):.1f} s for {len(cpu_)} sessions "
              f"(/ {os.cpu_count()} cores = {sum(cpu_) / (os.cpu_count() or 1):.1f} s for the last one at best)")
        print(f"  the server process itself (aiohttp, relaying every frame) meanwhile: {server_cpu:.1f} CPU-s")
        if plain_["vote_ms"]:
            v = plain_["vote_ms"]
            print(f"  key press -> vote on disk, all {len(v)} at once: p50 {statistics.median(v):.0f} ms, "
                  f"p95 {pct(v, 0.95):.0f} ms, max {max(v):.0f} ms (target p95 <= 100)")
        if args.no_browsers:
            return 0
        print("THE WHOLE (the same machine also runs the browsers):")
        await wait_pool(home, args.warm)
        async with async_playwright() as pw:
            gl = ["--disable-3d-apis"] if args.canvas else []
            browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS + gl)
            floor = []  # Chromium's own cost of a new context with an empty page: no server involved
            for _ in range(3):
                before = browser_cpu()
                context = await browser.new_context()
                await (await context.new_page()).goto("data:text/html,<p>empty</p>")
                floor.append(browser_cpu() - before)
                await context.close()
            browser_cpu_alone = browser_cpu()
            alone, t_alone = await open_session(browser, url, -1)
            browser_cpu_alone = browser_cpu() - browser_cpu_alone
            await alone.page.context.close()
            await wait_pool(home, args.warm)  # the pool refilled
            t = time.perf_counter()
            browser_cpu0 = browser_cpu()
            opened = await asyncio.gather(*(open_session(browser, url, n) for n in range(args.sessions)))
            burst_browser_cpu = browser_cpu() - browser_cpu0
            burst_app_cpu = sum(cpu_seconds(pid) for pid in app_processes(home, serving=True))
            pages = [p for p, _ in opened]
            paints = [s for _, s in opened]
            cores = os.cpu_count() or 1
            print(f"xterm.js renderer: {'canvas (--disable-3d-apis)' if args.canvas else 'WebGL (on SwiftShader, the CPU: no GPU here)'}")
            print(f"first paint, one session alone: {t_alone * 1000:.0f} ms (target <= 2000); Chromium CPU for it "
                  f"{browser_cpu_alone * 1000:.0f} ms, so {args.sessions} pages at once need "
                  f">= {browser_cpu_alone * args.sessions / cores:.1f} s of this machine's {cores} cores for the "
                  f"browsers alone (an empty page in a new context costs Chromium "
                  f"{statistics.median(floor) * 1000:.0f} ms: >= {statistics.median(floor) * args.sessions / cores:.1f} s "
                  f"for {args.sessions} before any page of ours loads)")
            print(f"first paint, {args.sessions} opened at once: p50 {statistics.median(paints) * 1000:.0f} ms, "
                  f"p95 {pct(paints, 0.95) * 1000:.0f} ms, max {max(paints) * 1000:.0f} ms "
                  f"(all {args.sessions} painted after {(time.perf_counter() - t):.1f} s; CPU meanwhile: "
                  f"Chromium {burst_browser_cpu:.1f} s, the {args.sessions} app processes {burst_app_cpu:.1f} s "
                  "including their warm-up imports)")
            for p in pages:
                await p.until("Your name for the leaderboard")
                await p.page.click("#terminal")
                await p.page.keyboard.type(f"voter{p.n:02d}")
                await p.page.keyboard.press("Enter")
            together: list[float] = []  # all sessions press at once (even rounds)
            alone_ms: list[float] = []  # one session at a time (odd rounds)
            for rnd in range(args.rounds):
                await asyncio.gather(*(p.until("Both answers are in") for p in pages))
                if rnd == 0:
                    cpu = [cpu_seconds(pid) for pid in app_processes(home, serving=True)]
                if rnd % 2 == 0:
                    together += await cast(pages, sessions)
                else:
                    for p in pages:
                        alone_ms += await cast([p], sessions)
                if rnd == 0:
                    mem = [memory_kb(pid) for pid in app_processes(home, serving=True)]
                for p in pages:
                    p.chunks.clear()
                if rnd + 1 < args.rounds:
                    await asyncio.gather(*(p.page.keyboard.press("n") for p in pages))
            rss = [r / 1024 for r, _ in mem]
            pss = [s / 1024 for _, s in mem]
            print(f"memory per session ({len(mem)} app processes): RSS median {statistics.median(rss):.0f} MB "
                  f"(max {max(rss):.0f}), PSS median {statistics.median(pss):.0f} MB (max {max(pss):.0f}) "
                  "(target <= 80 MB)")
            print(f"CPU per app process up to its first battle (imports, first paint, discovery, streaming): "
                  f"median {statistics.median(cpu):.2f} s")
            for label, delays in ((f"{args.sessions} pressed at once", together), ("one session at a time", alone_ms)):
                if delays:
                    print(f"key press -> vote on disk, {label} ({len(delays)} votes): "
                          f"p50 {statistics.median(delays):.0f} ms, p95 {pct(delays, 0.95):.0f} ms, "
                          f"max {max(delays):.0f} ms (target p95 <= 100)")
            total = len([v for v in votes_on_disk(sessions) if v.get("voter", "").startswith("voter")])
            print(f"votes on disk from the browsers: {total} of {args.sessions * args.rounds} cast")
            await browser.close()
    finally:
        server.terminate()
        server.wait(30)
        print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; the machine may be shared)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=20, help="the server's --warm (default 20)")
    parser.add_argument("--no-browsers", action="store_true", help="only the server's share (plain clients)")
    parser.add_argument("--canvas", action="store_true",
                        help="turn WebGL off in the browsers (xterm.js then draws on a 2D canvas); by default "
                             "xterm.js uses WebGL, which headless Chromium without a GPU runs on SwiftShader, on "
                             "the CPU (measured: no difference beyond the run-to-run noise)")
    args = parser.parse_args()
    if chromium_path() is None:
        print("bench/serve.py needs chromium (apt-get install chromium) and playwright", file=sys.stderr)
        return 2
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
