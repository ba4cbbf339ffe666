"""DemoProvider: offline, deterministic, plausible, paced; flaky fails."""

from __future__ import annotations

import json

import pytest

from tuiarena.model import Params, ProviderError, StreamFinish, TextDelta, UsageInfo
from tuiarena.providers.base import Provider
from tuiarena.providers.demo import PROFILES, DemoProvider

MSGS = [{"role": "system", "content": "Be helpful."},
        {"role": "user", "content": "How do I speed up slow PostgreSQL queries? Also, what is 12 * 7?"}]
STABLE = [m for m in PROFILES if m != "flaky"]


async def run(p, model, messages=MSGS, params=None):
    return [ev async for ev in p.stream(model, messages, params or Params())]


def text(events, reasoning=False):
    return "".join(e.text for e in events if isinstance(e, TextDelta) and e.reasoning == reasoning)


async def test_list_models_labelled_demo():
    p = DemoProvider()
    assert isinstance(p, Provider) and p.name == "demo"
    models = await p.list_models()
    assert {m.model for m in models} == {"swift", "steady", "thinker", "verbose", "terse", "flaky"}
    assert all(m.demo and m.endpoint == "demo" and "offline demo (simulated)" in m.description for m in models)
    assert models[0].id == "demo/swift"


@pytest.mark.parametrize("model", STABLE)
async def test_deterministic_and_complete(model):
    a = await run(DemoProvider(seed=3, speed=1e6), model)
    b = await run(DemoProvider(seed=3, speed=1e6), model)
    assert text(a) == text(b) and text(a, True) == text(b, True) and text(a)
    fin = [e for e in a if isinstance(e, StreamFinish)]
    assert fin and fin[0].reason == "stop"
    usage = [e for e in a if isinstance(e, UsageInfo)]
    assert usage and usage[0].completion_tokens > 0 and usage[0].prompt_tokens == (11 + 64) // 4
    assert isinstance(a[-1], UsageInfo)
    ts = [e.t for e in a if isinstance(e, (TextDelta, StreamFinish))]
    assert ts == sorted(ts)


async def test_answers_relate_to_prompt():
    for model in STABLE:
        out = text(await run(DemoProvider(speed=1e6), model)).lower()
        assert "postgresql" in out or "queries" in out or "84" in out, model
    assert "84" in text(await run(DemoProvider(speed=1e6), "terse"))


async def test_seed_changes_some_text():
    texts = {text(await run(DemoProvider(seed=s, speed=1e6), "steady")) for s in range(6)}
    assert len(texts) > 1


async def test_thinker_streams_reasoning_first():
    events = await run(DemoProvider(speed=1e6), "thinker")
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert deltas[0].reasoning and not deltas[-1].reasoning
    first_answer = next(i for i, e in enumerate(deltas) if not e.reasoning)
    assert all(not e.reasoning for e in deltas[first_answer:])
    usage = [e for e in events if isinstance(e, UsageInfo)][0]
    assert usage.reasoning_tokens and usage.completion_tokens > usage.reasoning_tokens


async def test_verbose_has_code_and_table():
    out = text(await run(DemoProvider(speed=1e6), "verbose"))
    assert "```python" in out and "|---|" in out and out.startswith("## ")


@pytest.mark.parametrize("model", STABLE)
async def test_json_prompt_gives_valid_json(model):
    msgs = [{"role": "user", "content": 'Return JSON with "name", "age" and "is_pilot" for a fictional pilot.'}]
    obj = json.loads(text(await run(DemoProvider(speed=1e6), model, msgs)))
    assert set(obj) == {"name", "age", "is_pilot"}
    obj = json.loads(text(await run(DemoProvider(speed=1e6), model, MSGS, Params(response_format="json_object"))))
    assert isinstance(obj, dict)


async def test_max_tokens_finishes_with_length():
    events = await run(DemoProvider(speed=1e6), "verbose", params=Params(max_tokens=5))
    assert [e.reason for e in events if isinstance(e, StreamFinish)] == ["length"]
    assert [e for e in events if isinstance(e, UsageInfo)][0].completion_tokens == 5


async def test_flaky_fails_sometimes_deterministically():
    outcomes = []
    for seed in range(30):
        try:
            await run(DemoProvider(seed=seed, speed=1e6), "flaky")
            outcomes.append("ok")
        except ProviderError as e:
            outcomes.append(e.kind)
            if e.kind == "server":
                assert e.message == "demo/flaky: simulated 503"
    assert {"ok", "server", "cut"} <= set(outcomes)
    assert 5 <= outcomes.count("server") <= 15
    again = []
    for seed in range(30):
        try:
            await run(DemoProvider(seed=seed, speed=1e6), "flaky")
            again.append("ok")
        except ProviderError as e:
            again.append(e.kind)
    assert again == outcomes


async def test_unknown_model():
    with pytest.raises(ProviderError) as ei:
        await run(DemoProvider(), "nope")
    assert ei.value.kind == "not_found" and "swift" in ei.value.message


async def test_high_speed_coalesces_deltas():
    events = await run(DemoProvider(speed=1e6), "verbose")
    usage = [e for e in events if isinstance(e, UsageInfo)][0]
    assert len([e for e in events if isinstance(e, TextDelta)]) < usage.completion_tokens
