"""OpenAICompatProvider driven through the real openai SDK against tests/fakeserver.py."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakeserver import FakeServer
from tuiarena.model import (
    EndpointSpec,
    Params,
    ProviderError,
    RequestSent,
    RetryNotice,
    StreamEnd,
    StreamFinish,
    TextDelta,
    UsageInfo,
)
from tuiarena.providers.base import Provider
from tuiarena.providers.openai_compat import OpenAICompatProvider, request_params

MSGS = [{"role": "user", "content": "hello there, fake model"}]
KEY_ENV = "TUIARENA_TEST_FAKE_KEY"


@pytest.fixture(scope="module")
def srv():
    with FakeServer(n_tokens=5) as s:
        yield s


def make(base_url: str, **kw) -> OpenAICompatProvider:
    kw.setdefault("max_retries", 1)
    kw.setdefault("timeout_s", 10.0)
    kw.setdefault("api_key_env", None)  # a loopback server without a key: the placeholder is sent
    return OpenAICompatProvider(EndpointSpec(name="fake", base_url=base_url, **kw))


async def collect(p, model, params=None, messages=MSGS):
    events = []
    try:
        async for ev in p.stream(model, messages, params or Params()):
            events.append(ev)
    finally:
        await p.aclose()
    return events


def text_of(events, reasoning=False):
    return "".join(e.text for e in events if isinstance(e, TextDelta) and e.reasoning == reasoning)


def of(events, cls):
    return [e for e in events if isinstance(e, cls)]


def for_model(srv, model):
    return [r for r in srv.chat_requests if isinstance(r.body, dict) and r.body.get("model") == model]


def test_provider_protocol(srv):
    assert isinstance(make(srv.base_url), Provider)


async def test_normal_stream_text_usage_and_request_shape(srv, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-test-123")
    p = make(srv.base_url, api_key_env=KEY_ENV)
    events = await collect(p, "fake-model", Params(temperature=0.3, max_tokens=50, seed=7, top_p=0.9))
    assert text_of(events) == "tok0 tok1 tok2 tok3 tok4"
    assert of(events, StreamFinish)[0].reason == "stop"
    usage = of(events, UsageInfo)
    assert len(usage) == 1 and usage[0].completion_tokens == 5 and usage[0].prompt_tokens > 0
    req = for_model(srv, "fake-model")[-1]
    assert req.body["stream"] is True and req.body["stream_options"] == {"include_usage": True}
    assert req.body["temperature"] == 0.3 and req.body["max_tokens"] == 50
    assert req.body["seed"] == 7 and req.body["top_p"] == 0.9
    assert "response_format" not in req.body
    assert req.headers["authorization"] == "Bearer sk-test-123"


def test_request_params_mapping():
    assert request_params(Params()) == {}
    assert request_params(Params(response_format="json_object")) == {"response_format": {"type": "json_object"}}
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    rf = request_params(Params(response_format="json_schema", json_schema=schema))["response_format"]
    assert rf == {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


async def test_usage_in_choice(srv):
    events = await collect(make(srv.base_url), "usage-in-choice")
    assert text_of(events) == "tok0 tok1 tok2 tok3 tok4"
    assert of(events, UsageInfo)[0].completion_tokens == 5


async def test_no_usage_yields_no_usage_info(srv):
    events = await collect(make(srv.base_url), "no-usage")
    assert of(events, UsageInfo) == []
    assert of(events, StreamFinish)[0].reason == "stop"


@pytest.mark.parametrize("model", ["reasoning-content", "reasoning"])
async def test_reasoning_kept_apart(srv, model):
    events = await collect(make(srv.base_url), model)
    assert text_of(events, reasoning=True) == "think0 think1"
    assert text_of(events) == "tok0 tok1 tok2 tok3 tok4"
    deltas = of(events, TextDelta)
    first_answer = next(i for i, e in enumerate(deltas) if not e.reasoning)
    assert first_answer >= 1 and all(e.reasoning for e in deltas[:first_answer])
    assert not any(e.reasoning for e in deltas[first_answer:])
    assert of(events, UsageInfo)[0].reasoning_tokens == 2


async def test_comment_lines_skipped(srv):
    events = await collect(make(srv.base_url), "comments")
    assert text_of(events) == "tok0 tok1 tok2 tok3 tok4"


async def test_401_names_env_var(srv, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    before = len(srv.chat_requests)
    with pytest.raises(ProviderError) as ei:  # named but unset: said before any request, even on loopback
        await collect(make(srv.base_url, api_key_env=KEY_ENV), "auth")
    assert ei.value.kind == "auth" and KEY_ENV in ei.value.message and "not set" in ei.value.message
    assert len(srv.chat_requests) == before
    monkeypatch.setenv(KEY_ENV, "sk-wrong")
    with pytest.raises(ProviderError) as ei:
        await collect(make(srv.base_url, api_key_env=KEY_ENV), "auth")
    assert ei.value.kind == "auth" and ei.value.status == 401
    assert KEY_ENV in ei.value.message and "rejected" in ei.value.message
    assert "sk-wrong" not in ei.value.message


async def test_missing_key_for_remote_endpoint_fails_without_request():
    p = OpenAICompatProvider(EndpointSpec("openai", "https://api.openai.invalid/v1", api_key_env="OPENAI_API_KEY"))
    with pytest.raises(ProviderError) as ei:
        await collect(p, "gpt-4o-mini")
    assert ei.value.kind == "auth"
    assert ei.value.message.startswith("OPENAI_API_KEY is not set: export it to use endpoint 'openai'")
    with pytest.raises(ProviderError):
        await p.list_models()


def test_key_is_not_stored_on_spec_or_repr(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-secret-value")
    spec = EndpointSpec("fake", "http://127.0.0.1:9/v1", api_key_env=KEY_ENV)
    p = OpenAICompatProvider(spec)
    p._get_client()
    assert "sk-secret-value" not in json.dumps(dataclasses.asdict(spec)) + repr(p) + repr(spec)


@pytest.mark.parametrize("model", ["ratelimit-once", "ratelimit-once-ms"])
async def test_429_retry_after_then_success(srv, model):
    events = await collect(make(srv.base_url, max_retries=2), model)
    notices = of(events, RetryNotice)
    assert len(notices) == 1 and events[1] is notices[0]
    sent = events[0]
    assert isinstance(sent, RequestSent) and sent.t < notices[0].t  # measured from the first attempt
    n = notices[0]
    assert n.attempt == 1 and n.status == 429 and n.wait_s == pytest.approx(0.2)
    assert text_of(events) == "tok0 tok1 tok2 tok3 tok4"
    assert n.t <= of(events, TextDelta)[0].t
    assert [r.status for r in for_model(srv, model)][-2:] == [429, 200]


async def test_always_429_is_rate_limit_after_retries(srv):
    before = len(for_model(srv, "ratelimit"))
    with pytest.raises(ProviderError) as ei:
        await collect(make(srv.base_url, max_retries=1), "ratelimit")
    assert ei.value.kind == "rate_limit" and ei.value.status == 429
    assert "2 attempts" in ei.value.message
    assert len(for_model(srv, "ratelimit")) - before == 2


async def test_500_is_server(srv):
    with pytest.raises(ProviderError) as ei:
        await collect(make(srv.base_url, max_retries=0), "server-error")
    assert ei.value.kind == "server" and ei.value.status == 500


async def test_404_is_not_found(srv):
    with pytest.raises(ProviderError) as ei:
        await collect(make(srv.base_url, max_retries=0), "missing")
    assert ei.value.kind == "not_found" and "does not exist" in ei.value.message


async def test_cut_stream(srv):
    events = []
    with pytest.raises(ProviderError) as ei:
        async for ev in make(srv.base_url).stream("cut", MSGS, Params()):
            events.append(ev)
    assert ei.value.kind == "cut" and "without a finish" in ei.value.message
    assert text_of(events).startswith("tok0") and of(events, StreamFinish) == []


async def test_midstream_error(srv):
    events = []
    with pytest.raises(ProviderError) as ei:
        async for ev in make(srv.base_url).stream("midstream-error", MSGS, Params()):
            events.append(ev)
    assert ei.value.kind == "stream_error" and ei.value.message == "upstream model crashed"
    assert text_of(events).startswith("tok0")
    assert "error" not in text_of(events)


async def test_server_rejecting_stream_options_gets_retry_without(srv):
    p = make(srv.base_url)
    before = len(for_model(srv, "no-stream-options"))
    events = [e async for e in p.stream("no-stream-options", MSGS, Params())]
    assert text_of(events) == "tok0 tok1 tok2 tok3 tok4"
    reqs = for_model(srv, "no-stream-options")[before:]
    assert ["stream_options" in r.body for r in reqs] == [True, False]
    assert p.stream_options_ok is False
    # remembered: the next call goes straight without it
    await collect(p, "no-stream-options")
    reqs = for_model(srv, "no-stream-options")[before:]
    assert ["stream_options" in r.body for r in reqs] == [True, False, False]


async def test_other_400_is_bad_request_and_not_remembered(srv):
    p = make(srv.base_url)
    before = len(for_model(srv, "bad-request"))
    with pytest.raises(ProviderError) as ei:
        await collect(p, "bad-request")
    assert ei.value.kind == "bad_request" and ei.value.status == 400 and "temperature" in ei.value.message
    reqs = for_model(srv, "bad-request")[before:]
    assert ["stream_options" in r.body for r in reqs] == [True]  # not about stream_options: sent once
    assert p.stream_options_ok is True


async def test_max_tokens_gives_length(srv):
    events = await collect(make(srv.base_url), "fake-model", Params(max_tokens=3))
    assert text_of(events) == "tok0 tok1 tok2"
    assert of(events, StreamFinish)[0].reason == "length"


async def test_escape_codes_pass_through_untouched(srv):
    events = await collect(make(srv.base_url), "escape")
    text = text_of(events)
    assert "\x1b[31m" in text and "[bold red]x[/]" in text and "\x07" in text


async def test_timestamps_monotonic():
    with FakeServer(n_tokens=8, tokens_per_s=400) as s:
        events = await collect(make(s.base_url), "fake-model")
    ts = [e.t for e in events if isinstance(e, (TextDelta, StreamFinish))]
    assert text_of(events) == " ".join(f"tok{i}" for i in range(8))
    assert len(ts) >= 3  # paced tokens arrive in separate reads (same-read deltas are merged)
    assert ts == sorted(ts) and ts[-1] > ts[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel receive stamps are Linux's")
async def test_times_are_socket_side_even_when_the_loop_is_busy():
    """The tokens arrive while the event loop is stuck (a busy UI, a slow sink): their times are
    still when they reached the socket, and the request is timed from when it went on the wire."""
    with FakeServer(ttft=0.02, n_tokens=3) as s:
        p = make(s.base_url)
        events = []
        async for ev in p.stream("fake-model", MSGS, Params()):
            events.append(ev)
            if isinstance(ev, RequestSent):
                time.sleep(0.15)  # the whole answer comes in meanwhile
        await p.aclose()
        rec = s.chat_requests[-1]
    sent, first, end = of(events, RequestSent)[0], of(events, TextDelta)[0], of(events, StreamEnd)[0]
    assert sent.t <= rec.t_received
    assert abs(first.t - rec.t_first_chunk) < 0.005
    assert end.t - sent.t < 0.1  # well before the loop got round to reading it


async def test_an_answers_end_is_read_when_it_comes_not_on_the_tick(monkeypatch):
    """Once its first token is in, a stream is read on the loop's shared tick; its end (the last
    token, the finish, the usage, [DONE]) is a burst over the socket's low-water mark, read at
    once: with a tick that never comes, the answer still completes."""
    from tuiarena.providers.net import sockread

    monkeypatch.setattr(sockread, "TICK_S", 60.0)
    with FakeServer(n_tokens=3, tokens_per_s=200) as s:
        events = await asyncio.wait_for(collect(make(s.base_url), "fake-model"), 10)
    assert text_of(events) == "tok0 tok1 tok2"
    assert of(events, StreamFinish)[0].reason == "stop" and of(events, UsageInfo) and of(events, StreamEnd)


def test_chunk_parser_merges_per_read_and_handles_split_lines():
    from tuiarena.providers.sse import ChunkParser

    def chunk(**delta):
        return b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}).encode() + b"\n\n"

    p = ChunkParser()
    data = chunk(reasoning_content="r1") + chunk(reasoning="r2") + chunk(content="a") + b": ping\n\n" + chunk(content="b")
    evs = p.feed(data[:-7], 1.0) + p.feed(data[-7:], 2.0)
    assert [(e.text, e.reasoning, e.t) for e in evs] == [("r1r2", True, 1.0), ("a", False, 1.0), ("b", False, 2.0)]
    fin = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"completion_tokens_details":{"reasoning_tokens":1}}}\r\n\r\ndata: [DONE]\n\n'
    evs = p.feed(fin, 3.0)
    assert [(type(e).__name__, e.reason) for e in evs] == [("StreamFinish", "stop")]
    assert p.done and p.usage == UsageInfo(3, 2, 1) and p.chars == 6
    # An error object ends the stream; text that came in the same read before it is kept.
    p = ChunkParser()
    evs = p.feed(chunk(content="x") + b'event: error\ndata: {"error": {"message": "boom", "code": 500}}\n\n' + chunk(content="y"), 0.0)
    assert [e.text for e in evs] == ["x"]
    assert p.error.kind == "stream_error" and p.error.message == "boom"
    assert p.feed(chunk(content="z"), 1.0) == []


def test_chunk_parser_bytes_split_inside_a_character_and_invalid_utf8():
    from tuiarena.providers.sse import ChunkParser

    p = ChunkParser()
    data = 'data: {"choices":[{"index":0,"delta":{"content":"héllo ✓"},"finish_reason":null}]}\n\n'.encode()
    cut = data.index("✓".encode()) + 1  # inside the three bytes of ✓
    evs = p.feed(data[:cut], 1.0) + p.feed(data[cut:], 2.0)
    assert [(e.text, e.t) for e in evs] == [("héllo ✓", 2.0)]
    # A byte that is not UTF-8 is a replacement character, not a broken stream (as a text decoder would).
    evs = p.feed(b'data: {"choices":[{"index":0,"delta":{"content":"a\xffb"}}]}\n\n', 3.0)
    assert [e.text for e in evs] == ["a\ufffdb"] and p.error is None
    # Not JSON at all: the stream's error, naming what came.
    p.feed(b"data: {nope\n\n", 4.0)
    assert p.error.kind == "stream_error" and "{nope" in p.error.message
    assert p.events == 3
    # Odd shapes (a choice or a delta that is not an object) are skipped, not a crash.
    p = ChunkParser()
    evs = p.feed(b'data: {"choices":["x"]}\n\ndata: {"choices":[{"delta":"y"}]}\n\ndata: {"choices":{"0":1}}\n\n'
                 b'data: {"choices":[{"delta":{"content":"ok"}}]}\n\n', 5.0)
    assert [e.text for e in evs] == ["ok"] and p.error is None


async def test_list_models(srv):
    models = await make(srv.base_url).list_models()
    ids = [m.model for m in models]
    assert "fake-model" in ids and "reasoning" in ids
    assert all(m.endpoint == "fake" and not m.demo for m in models)


async def test_connection_refused_is_connection():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ProviderError) as ei:
        await collect(make(base, max_retries=0), "fake-model")
    assert ei.value.kind == "connection" and base in ei.value.message


async def test_cancel_closes_connection():
    with FakeServer(n_tokens=500, tokens_per_s=100) as s:
        p = make(s.base_url)
        got = asyncio.Event()

        async def consume():
            async for ev in p.stream("fake-model", MSGS, Params()):
                if isinstance(ev, TextDelta):
                    got.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(got.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(s.wait_for, lambda: s.chat_requests[0].outcome == "disconnected", 3.0)
        assert s.chat_requests[0].chunks_sent < 500
        await p.aclose()


async def test_many_concurrent_streams():
    with FakeServer(n_tokens=10, tokens_per_s=1000) as s:
        p = make(s.base_url)  # one client per endpoint, shared by its streams

        async def one():
            return [ev async for ev in p.stream("fake-model", MSGS, Params())]

        results = await asyncio.gather(*(one() for _ in range(24)))
        await p.aclose()
    assert all(text_of(r).endswith("tok9") for r in results)
    assert len(s.chat_requests) == 24


def test_fakeserver_subprocess_entry():
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakeserver", "--port", "0", "--tokens", "3"],
                            cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        import openai

        client = openai.OpenAI(base_url=url, api_key="x", max_retries=0)
        out = client.chat.completions.create(model="fake-model", messages=MSGS)
        assert out.choices[0].message.content == "tok0 tok1 tok2"
        client.close()
    finally:
        proc.terminate()
        proc.wait(5)
