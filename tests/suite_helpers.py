"""Test doubles for suite and judge tests: a scripted provider whose answers are computed from the
model name, the messages and how many times it was called, behind a registry the Runner accepts;
and a finished suite session written by hand (:func:`suite_session`) for the suite screen's pictures."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.replay_helpers import done, run, write_session
from tuiarena.engine.run.runner import Runner
from tuiarena.model import ProviderError, ScoreGiven, SessionHeader, StreamFinish, TextDelta, UsageInfo

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


# ------------------------------------------------------------------ a saved suite session, by hand

SUITE_MODELS = ["demo/swift", "demo/steady", "demo/terse"]
SUITE_CASES = [  # id, category, prompt, system
    ("capital", "facts", "What is the capital of France?", None),
    ("greet", "chat", "Say hello.", "Be brief."),
    ("json", "extraction", "Extract the name from: I'm Ann. Answer in JSON.", None),
    ("sum", "math", "What is 17 + 25?", None),
]
_ANSWERS = {  # (case, model) -> text, or (status, error) for a failed answer
    ("capital", "demo/swift"): "Paris is the capital of France.",
    ("capital", "demo/steady"): "The capital of France is **Paris**, on the Seine.",
    ("capital", "demo/terse"): "Paris.",
    ("greet", "demo/swift"): "Hello! How can I help you today?",
    ("greet", "demo/steady"): "Hello there.",
    ("greet", "demo/terse"): "Hi.",
    ("json", "demo/swift"): '{"name": "Ann"}',
    ("json", "demo/steady"): 'Sure: {"name": "Ann"}',
    ("json", "demo/terse"): ("error", "429 Too Many Requests"),
    ("sum", "demo/swift"): "17 + 25 = 42",
    ("sum", "demo/steady"): "The sum is 42.",
    ("sum", "demo/terse"): "41",
}
_CHECKS = {  # case -> (name, type, how the answer passes)
    "capital": [("contains", "contains", lambda t: "Paris" in t)],
    "greet": [("min-length", "min-length", lambda t: len(t) >= 3)],
    "json": [("json-fields", "json-fields", lambda t: t.startswith("{"))],
    "sum": [("contains", "contains", lambda t: "42" in t)],
}


def suite_session(home: Path | str) -> Path:
    """A finished suite session written by hand (fixed answers, timings, costs and times; no suite
    file named, so the cases come from the runs): 4 cases x 3 models, one failing check per kind of
    failure (a wrong answer, a JSON answer with text around it) and one error. Requirements: a 70%
    pass rate and a p95 latency under 1.5 s, which one model meets."""

    events: list = []
    for n, (cid, _cat, prompt, system) in enumerate(SUITE_CASES):
        r = run(f"r-{cid}", SUITE_MODELS, prompt, case_id=cid, system=system, label="tiny", repeat=0)
        events.append(r)
        for k, model in enumerate(SUITE_MODELS):
            answer = _ANSWERS[(cid, model)]
            timing = dict(ttft=80.0 + 120 * k + 10 * n, step=40.0 + 150 * k)
            if isinstance(answer, tuple):
                events.append(done(r, model, "", status=answer[0], error_kind="rate_limit", error=answer[1],
                                   finish_reason=None, completion_tokens=None, cost_usd=None, timeline=False,
                                   total_ms=300.0))
                continue
            d = done(r, model, answer, cost_usd=0.0004 / (k + 1), **timing)
            checks = [{"name": name, "type": kind, "passed": ok(answer), "score": float(ok(answer)),
                       "reason": "found it" if ok(answer) else "not in the answer", "weight": 1}
                      for name, kind, ok in _CHECKS[cid]]
            passed = all(c["passed"] for c in checks)
            events.append(d)
            events.append(ScoreGiven(response_id=d.response_id, run_id=r.run_id, scorer="checks", passed=passed,
                                     score=sum(c["score"] for c in checks) / len(checks),
                                     reason="all checks pass" if passed else "a check failed",
                                     detail={"case_id": cid, "repeat": 0, "checks": checks}, t_wall=1_700_300_002.0))
    meta = {"suite": "tiny", "models": SUITE_MODELS, "repeat": 1, "judge": None,
            "requirements": {"min_pass_rate": 0.7, "max_p95_latency_ms": 1500, "requests_per_month": 1000},
            "cases": len(SUITE_CASES), "case_info": {c[0]: [c[1], 1.0] for c in SUITE_CASES}, "warnings": []}
    header = SessionHeader(session_id="suite1", name="suite tiny", kind="suite", created=1_700_300_000.0, meta=meta)
    return write_session(Path(home) / "sessions" / "20231118-100000-suite1.jsonl", events, header)
