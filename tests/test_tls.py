"""TLS over tuiarena's own socket reader (providers.net.tls): https:// endpoints reached directly are
timed on the socket, certificates are checked as httpx2 does, and a cut TLS stream is ``cut``.
The real openai SDK against tests/fakeserver.py over TLS, or against a scripted TLS server whose
every record and segment the test decides (a server-side ``ssl.SSLObject`` over a plain socket)."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable

import pytest

from tests.fakeserver import FakeServer
from tuiarena.engine.run.runner import Runner
from tuiarena.model import EndpointSpec, Params, ResponseDone, TextDelta
from tuiarena.providers import openai_compat
from tuiarena.providers.openai_compat import OpenAICompatProvider
from tuiarena.providers.registry import Registry

trustme = pytest.importorskip("trustme")

MSGS = [{"role": "user", "content": "hello over TLS"}]


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca, tmp_path_factory):
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca, *names: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(ctx)
    return ctx


@pytest.fixture(scope="module")
def tls_srv(ca):
    with FakeServer(n_tokens=12, ssl=server_context(ca, "127.0.0.1", "localhost")) as s:
        yield s


async def run_one(base_url: str, model: str = "fake-model", runs: int = 1) -> list[ResponseDone]:
    registry = Registry([EndpointSpec(name="fake", base_url=base_url, max_retries=0, timeout_s=10.0)],
                        include_demo=False)
    runner = Runner(registry)
    try:
        return [(await runner.run([f"fake/{model}"], MSGS))[0] for _ in range(runs)]
    finally:
        await registry.get("fake").aclose()


# ---------------------------------------------------------------------------------- the fake server


async def test_https_goes_through_the_own_transport_timed_on_the_socket(tls_srv, ca_file, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    first, second = await run_one(tls_srv.base_url, runs=2)
    assert first.status == "done", first.error
    assert first.text.startswith("tok0 tok1") and first.completion_tokens == 12
    assert first.timed_by == "socket" and second.timed_by == "socket"
    assert first.connect_ms is not None and first.connect_ms > 0  # DNS + TCP + TLS
    assert second.connect_ms is None  # the kept-alive TLS connection was reused
    assert len(tls_srv.chat_requests) >= 2


async def test_the_provider_mounts_it_for_the_https_origin(tls_srv, ca_file, monkeypatch):
    from tuiarena.providers.net.tls import TLSStream

    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    p = OpenAICompatProvider(EndpointSpec(name="fake", base_url=tls_srv.base_url, max_retries=0))
    try:
        response = await p._post({"model": "fake-model", "messages": MSGS, "stream": True})
        assert isinstance(response.extensions["network_stream"], TLSStream)
        assert response.extensions["network_stream"]._tls.selected_alpn_protocol() in (None, "http/1.1")
        await response.aclose()
    finally:
        await p.aclose()
    assert p._direct


async def test_a_stream_cut_with_close_notify_is_cut_with_its_text(tls_srv, ca_file, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    [rec] = await run_one(tls_srv.base_url, "cut")
    assert rec.status == "cut" and rec.error_kind == "cut", rec.error
    assert rec.text.startswith("tok0") and rec.timed_by == "socket"


async def test_an_unknown_certificate_is_refused_clearly(tls_srv, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    [rec] = await run_one(tls_srv.base_url)
    assert rec.status == "error" and rec.error_kind == "connection"
    assert "CERTIFICATE_VERIFY_FAILED" in (rec.error or "") and tls_srv.base_url in (rec.error or "")


async def test_a_certificate_for_another_name_is_refused(ca, ca_file, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    with FakeServer(n_tokens=3, ssl=server_context(ca, "llm.example.org")) as s:
        [rec] = await run_one(s.base_url)
    assert rec.status == "error" and rec.error_kind == "connection"
    assert "CERTIFICATE_VERIFY_FAILED" in (rec.error or "") and "127.0.0.1" in (rec.error or "")


def test_an_https_proxy_leaves_https_endpoints_to_httpx2(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert openai_compat._proxied("https://api.example.org/v1")
    assert not openai_compat._proxied("http://127.0.0.1:8000/v1")  # (its own variable only)
    p = OpenAICompatProvider(EndpointSpec(name="r", base_url="https://api.example.org/v1"))
    p._get_client()
    assert not p._direct


# ---------------------------------------------------------------------------------- a scripted server


def _event(text: str, finish: str | None = None) -> bytes:
    delta = {"content": text} if text else {}
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    data = b"data: %s\n\n" % json.dumps(chunk).encode()
    return b"%x\r\n%s\r\n" % (len(data), data)


DONE = b"e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n"  # the last event, then the chunked body's end
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


class ScriptedTLS:
    """One TLS connection served by ``script(conn)`` in a thread: ``conn.records(data)`` encrypts
    ``data`` as TLS records and returns their bytes, which the script sends as it likes."""

    def __init__(self, context: ssl.SSLContext, script: Callable[[ScriptedTLS], None]) -> None:
        self.context = context
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"https://127.0.0.1:{self.listener.getsockname()[1]}/v1"
        self.sock: socket.socket | None = None
        self.times: dict[str, float] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedTLS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        self.thread.join(10)
        if self.error is not None:
            raise self.error

    def _serve(self) -> None:
        try:
            sock, _ = self.listener.accept()
            self.sock = sock
            self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
            self.tls = self.context.wrap_bio(self._in, self._out, server_side=True)
            while True:
                try:
                    self.tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    sock.sendall(self._out.read())
                    self._in.write(sock.recv(65536))
            sock.sendall(self._out.read())
            request = b""
            while b"\r\n\r\n" not in request or not request.rstrip().endswith(b"}"):
                try:
                    request += self.tls.read(65536)
                except ssl.SSLWantReadError:
                    self._in.write(sock.recv(65536))
                    continue
            self.script(self)
        except BaseException as e:  # reported by __exit__
            self.error = e
        finally:
            if self.sock is not None:
                self.sock.close()

    def records(self, data: bytes) -> bytes:
        self.tls.write(data)
        return self._out.read()

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)


async def _stream(base_url: str) -> tuple[list, BaseException | None]:
    p = OpenAICompatProvider(EndpointSpec(name="s", base_url=base_url, max_retries=0, timeout_s=10.0))
    events: list = []
    try:
        async for ev in p.stream("m", MSGS, Params()):
            events.append(ev)
    except Exception as e:
        return events, e
    finally:
        await p.aclose()
    return events, None


async def test_a_record_split_across_segments_is_stamped_by_the_segment_that_completes_it(ca, ca_file, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    gap = 0.1

    def script(s: ScriptedTLS) -> None:
        s.send(s.records(HEAD + _event("first ")))
        record = s.records(_event("second"))
        s.send(record[:7])  # the record's header and a little: nothing to decrypt yet
        s.times["part"] = time.perf_counter()
        time.sleep(gap)  # (the gap to be seen in the stamps, not a synchronisation)
        s.times["rest"] = time.perf_counter()
        s.send(record[7:])
        s.send(s.records(_event("", "stop") + DONE))

    with ScriptedTLS(server_context(ca, "127.0.0.1"), script) as srv:
        events, err = await _stream(srv.base_url)
    assert err is None, err
    texts = [e for e in events if isinstance(e, TextDelta)]
    assert "".join(e.text for e in texts) == "first second"
    second = [e for e in texts if "second" in e.text][0]
    assert second.t > srv.times["part"] + gap / 2  # the stamp of the segment that completed the record


@pytest.mark.parametrize("how", ["ragged", "mid-record"])
async def test_a_cut_tls_stream_is_cut_with_its_text(ca, ca_file, monkeypatch, how):
    """The TCP connection ends without close_notify: between records (a "ragged" EOF) or inside one."""
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)

    def script(s: ScriptedTLS) -> None:
        s.send(s.records(HEAD + _event("partial ") + _event("text")))
        if how == "mid-record":
            s.send(s.records(_event(" more"))[:10])

    with ScriptedTLS(server_context(ca, "127.0.0.1"), script) as srv:
        [rec] = await run_one(srv.base_url, "m")
    assert rec.status == "cut" and rec.error_kind == "cut", rec.error
    assert rec.text == "partial text" and rec.timed_by == "socket"
    assert "closed the connection in the middle of the body" in (rec.error or "")
