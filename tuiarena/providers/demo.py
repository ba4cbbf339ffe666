"""Offline, deterministic simulated models (``demo/...``): the embedded default and the test fixture.

Answers are built from templates around the prompt's topic words, streamed at model-specific
speeds with ``asyncio.sleep`` (sleeps are coalesced to >= 5 ms, so ``speed=1000`` is instant
without a sleep per token). The same seed, model, messages (and ``params.seed``) always give
the same text. Usage is reported as a server would: prompt tokens estimated from characters / 4,
completion tokens counted from the streamed pieces.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tuiarena.model import (
    Message,
    Params,
    ProviderError,
    StreamEvent,
    StreamFinish,
    TextDelta,
    UsageInfo,
)
from tuiarena.providers.base import ModelInfo
from tuiarena.providers.demo_canned import canned_answer
from tuiarena.providers.demo_tasks import (
    extraction_answer,
    json_answer,
    judge_reply,
    label_answer,
    pick,
    summary_answer,
)

MIN_SLEEP = 0.005


@dataclass(frozen=True, slots=True)
class DemoProfile:
    ttft: float  # seconds
    rate: float  # tokens per second
    style: str
    blurb: str


PROFILES: dict[str, DemoProfile] = {
    "swift": DemoProfile(0.12, 180.0, "short", "fast and short"),
    "steady": DemoProfile(0.40, 60.0, "medium", "steady pace, structured"),
    "thinker": DemoProfile(0.30, 55.0, "thinker", "reasons first, then answers"),
    "verbose": DemoProfile(0.25, 110.0, "long", "long markdown with code and a table"),
    "terse": DemoProfile(0.20, 90.0, "terse", "one or two sentences"),
    "flaky": DemoProfile(0.35, 80.0, "medium", "sometimes fails or cuts off"),
}

_STOP = set(
    """a an the and or but if then else of to in on at by for with from about into over under is are was
    were be been being do does did have has had this that these those it its as what which who whom whose
    why how when where can could should would will shall may might must please me my we our you your i
    give tell explain write make list show describe some any all more most less very just also than so
    not no yes there their them they he she his her using use each between vs versus like return json
    output format answer question reply respond only""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+#.\-]*[A-Za-z0-9+#]|[A-Za-z]")
_ARITH = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×])\s*(-?\d+(?:\.\d+)?)")
_PIECE = re.compile(r"\s*\S{1,6}|\s+")


def _topic(text: str) -> list[str]:
    seen: list[str] = []
    for w in _WORD.findall(text):
        lw = w.lower()
        if len(w) > 2 and lw not in _STOP and lw not in seen:
            seen.append(lw)
    return seen[:4]


def _arith(text: str) -> str | None:
    m = _ARITH.search(text)
    if not m:
        return None
    a, op, b = float(m.group(1)), m.group(2), float(m.group(3))
    if op in "x×*":
        v = a * b
    elif op == "/":
        if b == 0:
            return None
        v = a / b
    else:
        v = a + b if op == "+" else a - b
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


def compose(model: str, messages: list[Message], rng: random.Random, want_json: bool) -> tuple[str, str]:
    """(reasoning, answer) for a demo model; pure and deterministic for a given rng state."""
    prompt = ""
    for m in reversed(messages):
        if m.get("role") == "user":
            prompt = str(m.get("content") or "")
            break
    words = _topic(prompt)
    topic = " ".join(words[:3]) or "your question"
    first = words[0] if words else "this"
    style = PROFILES.get(model, PROFILES["steady"]).style
    calc = _arith(prompt)
    lead = f"The answer is {calc}. " if calc else ""
    reasoning = ""
    if style == "thinker":
        reasoning = (
            f"The user is asking about {topic}. Let me break this down. "
            f"First, what does {first} mean here? "
            + pick(rng, "There are a couple of readings; ", "The most likely reading is the practical one; ")
            + "I should cover the core idea, a trade-off, and one concrete example. "
            + (f"There is arithmetic: the result is {calc}. " if calc else "")
            + pick(rng, "Keep it short and check the claim before answering.",
                    "Make sure the answer is direct, then add one caveat.")
        )
    system_text = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    judged = judge_reply(system_text, prompt, rng, model)  # first: a judge prompt quotes the case's prompt
    if judged is not None:
        return reasoning, judged
    canned = canned_answer(model, prompt, rng)
    if canned is not None:
        return reasoning, canned
    special: str | None
    if want_json:
        special = extraction_answer(system_text, prompt, rng, model) or json_answer(prompt, words, rng)
    else:
        special = label_answer(system_text, prompt, rng, model) or summary_answer(prompt, rng, model)
    if special:
        return reasoning, special
    if style == "terse":
        return reasoning, lead + pick(
            rng,
            f"In short: {topic} comes down to a clear goal and a simple first step.",
            f"{topic.capitalize()} is best approached incrementally; start small and measure.",
            f"Briefly, {topic} depends on context, but the common answer is to keep it simple.",
        )
    opener = pick(rng, "Here is a quick overview", "Good question", "Short version", "Let's look at it")
    bullets = [
        f"- **{w.capitalize()}**: " + pick(rng, "the central idea to get right", "often misunderstood",
                                            "worth measuring before optimising", "depends on your constraints")
        for w in (words or ["scope", "trade-offs", "next steps"])[:3]
    ]
    if style == "short":
        about = f" of {topic}" if words else ""
        return reasoning, f"{lead}{opener}{about}:\n\n" + "\n".join(bullets) + "\n"
    if style == "thinker":
        return reasoning, (f"{lead}**{topic.capitalize()}**, in brief:\n\n" + "\n".join(bullets)
                           + "\n\nOne caveat: the details depend on your setup.\n")
    step_pool = [f"Define what {first} should achieve.", f"Try the simplest version of {first}.",
                 "Measure the result.", "Compare with an alternative.", "Write down what you learned."]
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(rng.sample(step_pool, 3), 1))
    text = f"## {topic.capitalize()}\n\n{lead}{opener}. " + pick(
        rng, f"{topic.capitalize()} is easier to reason about in small steps.",
        f"Most questions about {topic} have a practical answer.",
    ) + f"\n\n{steps}\n\n" + "\n".join(bullets) + "\n"
    if style == "long":
        ident = re.sub(r"\W+", "_", first).strip("_") or "topic"
        text += (
            f"\n### Example\n\n```python\ndef explain_{ident}(level: int = 1) -> str:\n"
            f"    \"\"\"A toy helper about {topic}.\"\"\"\n    return \"{first} \" * level\n\n"
            f"print(explain_{ident}(2))\n```\n\n"
            "### Comparison\n\n| Aspect | Simple approach | Careful approach |\n|---|---|---|\n"
            f"| Effort | low | higher |\n| Risk with {first} | moderate | low |\n| When | prototypes | production |\n\n"
            + pick(rng, "In summary, start simple and refine.", "Overall: measure first, then decide.")
            + "\n"
        )
    else:
        text += "\n" + pick(rng, "Hope this helps.", "That should get you started.") + "\n"
    return reasoning, text


def _pieces(text: str) -> list[str]:
    return _PIECE.findall(text)


class DemoProvider:
    name = "demo"

    def __init__(self, seed: int = 0, speed: float = 1.0, max_concurrency: int = 16):
        self.seed = seed
        self.speed = max(float(speed), 1e-6)
        self.max_concurrency = max_concurrency

    async def list_models(self) -> list[ModelInfo]:
        return [
            ModelInfo("demo", m, demo=True, context_length=8192, description=f"offline demo (simulated): {p.blurb}")
            for m, p in PROFILES.items()
        ]

    async def aclose(self) -> None:
        return None

    def _rng(self, model: str, messages: list[Message], params: Params) -> random.Random:
        key = json.dumps([self.seed, params.seed, model, messages], sort_keys=True, default=str)
        return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))

    def _draft(self, model: str, messages: list[Message], params: Params) -> tuple[random.Random, int, str, str]:
        """(rng, flaky's fate, reasoning, answer): everything stream() sends, decided before it waits."""
        rng = self._rng(model, messages, params)
        fate = rng.randrange(6) if model == "flaky" else 5
        last_user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        want_json = params.response_format != "text" or "json" in (last_user + " " + system).lower()
        return (rng, fate, *compose(model, messages, rng, want_json))

    def answer(self, model: str, messages: list[Message], params: Params) -> str:
        """The answer text stream() sends (cut at ``max_tokens`` as it is), without waiting; flaky's
        simulated failures aside. For tests and tools that need the text, not the timing."""
        _, _, _, answer = self._draft(model, messages, params)
        pieces = _pieces(answer)
        return "".join(pieces[: params.max_tokens]) if params.max_tokens is not None else answer

    async def stream(self, model: str, messages: list[Message], params: Params) -> AsyncIterator[StreamEvent]:
        if model not in PROFILES:
            raise ProviderError("not_found", f"demo has no model '{model}': try {', '.join(PROFILES)}", 404)
        prof = PROFILES[model]
        rng, fate, reasoning, answer = self._draft(model, messages, params)
        r_pieces, a_pieces = _pieces(reasoning), _pieces(answer)
        finish = "stop"
        if params.max_tokens is not None and len(a_pieces) > params.max_tokens:
            a_pieces, finish = a_pieces[: max(params.max_tokens, 0)], "length"
        cut_at = len(a_pieces) // 2 if fate == 2 else None
        ttft = prof.ttft * rng.uniform(0.85, 1.15) / self.speed
        step = 1.0 / (prof.rate * self.speed)
        start = time.perf_counter()
        await asyncio.sleep(max(ttft, 0.0))
        if fate in (0, 1):
            raise ProviderError("server", "demo/flaky: simulated 503", 503)
        schedule = [(p, True) for p in r_pieces] + [(p, False) for p in a_pieces]
        if cut_at is not None:
            schedule = schedule[: len(r_pieces) + cut_at]
        i = 0
        n = len(schedule)
        while i < n:
            due = start + ttft + i * step
            delay = due - time.perf_counter()
            if delay >= MIN_SLEEP:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            # everything due by now goes out in one delta per kind
            j = i + 1
            while j < n and start + ttft + j * step <= now and schedule[j][1] == schedule[i][1]:
                j += 1
            yield TextDelta("".join(p for p, _ in schedule[i:j]), now, schedule[i][1])
            i = j
        if cut_at is not None:
            raise ProviderError("cut", "demo/flaky: simulated cut (stream ended without a finish)")
        t = time.perf_counter()
        yield StreamFinish(finish, t)
        prompt_chars = sum(len(str(m.get("content") or "")) for m in messages)
        yield UsageInfo(
            prompt_tokens=max(1, prompt_chars // 4),
            completion_tokens=len(r_pieces) + len(a_pieces),
            reasoning_tokens=len(r_pieces) or None,
        )
