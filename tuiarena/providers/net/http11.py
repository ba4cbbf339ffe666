"""HTTP/1.1 for endpoints reached directly: an httpx2 transport over net.sockets (and net.tls).

The openai SDK still makes every request (auth, retries, error types) through its httpx2 client;
this transport is mounted for the endpoint's own origin (httpx2 ``mounts``), ``http://`` or, with
the client's own ``ssl.SSLContext``, ``https://`` (TLS over the same socket reader:
:mod:`tuiarena.providers.net.tls`); any other URL, a redirect elsewhere or a proxy, stays with
httpx2. It keeps idle connections per
origin, sends each request in one write, and hands response framing (head, chunked coding,
trailers, bodies by length or to the close) to ``httptools`` (llhttp). Each piece of body comes
with the time its bytes reached the socket: :meth:`ResponseBody.read`. Why this and not
httpcore2 + h11: docs/decisions/0021-own-transport-and-trace.md.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import httptools
import httpx2

from tuiarena.providers.net.sockets import AsyncioStream, connect
from tuiarena.providers.net.tls import connect_tls
from tuiarena.providers.net.wire import WIRE

_MAX_HEAD = 65536  # a response head longer than this is not a server we can talk to
_READ = 65536
KEEPALIVE_S = 5.0  # an idle connection older than this is closed rather than reused
_MAX_IDLE = 64  # idle connections kept per origin


class _Framing:
    """llhttp's callbacks for one response: its head, its body pieces, its end. Informational
    (1xx) responses before it are skipped; bytes after its end make the connection unusable."""

    __slots__ = ("parser", "status", "reason", "headers", "head_done", "body", "complete", "extra", "size")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.parser.set_dangerous_leniencies(lenient_optional_cr_before_lf=True)  # bare-LF heads
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.body: list[bytes] = []
        self.complete = False
        self.extra = False  # bytes came after the response
        self.size = 0  # head bytes fed so far

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.extra = True
        except httptools.HttpParserError as e:
            if self.complete:  # what follows the response is not ours to read
                self.extra = True
                return
            raise httpx2.RemoteProtocolError(f"malformed response: {e}") from None
        if not self.head_done:
            self.size += len(data)
            if self.size > _MAX_HEAD:
                raise httpx2.RemoteProtocolError(f"response head longer than {_MAX_HEAD} bytes")

    # llhttp callbacks
    def on_message_begin(self) -> None:
        if self.complete:
            self.extra = True
        self.headers = []

    def on_status(self, reason: bytes) -> None:
        self.reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.head_done:  # (after the body: trailer fields, not kept)
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            return  # an informational response (103 Early Hints): the real one follows
        self.status, self.head_done = status, True

    def on_body(self, body: bytes) -> None:
        if self.complete:
            self.extra = True
        else:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True


class HTTP11Transport(httpx2.AsyncBaseTransport):
    """An ``httpx2.AsyncClient(transport=...)`` for ``http://`` URLs, and ``https://`` ones when
    given the ``ssl.SSLContext`` to check servers with; keep-alive per origin."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._idle: dict[tuple[str, str, int], list[tuple[AsyncioStream, float]]] = {}
        self._ssl = ssl_context
        if ssl_context is not None:
            ssl_context.set_alpn_protocols(["http/1.1"])  # as httpx2 does on it for HTTP/1.1 only

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme != "http" and (scheme != "https" or self._ssl is None):
            raise httpx2.UnsupportedProtocol(f"{scheme}:// is not for this transport (http://, or https:// with TLS set up)")
        timeouts = request.extensions.get("timeout") or {}
        origin = (scheme, url.host, url.port or (80 if scheme == "http" else 443))
        context = self._ssl if scheme == "https" else None
        wire = _request_bytes(request, await request.aread())
        while True:
            conn = self._take(origin)
            reused = conn is not None
            if conn is None:
                t_connect = time.perf_counter()
                if context is not None:
                    conn = await connect_tls(origin[1], origin[2], context, timeouts.get("connect"))
                else:
                    conn = await connect(origin[1], origin[2], timeouts.get("connect"))
                record = WIRE.get()
                if record is not None:
                    record.connect_s = time.perf_counter() - t_connect
            framing = _Framing()
            try:
                await conn.write(wire, timeouts.get("write"))
                started = await _read_head(conn, framing, timeouts.get("read"))
            except BaseException:
                conn.close()
                raise
            if not started:  # closed before a single byte of answer
                conn.close()
                if reused:
                    continue  # a kept-alive connection the server had just closed: once more, on a new one
                raise httpx2.RemoteProtocolError("Server disconnected without sending a response.")
            break
        body = ResponseBody(self, origin, conn, request.method, framing, timeouts.get("read"))
        return httpx2.Response(
            framing.status, headers=framing.headers, stream=body,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": framing.reason, "network_stream": conn,
                        "tuiarena_body": body},
        )

    def _take(self, origin: tuple[str, str, int]) -> AsyncioStream | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn, since = idle.pop()
            if conn.reusable and now - since < KEEPALIVE_S:
                return conn
            conn.close()
        return None

    def _give_back(self, origin: tuple[str, str, int], conn: AsyncioStream) -> None:
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


async def _read_head(conn: AsyncioStream, framing: _Framing, timeout: float | None) -> bool:
    """Read until the response head is parsed; False if the connection ended before any byte."""
    seen = False
    while not framing.head_done:
        data = await conn.read(_READ, timeout)
        if not data:
            if seen:
                raise httpx2.RemoteProtocolError("the server closed the connection in the middle of the response head")
            return False
        seen = True
        framing.feed(data)
    return True


class ResponseBody(httpx2.AsyncByteStream):
    """A response's body off its connection; the connection goes back to the pool once the body
    has been read to its end (and the server keeps it alive), else it is closed."""

    def __init__(self, transport: HTTP11Transport, origin: tuple[str, str, int], conn: AsyncioStream,
                 method: str, framing: _Framing, timeout: float | None) -> None:
        self._transport = transport
        self._origin = origin
        self.conn: AsyncioStream | None = conn
        self._timeout = timeout
        self._framing = framing
        self._t = conn.arrived  # arrival of the bytes in framing.body
        self.done = False
        self._to_close = False  # the body runs to the connection's end
        names: dict[bytes, bytes] = {}
        for name, value in framing.headers:
            key = name.lower()
            names[key] = value if key not in names else names[key] + b", " + value
        connection = names.get(b"connection", b"").lower()
        if framing.parser.get_http_version() == "1.0":
            self._keep = b"keep-alive" in connection
        else:
            self._keep = b"close" not in connection
        coding = names.get(b"transfer-encoding", b"").lower()
        status = framing.status
        if coding and coding.rsplit(b",", 1)[-1].strip() != b"chunked":
            raise httpx2.RemoteProtocolError(f"unsupported transfer-encoding: {coding.decode('latin-1')!r}")
        if method == "HEAD" or status in (204, 304):
            framing.complete = True
            framing.body.clear()
        elif not coding and b"content-length" not in names:
            self._keep, self._to_close = False, True
        if framing.complete:
            self._release()

    async def read(self) -> tuple[bytes, float]:
        """The next piece of body and when it reached the socket; ``b""`` at the end."""
        framing = self._framing
        while True:
            if framing.body:
                pieces = framing.body
                data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
                pieces.clear()
                return data, self._t
            conn = self.conn
            if self.done or conn is None:
                return b"", self._t
            data = await conn.read(_READ, self._timeout)
            self._t = conn.arrived
            if not data:
                if not self._to_close:
                    raise httpx2.RemoteProtocolError("the server closed the connection in the middle of the body")
                self._release()
                continue
            framing.feed(data)
            if framing.complete:
                self._release()

    def _release(self) -> None:
        self.done = True
        conn, self.conn = self.conn, None
        if conn is None:
            return
        conn.relax()
        if self._keep and not self._framing.extra:
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


__all__ = ["KEEPALIVE_S", "HTTP11Transport", "ResponseBody"]
