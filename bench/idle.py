"""Idle CPU benchmark: the real app, started in a pseudo-terminal as a person would start it,
left alone on the compare screen (after a finished run, or untouched with --fresh); the CPU time
it takes over a window, read from /proc/<pid>/stat.

    python bench/idle.py [--seconds 30] [--fresh] [--size 80x24]

Target: at most 0.5% of one core over 30 s. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import sys
import tempfile
import threading
import time

TARGET_PCT = 0.5


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def drain(fd: int, stop: threading.Event) -> None:
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                if not os.read(fd, 65536):
                    return
            except OSError:
                return


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--fresh", action="store_true", help="no run first: idle straight after start-up")
    ap.add_argument("--size", default="80x24")
    args = ap.parse_args()
    cols, rows = (int(v) for v in args.size.split("x"))
    home = tempfile.mkdtemp(prefix="tuiarena-idle-")
    env = dict(os.environ, TUIARENA_HOME=home, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows),
               TUIARENA_DEMO_SPEED="20")
    pid, fd = pty.fork()
    if pid == 0:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.execvpe(sys.executable, [sys.executable, "-m", "tuiarena"], env)
    stop = threading.Event()
    threading.Thread(target=drain, args=(fd, stop), daemon=True).start()
    time.sleep(5.0)  # start-up and discovery
    if not args.fresh:
        os.write(fd, b"Explain python generators")
        time.sleep(0.3)
        os.write(fd, b"\x12")  # ctrl+r
        time.sleep(8.0)  # the demo models finish
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(args.seconds)
    used, wall = cpu_seconds(pid) - before, time.monotonic() - t0
    os.write(fd, b"\x11")  # ctrl+q
    time.sleep(1.0)
    stop.set()
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    share = 100.0 * used / wall
    state = "fresh start" if args.fresh else "after a run"
    print(f"idle CPU ({state}, {args.size}, {wall:.0f} s): {share:.2f}% of a core "
          f"(target <= {TARGET_PCT}%: {'met' if share <= TARGET_PCT else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
