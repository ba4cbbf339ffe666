"""tuiarena.providers.net.sockread: the three reading modes, over real loopback sockets."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Callable

import pytest

from tuiarena.providers.net import sockread
from tuiarena.providers.net.sockread import (
    CLOSE,
    NORMAL,
    TICK,
    SocketReader,
    poll_close,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel receive stamps")


def _pair() -> tuple[socket.socket, socket.socket]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    client = socket.create_connection(srv.getsockname())
    peer, _ = srv.accept()
    srv.close()
    client.setblocking(False)
    peer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client, peer


def _send_later(peer: socket.socket, pieces: list[tuple[float, bytes]], sent: list[float]) -> threading.Thread:
    """Send each piece after sleeping its gap (s), from a thread, noting when each went out. (Gaps,
    not a schedule: a thread that got the GIL late must not then send several pieces at once.)"""

    def run() -> None:
        for gap, data in pieces:
            time.sleep(gap)
            sent.append(time.perf_counter())
            peer.sendall(data)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def _busy_until(done: Callable[[], bool], guard_s: float = 10.0) -> None:
    """A busy loop: it never returns to its selector, and calls poll_close() between its pieces of
    work until ``done()``. (``guard_s`` only turns a hang into a failure; nothing is timed.)"""
    give_up = time.monotonic() + guard_s
    while not done():
        assert time.monotonic() < give_up, "the bytes never arrived"
        poll_close()


def _buffered(sock: socket.socket) -> int:
    """Bytes the kernel holds for ``sock`` that nobody has read yet."""
    try:
        return len(sock.recv(1 << 16, socket.MSG_PEEK))
    except BlockingIOError:
        return 0


async def _drain(reader: SocketReader, n: int) -> list[tuple[bytes, float, float]]:
    """Take n pieces as they come: (data, arrival, when taken)."""
    out = []
    while len(out) < n:
        while not reader.chunks:
            fut = reader.waiter = asyncio.get_running_loop().create_future()
            await fut
        data, t = reader.take(1 << 16)
        out.append((data, t, time.perf_counter()))
    return out


@linux_only
async def test_close_mode_times_the_first_bytes_while_the_loop_is_busy():
    client, peer = _pair()
    reader = SocketReader(client, asyncio.get_running_loop())
    reader.set_mode(CLOSE)
    # From here the loop is busy (no await): only poll_close() can read, as between a busy loop's work.
    before_first = time.perf_counter()
    peer.sendall(b"first")
    _busy_until(lambda: bool(reader.chunks))
    time.sleep(0.005)  # the next token comes later (a lower bound: sleep never returns early)
    before_more = time.perf_counter()
    peer.sendall(b"more")
    _busy_until(lambda: _buffered(client) > 0 or len(reader.chunks) > 1)
    data, t = reader.take(1 << 16)
    assert data == b"first"  # read on its own, not merged with the later bytes
    # stamped with its own arrival, not with when the loop took it (the 1 ms: clock conversion)
    assert before_first - 0.001 < t < before_more - 0.001
    reader.close()
    peer.close()


@linux_only
async def test_normal_mode_is_not_polled_so_a_busy_loop_merges():
    # The control for the test above: the same without CLOSE reads only at the selector, merged,
    # with the newest bytes' stamp.
    client, peer = _pair()
    reader = SocketReader(client, asyncio.get_running_loop())
    peer.sendall(b"first")
    _busy_until(lambda: _buffered(client) >= 5)
    for _ in range(100):
        poll_close()  # the busy loop polls, but a NORMAL socket is not in the poll group
    assert not reader.chunks
    time.sleep(0.005)
    before_more = time.perf_counter()
    peer.sendall(b"more")
    _busy_until(lambda: _buffered(client) >= 9)
    [(data, t, _taken)] = await _drain(reader, 1)  # the loop gets back to its selector
    assert data == b"firstmore"
    assert t > before_more - 0.001  # the newest segment's stamp (to the clocks' µs of conversion)
    reader.close()
    peer.close()


async def test_tick_mode_batches_but_keeps_the_last_bytes_time():
    loop = asyncio.get_running_loop()
    client, peer = _pair()
    reader = SocketReader(client, loop)
    reader.set_mode(TICK)
    sent: list[float] = []
    th = _send_later(peer, [(0.002, b"tok%d;" % i) for i in range(30)], sent)
    got = await _drain(reader, 1)
    th.join()
    await asyncio.sleep(sockread.TICK_S * 1.5)
    while reader.chunks:
        data, t = reader.take(1 << 16)
        got.append((data, t, time.perf_counter()))
    assert b"".join(d for d, _, _ in got) == b"".join(b"tok%d;" % i for i in range(30))
    assert len(got) < 15  # read on the tick: several tokens a piece, not one wake-up each
    if sys.platform.startswith("linux"):
        assert abs(got[-1][1] - sent[-1]) < 0.003  # the end's time is its own arrival, not the tick's
    reader.close()
    peer.close()
    assert sockread._GROUPS[TICK][loop].timer is None  # no socket left: the tick stops


async def test_modes_register_and_unregister_cleanly():
    loop = asyncio.get_running_loop()
    client, peer = _pair()
    reader = SocketReader(client, loop)
    fd = client.fileno()
    for mode in (CLOSE, TICK, NORMAL, TICK, CLOSE, NORMAL):
        reader.set_mode(mode)
        in_close = fd in getattr(sockread._GROUPS[CLOSE].get(loop), "readers", {})
        in_tick = fd in getattr(sockread._GROUPS[TICK].get(loop), "readers", {})
        assert (in_close, in_tick) == (mode == CLOSE, mode == TICK)
    reader.set_mode(TICK)
    peer.close()  # EOF, read on the tick: the reader stops and leaves its group
    await asyncio.sleep(sockread.TICK_S * 2)
    assert reader.eof and fd not in sockread._GROUPS[TICK][loop].readers
    reader.close()


def _lowat(sock: socket.socket) -> int:
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT)


@linux_only
async def test_tick_mode_low_water_mark_reads_a_burst_at_once_and_tokens_on_the_tick(monkeypatch):
    """A TICK socket with a low-water mark: pieces smaller than the mark wait for the tick, a
    burst of the mark or more (an answer's end) is read when it comes. Leaving TICK mode puts the
    mark back to 1, so the next answer's first bytes are read the moment they come."""
    monkeypatch.setattr(sockread, "TICK_S", 30.0)  # no tick within the test: only the mark can wake
    loop = asyncio.get_running_loop()
    client, peer = _pair()
    reader = SocketReader(client, loop)
    reader.set_mode(TICK, lowat=100)
    assert _lowat(client) == 100
    peer.sendall(b"t" * 40)
    await asyncio.sleep(0.05)
    assert not reader.chunks  # under the mark: left for the tick
    sent = time.perf_counter()
    peer.sendall(b"e" * 80)  # 120 bytes wait: over the mark
    got = await asyncio.wait_for(_drain(reader, 1), 5)
    assert got[0][0] == b"t" * 40 + b"e" * 80
    assert got[0][2] - sent < 5  # read on the mark, not the (30 s) tick
    reader.set_mode(NORMAL)
    assert _lowat(client) == 1 and reader.lowat == 0
    reader.set_mode(TICK)  # no mark given: none set
    assert _lowat(client) == 1
    reader.close()
    peer.close()


@linux_only
async def test_low_water_mark_doubles_when_early_reads_keep_coming(monkeypatch):
    """Tokens that outrun the mark (a fast stream) would wake the loop every few tokens: after a
    streak of early reads the mark doubles until they wait for the tick again."""
    monkeypatch.setattr(sockread, "TICK_S", 30.0)
    loop = asyncio.get_running_loop()
    client, peer = _pair()
    reader = SocketReader(client, loop)
    reader.set_mode(TICK, lowat=50)
    for _ in range(4):
        peer.sendall(b"x" * 60)
        await asyncio.wait_for(_drain(reader, 1), 5)
    assert reader.lowat == 100 and _lowat(client) == 100
    # A new answer on the connection (settled again) starts from its own mark and a fresh streak.
    reader.set_mode(CLOSE)
    reader.set_mode(TICK, lowat=50)
    peer.sendall(b"x" * 60)
    await asyncio.wait_for(_drain(reader, 1), 5)
    assert reader.lowat == 50
    reader.close()
    peer.close()
