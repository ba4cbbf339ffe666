"""Test doubles for suite and judge tests: a scripted provider whose answers are computed from the
model name, the messages and how many times it was called, behind a registry the Runner accepts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from tuiarena.engine.run.runner import Runner
from tuiarena.model import ProviderError, StreamFinish, TextDelta, UsageInfo

Reply = Callable[[str, list, int], "str | Exception"]  # (model, messages, call number) -> answer


class ScriptedProvider:
    def __init__(self, reply: Reply, name: str = "s", max_concurrency: int = 4) -> None:
        self.name = name
        self.max_concurrency = max_concurrency
        self.reply = reply
        self.calls: Counter = Counter()
        self.requests: list[tuple[str, list, object]] = []

    async def list_models(self):
        return []

    async def aclose(self) -> None:
        pass

    async def stream(self, model, messages, params):
        model = f"{self.name}/{model}"  # scripts see the full id, as the suite names it
        user = messages[-1]["content"]
        self.calls[(model, user)] += 1
        if self.requests is not None:
            self.requests.append((model, messages, params))
        answer = self.reply(model, messages, self.calls[(model, user)])
        if isinstance(answer, Exception):
            raise answer
        t = time.perf_counter()
        for i in range(0, len(answer), 8):
            yield TextDelta(answer[i : i + 8], time.perf_counter())
        yield StreamFinish("stop", t)
        yield UsageInfo(prompt_tokens=10, completion_tokens=max(1, len(answer) // 4))


class OneRegistry:
    def __init__(self, provider: ScriptedProvider) -> None:
        self.provider = provider
        self.endpoints = {provider.name: provider}

    def get(self, name):
        if name != self.provider.name:
            raise ProviderError("config", f"unknown endpoint {name!r}")
        return self.provider


class FlatPricing:
    """$1 per 1M prompt tokens, $2 per 1M completion tokens; ``s/unpriced`` has no price."""

    def cost(self, model, prompt_tokens, completion_tokens):
        if model.endswith("/unpriced"):
            return None
        return (prompt_tokens * 1.0 + (completion_tokens or 0) * 2.0) / 1e6


def make_runner(reply: Reply, events: list | None = None, **kw) -> tuple[Runner, ScriptedProvider]:
    provider = ScriptedProvider(reply, **kw)
    sinks = [events.append] if events is not None else []
    return Runner(OneRegistry(provider), FlatPricing(), sinks), provider


def server_error(msg: str = "boom") -> ProviderError:
    return ProviderError("server", msg, 500)
