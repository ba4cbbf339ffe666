"""Canned answers of the demo models for the shipped suites' prompts (``demo_answers.toml``).

A demo model cannot write a Dijkstra or answer in Japanese, so for prompts it recognises (a
distinctive phrase of the prompt, ``when``) it answers with a prepared text that a good model would
give. To show the differences a suite is for, each model slips on some of them, as often as its
``SLIP_RATE`` says: it gives the entry's ``slip`` (a realistic failure: a leaked secret, an answer
in English, an over-refusal), drops the type hints of the code, or, for a summary, falls back to
the generic extractive summariser (too long, facts lost). ``verbose`` wraps every answer in
chatter, which breaks length limits, as chatty models do. Deterministic for a given rng state.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SLIP_RATE = {"thinker": 0.04, "steady": 0.12, "terse": 0.2, "verbose": 0.15, "flaky": 0.2, "swift": 0.4}

_TYPED_DEF = re.compile(r"^(\s*(?:async\s+)?def \w+\()(.*)\)\s*->\s*[^:]+:", re.M)
_ANNOTATION = re.compile(r"(\w+)\s*:\s*[^,=]+?(?=\s*(?:,|=|$))")


@dataclass(frozen=True, slots=True)
class Canned:
    when: str  # lower-cased phrase of the prompt
    text: str
    slip: str | None
    kind: str  # "summary" falls back to the generic answer when the model slips; else "reply"


@cache
def entries() -> tuple[Canned, ...]:
    data = tomllib.loads((Path(__file__).with_name("demo_answers.toml")).read_text(encoding="utf-8"))
    return tuple(Canned(a["when"].lower(), a["text"].strip() + "\n", a.get("slip"), a.get("kind", "reply"))
                 for a in data["answer"])


def _untyped(code: str) -> str:
    """The same code with the annotations of its ``def`` lines dropped: a hurried model's version."""
    def strip(m: re.Match[str]) -> str:
        params = ", ".join(_ANNOTATION.sub(r"\1", p.strip()) for p in m.group(2).split(",") if p.strip())
        return f"{m.group(1)}{params}):"
    return _TYPED_DEF.sub(strip, code)


def canned_answer(model: str, prompt: str, rng: random.Random) -> str | None:
    """The prepared answer for a recognised prompt as ``model`` gives it, or None to answer generically."""
    low = prompt.lower()
    entry = next((e for e in entries() if e.when in low), None)
    if entry is None:
        return None
    text = entry.text
    if rng.random() < SLIP_RATE.get(model, 0.15):
        if entry.slip is not None:
            text = entry.slip.strip() + "\n"
        elif entry.kind == "summary":
            return None
        elif _TYPED_DEF.search(text):
            text = _untyped(text)
    if model == "verbose" and entry.kind == "summary":
        text = "Here is a short summary of the text: " + text
    elif model == "verbose":
        text = ("Certainly! Here is a careful answer to your request, with a little context first.\n\n" + text
                + "\nI hope this helps! Let me know if you would like more detail, alternatives, or a walkthrough "
                "of the reasoning behind each step.\n")
    return text
