"""TLS over tuiarena's own socket reader, for ``https://`` endpoints reached directly.

:class:`TLSStream` is an :class:`~tuiarena.providers.net.sockets.AsyncioStream` whose bytes go
through an ``ssl.SSLObject`` (``SSLContext.wrap_bio`` over two ``ssl.MemoryBIO``): the ciphertext
is read by the same :class:`~tuiarena.providers.net.sockread.SocketReader` as plain HTTP (kernel
receive stamps, first-bytes polling, the read tick, the low-water mark), and each piece of
plaintext keeps the stamp of the segment that completed its TLS record. :func:`connect_tls` is
TCP connect + handshake (server name for SNI and the certificate check, ALPN ``http/1.1``).

Ends: a ``close_notify`` ends the stream (``b""``); so does a TCP close without one (a "ragged"
EOF, between records or inside one), as with Python's ``suppress_ragged_eofs``: HTTP's own
framing (length, chunked coding) says whether the body was whole, and an SSE answer is judged by
its finish anyway. A record that fails to decrypt is a ``ReadError``.
Why: docs/decisions/0021-own-transport-and-trace.md.
"""

from __future__ import annotations

import asyncio
import socket
import ssl

import httpx2

from tuiarena.providers.net.sockets import AsyncioStream, connect

_RECV = 1 << 16


class TLSStream(AsyncioStream):
    """An :class:`AsyncioStream` with TLS: ``read()`` hands out plaintext, ``arrived`` is the
    receive stamp of the segment that completed it; ``write()`` encrypts, then sends (timed)."""

    __slots__ = ("_tls", "_in", "_out", "_plain", "_ended", "_cipher_n", "_plain_n")

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop, context: ssl.SSLContext,
                 host: str) -> None:
        super().__init__(sock, loop)
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._in, self._out, server_side=False, server_hostname=host)
        self._plain = b""  # decrypted and not handed out yet (all from one segment)
        self._ended = False  # close_notify or EOF seen
        self._cipher_n = 0  # bytes of records that carried plaintext, and that plaintext: their ratio
        self._plain_n = 0  # scales the low-water mark (settle) from body bytes to bytes on the wire

    async def handshake(self) -> None:
        """The TLS handshake (the caller bounds it with the connect timeout)."""
        tls = self._tls
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush(None)
                data = await AsyncioStream.read(self, _RECV, None)
                if not data:
                    raise httpx2.ConnectError("the server closed the connection during the TLS handshake") from None
                self._in.write(data)
            except ssl.SSLError as e:  # a certificate refused, no common protocol, ...
                raise httpx2.ConnectError(str(e)) from e
        await self._flush(None)

    async def _flush(self, timeout: float | None) -> None:
        if self._out.pending:
            await self.send(self._out.read(), timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._tls.write(buffer)
        except ssl.SSLError as e:
            raise httpx2.WriteError(str(e)) from e
        self._cipher_n = self._plain_n = 0
        await AsyncioStream.write(self, self._out.read(), timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        while not self._plain:
            if self._ended:
                return b""
            data = await AsyncioStream.read(self, _RECV, timeout)  # sets self.arrived
            if not data:
                self._ended = True
                return b""  # (without close_notify: HTTP's framing judges whether the body was whole)
            self._in.write(data)
            self._decrypt(len(data))
            if self._out.pending:  # (a TLS 1.3 key update answered)
                await self._flush(timeout)
        data = self._plain
        if len(data) > max_bytes:
            self._plain = data[max_bytes:]
            return data[:max_bytes]
        self._plain = b""
        return data

    def _decrypt(self, size: int) -> None:
        """All the plaintext of the records completed so far (a segment may end mid-record: that
        record is completed, and stamped, by a later one)."""
        tls = self._tls
        pieces = []
        try:
            while True:
                piece = tls.read(_RECV)
                if not piece:
                    self._ended = True
                    break
                pieces.append(piece)
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:  # close_notify
            self._ended = True
        except ssl.SSLError as e:
            self._ended = True
            raise httpx2.ReadError(str(e)) from e
        if pieces:
            plain = pieces[0] if len(pieces) == 1 else b"".join(pieces)
            self._plain = plain
            self._cipher_n += size
            self._plain_n += len(plain)

    def settle(self, lowat: int = 0) -> None:
        # The caller counts body bytes; the socket's mark counts record bytes (header, tag: ~22 more
        # per record on TLS 1.3, about one record per event).
        if lowat and self._plain_n:
            lowat = lowat * self._cipher_n // self._plain_n
        super().settle(lowat)

    @property
    def reusable(self) -> bool:
        return not self._plain and not self._ended and not self._in.pending and super().reusable

    def close(self) -> None:
        if not self._ended and self._p.sock.fileno() >= 0:
            try:  # a close_notify, best effort and without waiting for the server's
                self._tls.unwrap()
            except (ssl.SSLError, ValueError):
                pass
            if self._out.pending:
                try:
                    self._p.sock.send(self._out.read())
                except OSError:
                    pass
        self._ended = True
        super().close()


async def connect_tls(host: str, port: int, context: ssl.SSLContext, timeout: float | None) -> TLSStream:
    """A TLS connection to ``host:port``: TCP connect and handshake, both within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            stream = await connect(host, port, None, lambda sock, loop: TLSStream(sock, loop, context, host))
            try:
                await stream.handshake()
            except BaseException:
                stream.close()
                raise
            return stream
    except TimeoutError as e:
        raise httpx2.ConnectTimeout(f"timed out connecting to {host}:{port} (TCP + TLS)") from e


__all__ = ["TLSStream", "connect_tls"]
