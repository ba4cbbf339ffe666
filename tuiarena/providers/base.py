"""The one Provider protocol every endpoint implements, and the facts discovery reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import AsyncIterator, Protocol, runtime_checkable

from tuiarena.model import Message, Params, StreamEvent


@dataclass(slots=True)
class ModelInfo:
    """A model as listed by an endpoint (prices are filled in by ``store.pricing``)."""

    endpoint: str
    model: str
    demo: bool = False
    context_length: int | None = None
    description: str = ""

    @property
    def id(self) -> str:
        return f"{self.endpoint}/{self.model}"


@dataclass(slots=True)
class EndpointSpec:
    """An OpenAI-compatible endpoint: configured, found by an env key, or answering on loopback.

    ``api_key_env`` names the environment variable holding the key; the key itself is read from
    the environment when a request is made and is never stored in any object we serialise.
    """

    name: str
    base_url: str
    api_key_env: str | None = None
    models: list[str] = field(default_factory=list)  # empty = ask the server (GET /models)
    max_concurrency: int = 4
    source: str = "config"  # config | env | local | demo
    timeout_s: float = 120.0
    max_retries: int = 2
    extra_headers: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """Lists models and streams chat completions as plain events.

    ``stream`` yields ``TextDelta`` / ``UsageInfo`` / ``RetryNotice`` / ``StreamFinish`` and raises
    ``tuiarena.model.ProviderError`` on failure (including a stream that ends without a finish,
    kind "cut"). Cancellation is by cancelling the consuming task; the provider must release its
    connection when that happens.
    """

    name: str
    max_concurrency: int

    async def list_models(self) -> list[ModelInfo]: ...

    def stream(self, model: str, messages: list[Message], params: Params) -> AsyncIterator[StreamEvent]: ...

    async def aclose(self) -> None: ...
