"""The one Provider protocol every endpoint implements, and the facts discovery reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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
