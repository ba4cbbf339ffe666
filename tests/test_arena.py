"""Blind arena engine (pairing, sides, leaks, votes) and the ``tuiarena leaderboard`` command."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from tuiarena.cli import main
from tuiarena.engine.arena import (
    battle_counts,
    choose_pair,
    detect_identity_leak,
    invalid_reason,
    make_vote,
    pair_key,
    shuffle_sides,
    votes_from_events,
)
from tuiarena.model import ResponseDone, RunStarted, SessionHeader, VoteCast
from tuiarena.store.sessions import SessionWriter

MODELS = ["demo/swift", "demo/steady", "demo/thinker", "demo/terse"]


def resp(model: str, text: str = "An answer.", status: str = "done", error: str | None = None,
         reasoning: str = "") -> ResponseDone:
    return ResponseDone(run_id="r1", response_id=f"id-{model}", model=model, status=status,
                        text=text, error=error, reasoning=reasoning)


# -- pairing -------------------------------------------------------------------------------------


def test_choose_pair_favours_pairs_with_fewer_battles():
    rng = random.Random(1)
    counts = Counter({pair_key(a, b): 20 for i, a in enumerate(MODELS) for b in MODELS[i + 1:]})
    counts[pair_key("demo/swift", "demo/terse")] = 0
    picks = Counter(pair_key(*choose_pair(MODELS, counts, rng)) for _ in range(2000))
    assert picks.most_common(1)[0][0] == pair_key("demo/swift", "demo/terse")
    assert picks[pair_key("demo/swift", "demo/terse")] > 1500
    # with no history every pair comes up
    fresh = Counter(pair_key(*choose_pair(MODELS, {}, rng)) for _ in range(600))
    assert len(fresh) == 6 and min(fresh.values()) > 50


def test_choose_pair_fixed_and_errors():
    rng = random.Random(0)
    assert choose_pair(MODELS, {}, rng, fixed=["demo/terse", "demo/swift"]) == ("demo/terse", "demo/swift")
    for _ in range(20):
        a, b = choose_pair(MODELS, {}, rng, fixed=["demo/steady"])
        assert a == "demo/steady" and b in MODELS and b != a
    with pytest.raises(ValueError):
        choose_pair(["demo/swift"], {}, rng)
    with pytest.raises(ValueError):
        choose_pair(MODELS, {}, rng, fixed=["demo/swift", "demo/swift"])
    assert choose_pair(["demo/swift", "demo/swift", "demo/terse"], {}, rng) == ("demo/swift", "demo/terse")


def test_shuffle_sides_uses_both_orders_and_is_seeded():
    rng = random.Random(3)
    sides = Counter(shuffle_sides(("x/a", "x/b"), rng) for _ in range(400))
    assert set(sides) == {("x/a", "x/b"), ("x/b", "x/a")}
    assert 140 < sides[("x/a", "x/b")] < 260
    assert [shuffle_sides(("x/a", "x/b"), random.Random(9)) for _ in range(3)] == \
        [shuffle_sides(("x/a", "x/b"), random.Random(9))] * 3


def test_battle_counts():
    votes = [VoteCast(model_a="x/a", model_b="x/b"), VoteCast(model_a="x/b", model_b="x/a"),
             VoteCast(model_a="x/a", model_b="x/c")]
    assert battle_counts(votes) == {("x/a", "x/b"): 2, ("x/a", "x/c"): 1}


# -- identity leaks ------------------------------------------------------------------------------


@pytest.mark.parametrize("text,hit", [
    ("As ChatGPT, I can't browse.", "ChatGPT"),
    ("I am Claude, made by Anthropic.", "Claude"),
    ("i'm a LLAMA model", "LLAMA"),
    ("This answer was written by GPT-4.", "GPT-4"),
    ("Trained by OpenAI.", "OpenAI"),
    ("I'm Gemini, from Google DeepMind.", "Gemini"),
    ("Meta AI here.", "Meta AI"),
    ("Mistral and Qwen2.5 are both...", "Mistral"),
    ("DeepSeek-R1 thinks", "DeepSeek"),
    ("I am Grok.", "Grok"),
])
def test_detect_identity_leak_names(text, hit):
    assert detect_identity_leak(text) == hit


@pytest.mark.parametrize("text", [
    "The quick brown fox.", "Run it with ollama serve.", "She googled the answer.",
    "A metaphor about claudette colvin", "", "Capital of France is Paris.",
])
def test_detect_identity_leak_clean_text(text):
    assert detect_identity_leak(text) is None


def test_detect_identity_leak_extra_names():
    assert detect_identity_leak("I am my-finetune-7b.", ["my-finetune-7b"]) == "my-finetune-7b"
    assert detect_identity_leak("I am my-finetune-7bx.", ["my-finetune-7b"]) is None


# -- votes ---------------------------------------------------------------------------------------


def test_make_vote_records_sides_and_ids():
    v = make_vote("r1", "demo/swift", "demo/terse", resp("demo/swift"), resp("demo/terse"), "b", "Hi?")
    assert (v.model_a, v.model_b, v.outcome, v.prompt) == ("demo/swift", "demo/terse", "b", "Hi?")
    assert (v.response_a, v.response_b) == ("id-demo/swift", "id-demo/terse")
    assert not v.identity_leaked and not v.invalid
    rec = json.loads(json.dumps(v.to_record()))
    assert rec["type"] == "vote" and votes_from_events([rec]) == [v]


def test_make_vote_flags_leaks_from_either_side_and_reasoning():
    v = make_vote("r", "x/a", "x/b", resp("x/a"), resp("x/b", "As ChatGPT I think..."), "a", "p")
    assert v.identity_leaked and not v.invalid
    v = make_vote("r", "x/a", "x/b", resp("x/a", reasoning="I am Claude so"), resp("x/b"), "a", "p")
    assert v.identity_leaked
    v = make_vote("r", "local/qwen-tune-3b", "x/b", resp("local/qwen-tune-3b", "I'm qwen-tune-3b"),
                  resp("x/b"), "tie", "p")
    assert v.identity_leaked


@pytest.mark.parametrize("status,error", [("error", "HTTP 500"), ("cut", None),
                                          ("cancelled", None), ("done", "late error")])
def test_make_vote_invalid_when_a_response_failed(status, error):
    bad = resp("x/b", status=status, error=error)
    assert invalid_reason(bad)
    v = make_vote("r", "x/a", "x/b", resp("x/a"), bad, "a", "p")
    assert v.invalid and v.outcome == "a"  # recorded as cast, never rated
    assert invalid_reason(resp("x/a")) is None


def test_make_vote_rejects_unknown_outcome():
    with pytest.raises(ValueError):
        make_vote("r", "x/a", "x/b", resp("x/a"), resp("x/b"), "left", "p")


def test_votes_from_events_picks_votes_only():
    events = [RunStarted(run_id="r"), resp("x/a"), VoteCast(model_a="x/a", model_b="x/b", outcome="a"),
              {"type": "note", "text": "hi"}]
    assert [v.outcome for v in votes_from_events(events)] == ["a"]


# -- leaderboard command -------------------------------------------------------------------------


def write_votes(name: str, votes: list[VoteCast]) -> SessionWriter:
    with SessionWriter.create(kind="blind", name=name) as w:
        for v in votes:
            w.write(v)
    return w


def some_votes(n: int = 60, seed: int = 0) -> list[VoteCast]:
    rng = random.Random(seed)
    strength = {"demo/swift": 0.8, "demo/steady": 0.5, "demo/terse": 0.2}
    out = []
    for _ in range(n):
        a, b = rng.sample(list(strength), 2)
        p = strength[a] / (strength[a] + strength[b])
        out.append(VoteCast(model_a=a, model_b=b, outcome="a" if rng.random() < p else "b"))
    return out


def test_leaderboard_no_votes_is_friendly(capsys):
    assert main(["leaderboard"]) == 0
    out = capsys.readouterr().out
    assert "No blind votes" in out


def test_leaderboard_table_and_json(capsys):
    write_votes("one", some_votes(60, 1))
    write_votes("two", some_votes(60, 2) + [
        VoteCast(model_a="demo/terse", model_b="demo/swift", outcome="a", identity_leaked=True),
        VoteCast(model_a="demo/terse", model_b="demo/swift", outcome="a", invalid=True),
    ])
    assert main(["leaderboard"]) == 0
    out = capsys.readouterr().out
    assert "BT score" in out and "95% CI" in out and "Pairwise win rate" in out
    assert out.index("demo/swift") < out.index("demo/terse")
    assert "120 votes from 2 sessions" in out and "1 identity-leaked" in out

    assert main(["leaderboard", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["votes"] == 120 and data["sessions"] == 2
    assert [r["model"] for r in data["rows"]][0] == "demo/swift"
    assert set(data["rows"][0]) >= {"rank", "model", "score", "lower", "upper", "elo", "battles", "win_rate"}
    assert data["matrix"]["demo/swift"]["demo/terse"] > 0.5

    assert main(["leaderboard", "--json", "--include-leaked"]) == 0
    assert json.loads(capsys.readouterr().out)["votes"] == 121

    # same votes, same seed -> same table
    assert main(["leaderboard", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == data


def test_leaderboard_named_sessions_and_hand_written_file(tmp_path, capsys):
    write_votes("ignored", some_votes(30, 5))
    path = tmp_path / "manual.jsonl"
    lines = [json.dumps(SessionHeader(session_id="manual1", kind="blind").to_record())]
    lines += [json.dumps(v.to_record()) for v in some_votes(20, 7)]
    path.write_text("\n".join(lines) + "\n{\"type\":\"vote\",\"model_a\"")  # torn last line
    assert main(["leaderboard", "--json", "--session", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["votes"] == 20 and data["sessions"] == 1
    assert main(["leaderboard", "--session", "no-such-session"]) == 2
    assert "no session" in capsys.readouterr().err


def test_leaderboard_only_leaked_votes_message(capsys):
    write_votes("leaky", [VoteCast(model_a="x/a", model_b="x/b", outcome="a", identity_leaked=True)])
    assert main(["leaderboard"]) == 0
    out = capsys.readouterr().out
    assert "No blind votes" in out and "1 identity-leaked" in out
