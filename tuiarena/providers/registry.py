"""The endpoints of a session, by name, each with its provider created on first use."""

from __future__ import annotations

import asyncio
import dataclasses
import os

from tuiarena.fmt import visible
from tuiarena.model import EndpointSpec, ProviderError
from tuiarena.providers.base import ModelInfo, Provider
from tuiarena.secrets import redact

DEMO = "demo"


def demo_speed_from_env(default: float = 1.0) -> float:
    """``TUIARENA_DEMO_SPEED`` (a positive float) or ``default``."""
    raw = os.environ.get("TUIARENA_DEMO_SPEED", "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


class Registry:
    """Name -> EndpointSpec, and name -> Provider (lazy, cached).

    ``"demo"`` is always the offline DemoProvider (its models are listed only when
    ``include_demo``); a configured endpoint cannot take that name.
    """

    def __init__(self, endpoints: list[EndpointSpec], include_demo: bool = True,
                 demo_speed: float | None = None, demo_seed: int = 0):
        self.endpoints: dict[str, EndpointSpec] = {e.name: e for e in endpoints if e.name != DEMO}
        self.include_demo = include_demo
        self.demo_speed = demo_speed if demo_speed is not None else demo_speed_from_env()
        self.demo_seed = demo_seed
        self._providers: dict[str, Provider] = {}

    def names(self) -> list[str]:
        return list(self.endpoints) + ([DEMO] if self.include_demo else [])

    def get(self, name: str) -> Provider:
        provider = self._providers.get(name)
        if provider is not None:
            return provider
        if name == DEMO:
            from tuiarena.providers.demo import DemoProvider

            provider = DemoProvider(seed=self.demo_seed, speed=self.demo_speed)
        elif name in self.endpoints:
            from tuiarena.providers.openai_compat import OpenAICompatProvider

            provider = OpenAICompatProvider(self.endpoints[name])
            provider.warm()  # build the client now, so its one-off cost is not counted as latency
        else:
            known = ", ".join(self.names()) or "none"
            raise ProviderError("config", f"unknown endpoint '{name}': known: {known}")
        self._providers[name] = provider
        return provider

    async def _models_of(self, name: str, refresh: bool, timeout: float) -> list[ModelInfo]:
        spec = self.endpoints.get(name)
        if spec is not None and spec.models and not refresh:
            return [ModelInfo(name, m) for m in spec.models]
        try:
            return await asyncio.wait_for(self.get(name).list_models(), timeout)
        except (TimeoutError, ProviderError):
            if spec is not None and spec.models:  # a refresh failed: keep the configured list
                return [ModelInfo(name, m) for m in spec.models]
            raise

    async def list_models(self, refresh: bool = False, timeout: float = 10.0) -> tuple[list[ModelInfo], dict[str, str]]:
        """Every endpoint's models, listed concurrently; errors per endpoint as short strings.

        Endpoints with a ``models`` list are not asked unless ``refresh`` (then the list is the
        fallback when the server does not answer).
        """
        names = self.names()
        results = await asyncio.gather(*(self._models_of(n, refresh, timeout) for n in names), return_exceptions=True)
        models: list[ModelInfo] = []
        errors: dict[str, str] = {}
        for name, res in zip(names, results):
            if isinstance(res, ProviderError):
                errors[name] = visible(redact(res.message))  # a server may quote the key back
            elif isinstance(res, asyncio.TimeoutError):
                errors[name] = f"no answer within {timeout:g}s"
            elif isinstance(res, BaseException):
                if isinstance(res, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                    raise res
                errors[name] = f"{type(res).__name__}: {res}"
            else:  # a name from a server's /v1/models is shown everywhere: control characters as text
                models.extend(m if visible(m.model) == m.model else dataclasses.replace(m, model=visible(m.model))
                              for m in res)
        return models, errors

    async def aclose(self) -> None:
        providers, self._providers = list(self._providers.values()), {}
        await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
