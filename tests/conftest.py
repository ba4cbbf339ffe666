"""Shared fixtures. Every test runs with TUIARENA_HOME in a fresh temporary directory and with
no provider keys in the environment, so nothing touches the developer's own config or the network."""

from __future__ import annotations

import pytest

PROVIDER_KEY_VARS = (
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "TOGETHER_API_KEY",
    "DEEPSEEK_API_KEY",
    "MISTRAL_API_KEY",
    "FIREWORKS_API_KEY",
    "DEEPINFRA_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "XAI_API_KEY",
)


@pytest.fixture(autouse=True)
def tuiarena_home(tmp_path, monkeypatch):
    home = tmp_path / "tuiarena-home"
    monkeypatch.setenv("TUIARENA_HOME", str(home))
    monkeypatch.setenv("TUIARENA_NO_PROBE", "1")  # no loopback discovery of real local servers
    for var in (*PROVIDER_KEY_VARS, "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return home
