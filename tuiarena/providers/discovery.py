"""Which endpoints exist: configured ones, well-known env keys, local servers on loopback.

Quick by construction: env keys are read without any request (each gets a small default model
list so a roster can be shown at once; ``Registry.list_models(refresh=True)`` asks the server),
and the loopback probes run concurrently under one short deadline.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

from tuiarena import secrets
from tuiarena.model import EndpointSpec


@dataclass(frozen=True, slots=True)
class KnownEndpoint:
    name: str
    base_url: str
    models: tuple[str, ...]


# env var -> the public OpenAI-compatible endpoint it unlocks (order = roster order)
KNOWN_ENV_ENDPOINTS: dict[str, KnownEndpoint] = {
    "OPENAI_API_KEY": KnownEndpoint(
        "openai", "https://api.openai.com/v1", ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "o4-mini")),
    "OPENROUTER_API_KEY": KnownEndpoint(
        "openrouter", "https://openrouter.ai/api/v1",
        ("openai/gpt-4o-mini", "anthropic/claude-3.5-haiku", "google/gemini-2.0-flash-001",
         "meta-llama/llama-3.3-70b-instruct", "deepseek/deepseek-chat")),
    "GROQ_API_KEY": KnownEndpoint(
        "groq", "https://api.groq.com/openai/v1",
        ("llama-3.1-8b-instant", "llama-3.3-70b-versatile", "openai/gpt-oss-20b")),
    "TOGETHER_API_KEY": KnownEndpoint(
        "together", "https://api.together.xyz/v1",
        ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
         "Qwen/Qwen2.5-72B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3")),
    "DEEPSEEK_API_KEY": KnownEndpoint("deepseek", "https://api.deepseek.com/v1", ("deepseek-chat", "deepseek-reasoner")),
    "MISTRAL_API_KEY": KnownEndpoint(
        "mistral", "https://api.mistral.ai/v1", ("mistral-small-latest", "mistral-large-latest", "ministral-8b-latest")),
    "FIREWORKS_API_KEY": KnownEndpoint(
        "fireworks", "https://api.fireworks.ai/inference/v1",
        ("accounts/fireworks/models/llama-v3p1-8b-instruct", "accounts/fireworks/models/llama-v3p3-70b-instruct")),
    "DEEPINFRA_API_KEY": KnownEndpoint(
        "deepinfra", "https://api.deepinfra.com/v1/openai",
        ("meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct")),
    "XAI_API_KEY": KnownEndpoint("xai", "https://api.x.ai/v1", ("grok-3-mini", "grok-3")),
    "GEMINI_API_KEY": KnownEndpoint(
        "gemini", "https://generativelanguage.googleapis.com/v1beta/openai",
        ("gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro")),
}

secrets.watch_env(*KNOWN_ENV_ENDPOINTS)  # their values are blanked wherever they appear

# name -> base URL of local OpenAI-compatible servers on their default ports
LOCAL_SERVERS: dict[str, str] = {
    "ollama": "http://127.0.0.1:11434/v1",
    "lmstudio": "http://127.0.0.1:1234/v1",
    "vllm": "http://127.0.0.1:8000/v1",
    "llamacpp": "http://127.0.0.1:8080/v1",
}


@dataclass(slots=True)
class Discovery:
    endpoints: list[EndpointSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


BASE_URL_ENVS = {"OPENAI_API_KEY": "OPENAI_BASE_URL"}  # key env -> the env that moves its endpoint (as the SDK reads it)


def env_endpoints(taken: set[str], notes: list[str]) -> list[EndpointSpec]:
    """One endpoint per well-known key found in the environment. ``OPENAI_BASE_URL`` moves the
    ``openai`` endpoint (a LiteLLM or vLLM server): its key then goes there and nowhere else, and
    its models are asked of that server. A loopback base URL needs no key."""
    from tuiarena.providers.openai_compat import is_local_url

    out = []
    for env, known in KNOWN_ENV_ENDPOINTS.items():
        url_env = BASE_URL_ENVS.get(env)
        moved = os.environ.get(url_env, "").strip().rstrip("/") if url_env else ""
        has_key = bool(os.environ.get(env, "").strip())
        if not has_key and not (moved and is_local_url(moved)):
            continue
        if known.name in taken:
            found = env if has_key else url_env
            notes.append(f"found {found}; endpoint '{known.name}' is configured, using the configured one")
            continue
        base_url = moved or known.base_url
        models = [] if moved else list(known.models)
        out.append(EndpointSpec(name=known.name, base_url=base_url, api_key_env=env if has_key else None,
                                models=models, source="env"))
        taken.add(known.name)
        where = f"{base_url}, from {url_env}" if moved else base_url
        notes.append(f"found {env if has_key else url_env}: endpoint '{known.name}' ({where})")
    return out


async def _probe(client: Any, name: str, base_url: str) -> tuple[str, str, list[str]] | None:
    try:
        r = await client.get(base_url.rstrip("/") + "/models")
        if r.status_code != 200:
            return None
        data = r.json().get("data")
    except Exception:  # refused, timeout, not JSON, not a dict: nobody useful there
        return None
    if not isinstance(data, list):
        return None
    models = [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]
    return identify(data, r.headers.get("server", "")) or name, base_url, models


# What a server says it is: /v1/models ``owned_by`` (llama.cpp "llamacpp", vLLM "vllm", Ollama
# "library", LM Studio "organization_owner"), else its Server header.
_OWNED_BY = {"llamacpp": "llamacpp", "llama.cpp": "llamacpp", "vllm": "vllm", "library": "ollama",
             "ollama": "ollama", "organization_owner": "lmstudio", "lmstudio": "lmstudio", "sglang": "sglang"}
_SERVER = (("llama.cpp", "llamacpp"), ("ollama", "ollama"), ("vllm", "vllm"), ("lm studio", "lmstudio"))


def identify(models: list[Any], server_header: str = "") -> str | None:
    """The kind of server behind a /v1/models answer, when it says; None when it does not."""
    for m in models:
        if isinstance(m, dict):
            kind = _OWNED_BY.get(str(m.get("owned_by", "")).strip().lower())
            if kind:
                return kind
    header = server_header.lower()
    for needle, kind in _SERVER:
        if needle in header:
            return kind
    return None


async def probe_servers(servers: dict[str, str], timeout: float) -> list[tuple[str, str, list[str]]]:
    """Ask each loopback server for its models, concurrently; give up on all of them at ``timeout``."""
    if not servers:
        return []
    import httpx

    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), trust_env=False) as client:
        tasks = [asyncio.ensure_future(_probe(client, n, u)) for n, u in servers.items()]
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return [r for t in tasks if t in done and not t.cancelled() and (r := t.result()) is not None]


def _port(url: str) -> str:
    from urllib.parse import urlparse

    return str(urlparse(url).port or "")


async def discover(config: Any = None, probe_local: bool = True, timeout: float = 0.35,
                   local_servers: dict[str, str] | None = None) -> Discovery:
    """Configured endpoints, then env keys, then local servers answering on loopback.

    ``local_servers`` (name -> base URL) replaces ``LOCAL_SERVERS`` (tests point it at a fake
    server). Probing is skipped when ``probe_local`` is false or ``TUIARENA_NO_PROBE=1``.
    """
    found = Discovery()
    configured = dict(getattr(config, "endpoints", None) or {})
    found.endpoints.extend(configured.values())
    taken = set(configured)
    found.endpoints.extend(env_endpoints(taken, found.notes))

    if probe_local and os.environ.get("TUIARENA_NO_PROBE", "").strip() not in ("1", "true", "yes"):
        known_urls = {e.base_url.rstrip("/") for e in found.endpoints}
        servers = {n: u for n, u in (LOCAL_SERVERS if local_servers is None else local_servers).items()
                   if n not in taken and u.rstrip("/") not in known_urls}
        for name, url, models in await probe_servers(servers, timeout):
            if name in taken:  # two servers of one kind (llama.cpp on 8000 and 8080): add the port
                name = f"{name}-{_port(url)}"
            taken.add(name)
            found.endpoints.append(EndpointSpec(name=name, base_url=url, models=models, source="local"))
            n = len(models)
            found.notes.append(f"{name} answering on {_port(url)} with {n} model{'' if n == 1 else 's'}")
    if not found.endpoints:
        found.notes.append("no endpoints configured or found: the offline demo models are available")
    return found
