"""Names for what is compared and how: model refs, endpoints, sampling parameters, ids and clocks.

Stdlib only; importers use ``tuiarena.model``, which re-exports everything here.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

Message = dict[str, Any]  # {"role": "system"|"user"|"assistant", "content": str}


def new_id(prefix: str = "") -> str:
    """A short unique id; sortable prefixes are not needed, uniqueness is."""
    return prefix + uuid.uuid4().hex[:12]


def now_wall() -> float:
    """Wall-clock time (epoch seconds) for records; never used for measuring durations."""
    return time.time()


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model on an endpoint, written ``endpoint/model`` (``openai/gpt-4o-mini``, ``demo/swift``).

    The model part may itself contain slashes (``openrouter/meta-llama/llama-3.1-8b``): only the
    first slash separates the endpoint.
    """

    endpoint: str
    model: str

    @property
    def id(self) -> str:
        return f"{self.endpoint}/{self.model}"

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        endpoint, sep, model = text.strip().partition("/")
        if not sep or not endpoint or not model:
            raise ValueError(f"model {text!r} is not of the form endpoint/model (e.g. demo/swift)")
        return cls(endpoint, model)

    @property
    def is_demo(self) -> bool:
        return self.endpoint == "demo"

    def __str__(self) -> str:
        return self.id


ResponseFormat = Literal["text", "json_object", "json_schema"]


@dataclass(slots=True)
class Params:
    """Sampling parameters sent with a request; ``None`` means "server default"."""

    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    top_p: float | None = None
    response_format: ResponseFormat = "text"
    json_schema: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Params:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in names})


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
    timeout_s: float = 60.0  # silence: no byte for this long (see providers.limits)
    max_retries: int = 2
    connect_timeout_s: float = 10.0
    deadline_s: float = 300.0  # the whole response, retries included
    extra_headers: dict[str, str] = field(default_factory=dict)
