"""HTTP/1.1 for plain-HTTP endpoints (local servers): an httpx2 transport over net.sockets.

The openai SDK still makes every request (auth, retries, error types) through its httpx2 client;
only the transport under that client is this one, httpx2's documented extension point, for
``http://`` endpoints reached without a proxy. HTTPS and proxied endpoints keep httpx2's own.

Why not httpcore2 + h11 under httpx2's transport: measured on the headless benchmark (800
streamed requests), their connection pool and state machines cost ~1 ms of CPU per request, and
handing a stream's last bytes back to h11 so it could release the connection another ~0.4 ms:
together about a sixth of all the client's CPU. What a local LLM server needs of HTTP/1.1 is
small and is all here: one request at a time per connection, head and body in one send, a
response head parsed into a status and headers, a body framed by chunked coding, a length or
the connection's end, and keep-alive connections reused per origin.

Each piece of body comes with the time it reached the socket: :meth:`ResponseBody.read`.
"""

from __future__ import annotations

import time
from typing import Any

import httpx2

from tuiarena.providers.net.sockets import AsyncioStream, connect
from tuiarena.providers.net.wire import WIRE

_MAX_LINE = 4096  # a chunk-size line longer than this is not HTTP
_MAX_HEAD = 65536  # a response head longer than this is not a server we can talk to
_READ = 65536
KEEPALIVE_S = 5.0  # an idle connection older than this is closed rather than reused
_MAX_IDLE = 64  # idle connections kept per origin


class PlainHTTPTransport(httpx2.AsyncBaseTransport):
    """An ``httpx2.AsyncClient(transport=...)`` for ``http://`` URLs, with keep-alive per origin."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[tuple[AsyncioStream, float]]] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        if url.scheme != "http":
            raise httpx2.UnsupportedProtocol(f"{url.scheme}:// is not plain HTTP (this transport has no TLS)")
        timeouts = request.extensions.get("timeout") or {}
        origin = (url.host, url.port or 80)
        wire = _request_bytes(request, await request.aread())
        while True:
            conn = self._take(origin)
            reused = conn is not None
            if conn is None:
                t_connect = time.perf_counter()
                conn = await connect(origin[0], origin[1], timeouts.get("connect"))
                record = WIRE.get()
                if record is not None:
                    record.connect_s = time.perf_counter() - t_connect
            try:
                await conn.write(wire, timeouts.get("write"))
                head = await _read_head(conn, timeouts.get("read"))
                while head is not None and 100 <= head[0] < 200 and head[0] != 101:
                    conn.expect_head()  # an informational response (103 Early Hints): the real one follows
                    head = await _read_head(conn, timeouts.get("read"))
            except BaseException:
                conn.close()
                raise
            if head is None:  # closed before a single byte of answer
                conn.close()
                if reused:
                    continue  # a kept-alive connection the server had just closed: once more, on a new one
                raise httpx2.RemoteProtocolError("Server disconnected without sending a response.")
            break
        status, reason, headers = head
        body = ResponseBody(self, origin, conn, request.method, status, headers, timeouts.get("read"))
        return httpx2.Response(
            status, headers=headers, stream=body,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason, "network_stream": conn,
                        "tuiarena_body": body},
        )

    def _take(self, origin: tuple[str, int]) -> AsyncioStream | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn, since = idle.pop()
            if conn.reusable and now - since < KEEPALIVE_S:
                return conn
            conn.close()
        return None

    def _give_back(self, origin: tuple[str, int], conn: AsyncioStream) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= _MAX_IDLE or not conn.reusable:
            conn.close()
        else:
            idle.append((conn, time.monotonic()))

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn, _since in conns:
                conn.close()


def _request_bytes(request: httpx2.Request, content: bytes) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode("ascii"), request.url.raw_path)]
    headers = request.headers.raw
    if any(name.lower() == b"transfer-encoding" for name, _ in headers):  # a streamed body, read whole
        headers = [(n, v) for n, v in headers if n.lower() not in (b"transfer-encoding", b"content-length")]
        headers.append((b"Content-Length", str(len(content)).encode()))
    lines += [b"%s: %s" % (name, value) for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + content


async def _read_head(conn: AsyncioStream, timeout: float | None) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
    """The response head: status, reason and headers; None if the connection ended first."""
    parts: list[bytes] = []
    size = 0
    while True:
        data = await conn.read(_READ, timeout)
        if not data:
            if parts:
                raise httpx2.RemoteProtocolError("the server closed the connection in the middle of the response head")
            return None
        parts.append(data)
        size += len(data)
        if conn.at_body:
            break
        if size > _MAX_HEAD:
            raise httpx2.RemoteProtocolError(f"response head longer than {_MAX_HEAD} bytes")
    lines = [line.rstrip(b"\r") for line in b"".join(parts).rstrip(b"\r\n").split(b"\n")]
    status_line = lines[0].split(b" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1.") or not status_line[1].isdigit():
        raise httpx2.RemoteProtocolError(f"not an HTTP/1.1 response: {lines[0][:60]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise httpx2.RemoteProtocolError(f"malformed response header line: {line[:60]!r}")
        headers.append((name, value.strip()))
    return int(status_line[1]), status_line[2] if len(status_line) > 2 else b"", headers


class ChunkedDecoder:
    """Undoes HTTP/1.1 chunked transfer coding, incrementally; free of I/O.

    ``feed(data)`` returns the payload bytes ``data`` completes. ``last`` is set at the last chunk
    (size 0); the bytes from there on (its line, trailers) stay in ``rest``. ``at_boundary`` is
    True when no chunk is part-read.
    """

    __slots__ = ("rest", "last", "_left", "_skip")

    def __init__(self) -> None:
        self.rest = b""
        self.last = False
        self._left = 0  # payload bytes of the current chunk still to come
        self._skip = 0  # bytes of the CRLF after it still to come

    @property
    def at_boundary(self) -> bool:
        return not self._left and not self._skip

    def feed(self, data: bytes) -> bytes:
        buf = self.rest + data if self.rest else data
        n = len(buf)
        i = 0
        out: list[bytes] = []
        if self._left:  # the rest of a chunk a previous piece began (then rest is empty)
            take = min(self._left, n)
            out.append(buf[:take])
            self._left -= take
            i = take
            if self._left:
                return out[0]
            self._skip = 2
        if self._skip:  # its CRLF
            take = min(self._skip, n - i)
            i += take
            self._skip -= take
            if self._skip:
                return out[0] if out else b""
        find = buf.find
        while i < n:
            j = find(b"\n", i)
            if j < 0:
                if n - i > _MAX_LINE:
                    raise httpx2.RemoteProtocolError("malformed chunked body: no chunk size line")
                break
            try:
                size = int(buf[i:j], 16)  # int() ignores the surrounding whitespace (the CR)
            except ValueError:
                size = _size_with_extension(buf[i:j])
            if size <= 0:
                if size < 0:
                    raise httpx2.RemoteProtocolError("negative chunk size")
                self.last = True
                break
            start = j + 1
            stop = start + size
            if stop + 2 <= n:  # the whole chunk and its CRLF: the usual case (one SSE event per chunk)
                out.append(buf[start:stop])
                i = stop + 2
                continue
            # A chunk cut by the end of this piece: the rest comes with the next.
            out.append(buf[start:stop])
            if stop <= n:
                self._skip = 2 - (n - stop)
            else:
                self._left = stop - n
            i = n
            break
        self.rest = buf[i:]
        if len(out) == 1:
            return out[0]
        return b"".join(out)


def _size_with_extension(line: bytes) -> int:
    try:
        return int(line.split(b";", 1)[0], 16)
    except ValueError:
        raise httpx2.RemoteProtocolError(f"malformed chunk size line: {line[:40]!r}") from None


class ResponseBody(httpx2.AsyncByteStream):
    """A response's body off its connection; the connection goes back to the pool once the body
    has been read to its end (and the server keeps it alive), else it is closed."""

    def __init__(self, transport: PlainHTTPTransport, origin: tuple[str, int], conn: AsyncioStream,
                 method: str, status: int, headers: list[tuple[bytes, bytes]], timeout: float | None) -> None:
        self._transport = transport
        self._origin = origin
        self.conn: AsyncioStream | None = conn
        self._timeout = timeout
        self.done = False
        self._keep = True
        self._chunked: ChunkedDecoder | None = None
        self._left: int | None = None  # bytes of a Content-Length body still to come
        self._trailer = b""
        names: dict[bytes, bytes] = {}
        for name, value in headers:
            key = name.lower()
            names[key] = value if key not in names else names[key] + b", " + value
        if b"close" in names.get(b"connection", b"").lower():
            self._keep = False
        coding = names.get(b"transfer-encoding", b"").lower()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            self.done = True
        elif coding:
            if coding.rsplit(b",", 1)[-1].strip() != b"chunked":
                raise httpx2.RemoteProtocolError(f"unsupported transfer-encoding: {coding.decode('latin-1')!r}")
            self._chunked = ChunkedDecoder()
        elif b"content-length" in names:
            lengths = {v.strip() for v in names[b"content-length"].split(b",")}
            if len(lengths) != 1 or not next(iter(lengths)).isdigit():
                raise httpx2.RemoteProtocolError(f"bad content-length: {names[b'content-length'][:40]!r}")
            self._left = int(lengths.pop())
            self.done = self._left == 0
        else:
            self._keep = False  # the body runs to the connection's end
        if self.done:
            self._release()

    async def read(self) -> tuple[bytes, float]:
        """The next piece of body and when it reached the socket; ``b""`` at the end."""
        conn = self.conn
        while not self.done and conn is not None:
            data = await conn.read(_READ if self._left is None else min(self._left, _READ), self._timeout)
            t = conn.arrived
            dec = self._chunked
            if dec is not None:
                if not data:
                    raise httpx2.RemoteProtocolError("the server closed the connection in the middle of the body")
                if not dec.last:
                    payload = dec.feed(data)
                    if dec.last:
                        self._trailers(b"")
                    if payload:
                        return payload, t
                else:
                    self._trailers(data)
            elif self._left is not None:
                if not data:
                    raise httpx2.RemoteProtocolError(f"the server closed the connection with {self._left} bytes of body to come")
                self._left -= len(data)
                if not self._left:
                    self._release()
                return data, t
            else:
                if not data:
                    self._release()
                    break
                return data, t
        return b"", conn.arrived if conn is not None else time.perf_counter()

    def _trailers(self, data: bytes) -> None:
        """After the last chunk: its line, any trailer fields, and the blank line that ends them."""
        dec = self._chunked
        buf = (dec.rest + data) if dec.rest else data
        dec.rest = b""
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > _MAX_HEAD:
                raise httpx2.RemoteProtocolError("chunked body trailers too long")
            dec.rest = buf
            return
        if end + 4 < len(buf):
            self._keep = False  # bytes after the response: nothing we asked for; do not reuse
        self._release()

    def _release(self) -> None:
        self.done = True
        conn, self.conn = self.conn, None
        if conn is None:
            return
        conn.relax()
        if self._keep:
            self._transport._give_back(self._origin, conn)
        else:
            conn.close()

    async def __aiter__(self) -> Any:
        while True:
            data, _t = await self.read()
            if not data:
                return
            yield data

    async def aclose(self) -> None:
        """Done with the response: a body not read to its end closes the connection."""
        if not self.done:
            self._keep = False
        self.done = True
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


__all__ = ["KEEPALIVE_S", "ChunkedDecoder", "PlainHTTPTransport", "ResponseBody"]
