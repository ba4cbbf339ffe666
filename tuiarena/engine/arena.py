"""Blind A/B battles without a UI: pick a pair, shuffle sides, spot identity leaks, record votes.

The blind screen (``tuiarena.ui.screens.blind``) and tests drive these; nothing here imports
textual or rich.

Invalid battles: when either response did not finish normally (status other than ``"done"`` -
an error, a cut stream, a cancel - or it carries an error), the vote is still recorded as cast
(the user's outcome is kept, so the log says what happened) but with ``invalid=True``; ratings
always skip invalid votes (``tuiarena.scoring.ratings.usable_votes``). So such a battle can never
count as a normal win, and nothing is lost from the log.

Identity leaks: a battle whose answer (or reasoning) on either side names a model or vendor
("As ChatGPT", "I am Claude", "Llama") gets ``identity_leaked=True``; ratings leave it out unless
asked to include leaked votes.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tuiarena.model import ModelRef, ResponseDone, ScoreGiven, VoteCast, from_record
from tuiarena.store.vote_lines import VoteReader

OUTCOMES = ("a", "b", "tie", "both_bad")
OUTCOME_LABELS = {"a": "A is better", "b": "B is better", "tie": "tie", "both_bad": "both bad"}

Pair = tuple[str, str]


def pair_key(a: str, b: str) -> Pair:
    """The unordered pair as a sorted tuple (the key of ``battle_counts``)."""
    return (a, b) if a <= b else (b, a)


def battle_counts(votes: Iterable[Any]) -> Counter[Pair]:
    """Battles so far per unordered pair, from ``VoteCast`` events / votes (all of them count)."""
    return Counter(pair_key(v.model_a, v.model_b) for v in votes if v.model_a and v.model_b)


def choose_pair(
    models: Sequence[str],
    battle_counts: Mapping[Pair, int] | None,
    rng: random.Random,
    fixed: Sequence[str] | None = None,
) -> Pair:
    """Pick two different models, favouring pairs with fewer battles so far.

    Each candidate pair is drawn with weight ``1 / (1 + battles)**2`` (random, so the history does
    not give the pair away, but strongly balanced). ``fixed``: two models = that pair, exactly;
    one model = a pair containing it. The pair is returned in roster order; use
    ``shuffle_sides`` for left/right. Raises ValueError when no pair can be formed.
    """
    roster = list(dict.fromkeys(m for m in models if m))
    counts = battle_counts or {}
    fixed = [m for m in (fixed or ()) if m]
    if len(fixed) >= 2:
        a, b = fixed[0], fixed[1]
        if a == b:
            raise ValueError(f"a battle needs two different models (got {a} twice)")
        return a, b
    if fixed:
        anchor = fixed[0]
        candidates = [(anchor, m) for m in roster if m != anchor]
    else:
        candidates = [(roster[i], roster[j]) for i in range(len(roster)) for j in range(i + 1, len(roster))]
    if not candidates:
        raise ValueError("a blind battle needs at least two models: select two or more")
    weights = [1.0 / (1 + counts.get(pair_key(a, b), 0)) ** 2 for a, b in candidates]
    return rng.choices(candidates, weights=weights)[0]


def shuffle_sides(pair: Sequence[str], rng: random.Random) -> Pair:
    """(left, right) in random order: which side is A must not depend on the roster."""
    a, b = pair[0], pair[1]
    return (b, a) if rng.random() < 0.5 else (a, b)


# ----------------------------------------------------------------------------------------------
# Identity leaks
# ----------------------------------------------------------------------------------------------

_READER = VoteReader()  # what each session file held when last read (see collect_arena)
_V = r"(?:[-\s]?\d(?:[\w.]*\w)?)?"  # an optional version: "-4o", " 3.1", "2.5"
_NAMES = [
    r"Chat\s?GPT",
    r"GPT" + _V,
    r"Open\s?AI",
    r"Claude",
    r"Anthropic",
    r"Llama" + _V,
    r"Meta\s+AI",
    r"Gemini",
    r"Gemma" + _V,
    r"Google",
    r"DeepMind",
    r"Mistral",
    r"Mixtral",
    r"Deep\s?Seek",
    r"Qwen" + _V,
    r"Tongyi",
    r"Grok",
    r"xAI",
    r"Phi-\d(?:[\w.]*\w)?",
    r"Cohere",
    r"Command[\s-]R\+?",
    r"Moonshot\s+AI",
    r"Zhipu",
    r"GLM-\d(?:[\w.]*\w)?",
    r"Nemotron",
]
_LEAK = re.compile(r"(?<![\w-])(?:" + "|".join(_NAMES) + r")(?![\w])", re.IGNORECASE)


def _own_names(models: Iterable[str]) -> list[str]:
    """Distinctive names of the battling models themselves (e.g. ``my-finetune-7b``).

    Only names that look like model names (4+ chars with a digit, dash, dot or underscore) are
    used, so a server whose model is called "default" doesn't flag every answer saying "default".
    Demo models are skipped (their names are ordinary words).
    """
    out = []
    for mid in models:
        try:
            ref = ModelRef.parse(mid)
        except ValueError:
            continue
        if ref.is_demo:
            continue
        name = ref.model.rsplit("/", 1)[-1].split(":", 1)[0]
        if len(name) >= 4 and re.search(r"[\d._-]", name):
            out.append(name)
    return out


def detect_identity_leak(text: str, extra_names: Iterable[str] = ()) -> str | None:
    """The first model or vendor name found in ``text`` (as written there), or None.

    Whole words only, any case: "As ChatGPT", "I am Claude", "Llama 3", "made by OpenAI".
    ``extra_names`` are matched the same way (the battling models' own names).
    """
    if not text:
        return None
    m = _LEAK.search(text)
    if m:
        return m.group(0)
    for name in extra_names:
        hit = re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w])", text, re.IGNORECASE)
        if hit:
            return hit.group(0)
    return None


def battle_leak(responses: Iterable[ResponseDone | None], models: Iterable[str] = ()) -> str | None:
    """A leak in any response's answer or reasoning (see ``detect_identity_leak``)."""
    extra = _own_names(models)
    for resp in responses:
        if resp is None:
            continue
        for text in (resp.text, resp.reasoning):
            hit = detect_identity_leak(text, extra)
            if hit:
                return hit
    return None


def invalid_reason(resp: ResponseDone | None) -> str | None:
    """Why this response cannot take part in a normal vote, or None when it finished fine."""
    if resp is None:
        return "no response"
    if resp.status != "done":
        detail = f": {resp.error}" if resp.error else ""
        return f"{resp.status}{detail}"
    if resp.error:
        return f"error: {resp.error}"
    return None


def make_vote(
    run_id: str,
    left_model: str,
    right_model: str,
    left_resp: ResponseDone | None,
    right_resp: ResponseDone | None,
    outcome: str,
    prompt: str,
    voter: str = "",
) -> VoteCast:
    """The ``VoteCast`` event for a battle: A = left, B = right.

    ``identity_leaked`` when either side's text names a model or vendor; ``invalid`` when either
    response did not finish normally (see the module doc: the outcome is kept, ratings skip it).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown vote outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    leaked = battle_leak((left_resp, right_resp), (left_model, right_model)) is not None
    invalid = invalid_reason(left_resp) is not None or invalid_reason(right_resp) is not None
    return VoteCast(
        run_id=run_id,
        model_a=left_model,
        model_b=right_model,
        response_a=left_resp.response_id if left_resp else "",
        response_b=right_resp.response_id if right_resp else "",
        outcome=outcome,
        identity_leaked=leaked,
        invalid=invalid,
        prompt=prompt,
        voter=voter,
    )


def votes_from_events(events: Iterable[Any]) -> list[VoteCast]:
    """The votes in a stream of session events (``VoteCast`` objects or stored ``vote`` records)."""
    out: list[VoteCast] = []
    for ev in events:
        if isinstance(ev, VoteCast):
            out.append(ev)
        elif isinstance(ev, dict) and ev.get("type") == VoteCast.type:
            vote = from_record(ev)
            if isinstance(vote, VoteCast):
                out.append(vote)
    return out


def collect_votes(session_refs: list[str]) -> tuple[list[VoteCast], int, list[str]]:
    """(votes, sessions read, warnings). Named sessions that can't be read raise SessionFileError."""
    votes, _scores, read, warnings = collect_arena(session_refs)
    return votes, read, warnings


def collect_arena(session_refs: list[str]) -> tuple[list[VoteCast], list[ScoreGiven], int, list[str]]:
    """(votes, pairwise judge scores, sessions read, warnings) from the named sessions, or from every
    saved session holding votes (one file per ``tuiarena serve`` connection: they are merged here).
    Named sessions that can't be read raise SessionFileError. Files are read through one process-wide
    ``VoteReader``: vote and judge lines only, and a file read before only where it grew."""
    from tuiarena.errors import SessionFileError
    from tuiarena.store.sessions import list_sessions, resolve_session

    warnings: list[str] = []
    votes: list[VoteCast] = []
    scores: list[ScoreGiven] = []
    if session_refs:
        paths = list(dict.fromkeys(resolve_session(ref) for ref in session_refs))
        for path in paths:
            got_votes, got_scores = _READER.read(path)
            votes += got_votes
            scores += got_scores
        return votes, scores, len(paths), warnings
    read = 0
    summaries = list_sessions()
    _READER.forget_others({str(s.path) for s in summaries})
    for summary in summaries:
        if not summary.votes:
            continue
        try:
            got_votes, got_scores = _READER.read(summary.path)
        except SessionFileError as exc:
            warnings.append(str(exc))
            continue
        read += 1
        votes += got_votes
        scores += got_scores
    return votes, scores, read, warnings
