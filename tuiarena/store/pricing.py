"""Prices in USD per 1M tokens, and the cost of a response.

Look-up order for a model id such as ``openrouter/openai/gpt-4o-mini-2024-07-18``:

1. an endpoint whose source is "local" (Ollama, LM Studio, ...): cost 0, source "local";
2. ``demo/*``: a fictional price, source "demo (fictional)";
3. a config override for the exact id, then a shipped entry for the exact id;
4. by model name: the part after the last "/", lower-cased, with date/version suffixes stripped
   (``gpt-4o-mini-2024-07-18`` -> ``gpt-4o-mini``) — config overrides first, then shipped.

An unknown price is ``None`` — never 0. Config overrides (``[pricing."openai/gpt-4o-mini"]`` with
``input`` / ``output``) always win over the shipped table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SHIPPED_SOURCE = "shipped (2026 list prices; override in config)"
DEMO_SOURCE = "demo (fictional)"
LOCAL_SOURCE = "local"


@dataclass(frozen=True, slots=True)
class Price:
    input_per_m: float  # USD per 1M prompt tokens
    output_per_m: float  # USD per 1M completion tokens
    source: str = SHIPPED_SOURCE

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_m + completion_tokens * self.output_per_m) / 1_000_000


# Keys are model names (matched after normalisation) or full ids when a price is host-specific.
_SHIPPED: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3.5-sonnet": (3.00, 15.00),  # OpenRouter spelling
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3.5-haiku": (0.80, 4.00),
    "llama-3.1-8b-instant": (0.05, 0.08),  # Groq
    "llama-3.3-70b-versatile": (0.59, 0.79),  # Groq
    "groq/llama-3.3-70b": (0.59, 0.79),
    "deepseek-chat": (0.27, 1.10),
    "deepseek-reasoner": (0.55, 2.19),
    "mistral-small": (0.20, 0.60),
    "mistral-large": (2.00, 6.00),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-1.5-pro": (1.25, 5.00),
}

# Fictional prices for the offline demo models, so cost columns have something to show.
_DEMO: dict[str, tuple[float, float]] = {
    "swift": (0.10, 0.40),
    "steady": (0.50, 1.50),
    "thinker": (1.00, 4.00),
    "verbose": (0.20, 0.80),
    "terse": (0.05, 0.20),
    "flaky": (0.30, 1.20),
}
_DEMO_DEFAULT = (0.25, 1.00)

# Trailing date / version tags: -2024-07-18, -20241022, -2411, -0613, -001, -latest, -v2
_SUFFIX = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-\d{3,4}|-latest|-v\d+(?:\.\d+)*)$")


def model_name_key(model_id: str) -> str:
    """``openrouter/openai/GPT-4o-mini-2024-07-18`` -> ``gpt-4o-mini``."""
    name = model_id.rsplit("/", 1)[-1].strip().lower()
    while True:
        stripped = _SUFFIX.sub("", name)
        if stripped == name or not stripped:
            return name
        name = stripped


class PricingTable:
    """The shipped table plus config overrides, demo and local rules."""

    def __init__(self, overrides: Mapping[str, Price] | None = None, local_endpoints: Iterable[str] = ()):
        self.local_endpoints = set(local_endpoints)
        self._over_id: dict[str, Price] = {}
        self._over_name: dict[str, Price] = {}
        for key, price in (overrides or {}).items():
            self._over_id[key.strip().lower()] = price
            self._over_name.setdefault(model_name_key(key), price)
        self._ship_id: dict[str, Price] = {}
        self._ship_name: dict[str, Price] = {}
        for key, (i, o) in _SHIPPED.items():
            price = Price(i, o, SHIPPED_SOURCE)
            (self._ship_id if "/" in key else self._ship_name)[key] = price
        self._cache: dict[str, Price | None] = {}

    def get(self, model_id: str) -> Price | None:
        try:
            return self._cache[model_id]
        except KeyError:
            price = self._cache[model_id] = self._lookup(model_id)
            return price

    def _lookup(self, model_id: str) -> Price | None:
        endpoint, _, model = model_id.partition("/")
        if endpoint in self.local_endpoints:
            return Price(0.0, 0.0, LOCAL_SOURCE)
        if endpoint == "demo" and model:
            return Price(*_DEMO.get(model, _DEMO_DEFAULT), DEMO_SOURCE)
        lowered = model_id.strip().lower()
        for table in (self._over_id, self._ship_id):
            if lowered in table:
                return table[lowered]
        if lowered.endswith(":free"):  # OpenRouter's free variants
            return Price(0.0, 0.0, "free variant (:free)")
        name = model_name_key(lowered)
        for table in (self._over_name, self._ship_name):
            if name in table:
                return table[name]
        return None

    def cost(self, model_id: str, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        """USD for one response; None when the price or the token counts are unknown."""
        if prompt_tokens is None or completion_tokens is None:
            return None
        price = self.get(model_id)
        if price is None:
            return None
        return price.cost(prompt_tokens, completion_tokens)

    def rows(self) -> list[tuple[str, Price]]:
        """The effective table for display: overrides, shipped entries and demo models, sorted."""
        out: dict[str, Price] = {}
        for key, price in {**self._ship_name, **self._ship_id}.items():
            out[key] = price
        for key, (i, o) in _DEMO.items():
            out[f"demo/{key}"] = Price(i, o, DEMO_SOURCE)
        for key, price in self._over_id.items():
            out[key] = price
        return sorted(out.items())
