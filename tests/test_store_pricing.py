"""Pricing: matching by id and by model name, overrides, demo and local, unknown never 0."""

from __future__ import annotations

import pytest

from tuiarena.store.pricing import (
    DEMO_SOURCE,
    SHIPPED_SOURCE,
    Price,
    PricingTable,
    model_name_key,
)


@pytest.mark.parametrize(
    "model_id, key",
    [
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
        ("openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openrouter/openai/GPT-4o-mini", "gpt-4o-mini"),
        ("anthropic/claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("mistral/mistral-large-2411", "mistral-large"),
        ("mistral/mistral-small-latest", "mistral-small"),
        ("google/gemini-1.5-pro-002", "gemini-1.5-pro"),
        ("openai/gpt-4.1", "gpt-4.1"),
        ("groq/llama-3.1-8b-instant", "llama-3.1-8b-instant"),
    ],
)
def test_model_name_key(model_id, key):
    assert model_name_key(model_id) == key


def test_shipped_prices_match_by_id_and_name():
    t = PricingTable()
    p = t.get("openai/gpt-4o-mini")
    assert (p.input_per_m, p.output_per_m, p.source) == (0.15, 0.60, SHIPPED_SOURCE)
    assert t.get("openrouter/openai/gpt-4o-mini-2024-07-18") == p
    assert t.get("azure/GPT-4o-Mini") == p
    assert t.get("openai/gpt-4o").input_per_m == 2.50  # not confused with gpt-4o-mini
    assert t.get("openai/gpt-4.1-nano").output_per_m == 0.40
    assert t.get("deepseek/deepseek-reasoner").output_per_m == 2.19
    assert t.get("groq/llama-3.3-70b-versatile").input_per_m == 0.59


def test_unknown_price_is_none_never_zero():
    t = PricingTable()
    assert t.get("openai/gpt-9-ultra") is None
    assert t.cost("openai/gpt-9-ultra", 100, 100) is None
    assert t.cost("openai/gpt-4o-mini", None, 10) is None
    assert t.cost("openai/gpt-4o-mini", 10, None) is None


def test_cost_arithmetic():
    t = PricingTable()
    assert t.cost("openai/gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert t.cost("openai/gpt-4o", 1000, 500) == pytest.approx((1000 * 2.5 + 500 * 10) / 1e6)


def test_config_overrides_win():
    over = {"openai/gpt-4o-mini": Price(1.0, 2.0, "config"), "my-model": Price(0.5, 0.5, "config")}
    t = PricingTable(over)
    assert t.get("openai/gpt-4o-mini") == Price(1.0, 2.0, "config")
    assert t.get("openrouter/openai/gpt-4o-mini") == Price(1.0, 2.0, "config")  # by name too
    assert t.get("custom/my-model") == Price(0.5, 0.5, "config")
    assert t.get("openai/gpt-4o").source == SHIPPED_SOURCE  # others unaffected


def test_exact_id_override_beats_name_override():
    over = {"gpt-4o-mini": Price(9, 9, "config"), "cheap/gpt-4o-mini": Price(0.01, 0.02, "config")}
    t = PricingTable(over)
    assert t.get("cheap/gpt-4o-mini").input_per_m == 0.01
    assert t.get("openai/gpt-4o-mini").input_per_m == 9


def test_demo_and_local():
    t = PricingTable(local_endpoints={"ollama"})
    demo = t.get("demo/swift")
    assert demo.source == DEMO_SOURCE and demo.input_per_m > 0
    assert t.get("demo/some-new-demo").source == DEMO_SOURCE
    local = t.get("ollama/gpt-4o-mini")  # a local server costs nothing whatever the name
    assert (local.input_per_m, local.output_per_m, local.source) == (0, 0, "local")
    assert t.cost("ollama/llama3.1:8b", 500, 500) == 0.0


def test_rows_lists_shipped_demo_and_overrides():
    rows = dict(PricingTable({"x/y": Price(1, 2, "config")}).rows())
    assert rows["gpt-4o-mini"].input_per_m == 0.15
    assert rows["demo/swift"].source == DEMO_SOURCE
    assert rows["x/y"].source == "config"
