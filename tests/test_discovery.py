"""Discovery (configured, env keys, loopback probe) and the Registry."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest

from tests.conftest import PROVIDER_KEY_VARS
from tests.fakeserver import FakeServer
from tuiarena.model import EndpointSpec, ProviderError
from tuiarena.providers.demo import DemoProvider
from tuiarena.providers.discovery import KNOWN_ENV_ENDPOINTS, discover
from tuiarena.providers.openai_compat import OpenAICompatProvider
from tuiarena.providers.registry import Registry


def cfg(**endpoints):
    return SimpleNamespace(endpoints=endpoints)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def test_nothing_found():
    d = await discover(cfg())
    assert d.endpoints == [] and "demo" in d.notes[-1]


async def test_env_keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("GROQ_API_KEY", "gsk-x")
    d = await discover(cfg(), probe_local=False)
    by = {e.name: e for e in d.endpoints}
    assert list(by) == ["openai", "groq"]
    assert by["openai"].base_url == "https://api.openai.com/v1" and by["openai"].api_key_env == "OPENAI_API_KEY"
    assert by["groq"].base_url == "https://api.groq.com/openai/v1"
    assert all(e.source == "env" and e.models for e in d.endpoints)
    assert any("found OPENAI_API_KEY" in n for n in d.notes)
    assert "sk-x" not in repr(d)


async def test_configured_endpoint_wins(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    mine = EndpointSpec("openai", "https://proxy.example/v1", api_key_env="OPENAI_API_KEY")
    d = await discover(cfg(openai=mine), probe_local=False)
    assert d.endpoints == [mine]


def test_known_table_covers_conftest_keys():
    assert set(PROVIDER_KEY_VARS) - set(KNOWN_ENV_ENDPOINTS) <= {"ANTHROPIC_API_KEY"}
    assert all(k.base_url.startswith("https://") for k in KNOWN_ENV_ENDPOINTS.values())


async def test_local_probe_finds_fake_server(monkeypatch):
    monkeypatch.delenv("TUIARENA_NO_PROBE", raising=False)
    with FakeServer(models=["llama3.1:8b", "qwen2.5:7b"]) as srv:
        servers = {"ollama": srv.base_url, "vllm": f"http://127.0.0.1:{closed_port()}/v1"}
        d = await discover(cfg(), local_servers=servers)
    assert [(e.name, e.source, e.models) for e in d.endpoints] == [("ollama", "local", ["llama3.1:8b", "qwen2.5:7b"])]
    assert f"ollama answering on {srv.port} with 2 models" in d.notes


async def test_probe_skipped_by_env_or_flag(monkeypatch):
    with FakeServer() as srv:
        monkeypatch.setenv("TUIARENA_NO_PROBE", "1")
        assert (await discover(cfg(), local_servers={"ollama": srv.base_url})).endpoints == []
        monkeypatch.delenv("TUIARENA_NO_PROBE")
        assert (await discover(cfg(), probe_local=False, local_servers={"ollama": srv.base_url})).endpoints == []
        assert srv.requests == []


async def test_probe_never_hangs_on_silent_server(monkeypatch):
    monkeypatch.delenv("TUIARENA_NO_PROBE", raising=False)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    try:
        t0 = time.monotonic()
        d = await discover(cfg(), timeout=0.2, local_servers={"llamacpp": f"http://127.0.0.1:{silent.getsockname()[1]}/v1"})
        assert time.monotonic() - t0 < 5  # a hang guard, not a speed test
        assert d.endpoints == []
    finally:
        silent.close()


# ------------------------------------------------------------------------------ Registry

async def test_registry_get_and_unknown():
    spec = EndpointSpec("local", "http://127.0.0.1:9/v1")
    reg = Registry([spec], demo_speed=1000)
    assert isinstance(reg.get("demo"), DemoProvider) and reg.get("demo") is reg.get("demo")
    assert reg.get("demo").speed == 1000
    assert isinstance(reg.get("local"), OpenAICompatProvider)
    assert reg.endpoints == {"local": spec}
    with pytest.raises(ProviderError) as ei:
        reg.get("nope")
    assert ei.value.kind == "config" and "unknown endpoint 'nope'" in ei.value.message and "local" in ei.value.message
    await reg.aclose()


def test_registry_demo_speed_env(monkeypatch):
    monkeypatch.setenv("TUIARENA_DEMO_SPEED", "250")
    assert Registry([]).get("demo").speed == 250


async def test_registry_list_models():
    with FakeServer(models=["m1", "m2"]) as srv:
        reg = Registry([
            EndpointSpec("fake", srv.base_url),
            EndpointSpec("fixed", srv.base_url, models=["a", "b"]),
            EndpointSpec("down", f"http://127.0.0.1:{closed_port()}/v1", max_retries=0),
        ])
        models, errors = await reg.list_models()
        await reg.aclose()
        assert len(srv.requests) == 1  # "fixed" was not asked
    ids = [m.id for m in models]
    assert ids[:4] == ["fake/m1", "fake/m2", "fixed/a", "fixed/b"]
    assert "demo/swift" in ids and all(m.demo for m in models if m.endpoint == "demo")
    assert list(errors) == ["down"] and "cannot reach" in errors["down"]


async def test_registry_without_demo():
    models, errors = await Registry([], include_demo=False).list_models()
    assert models == [] and errors == {}
