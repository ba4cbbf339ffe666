"""Reading answers: the JSON value an answer carries, and whether an answer is a refusal.

Shared by the checks (strict JSON: the whole answer or a fenced block) and the judge (lenient:
also a JSON object between a prefix and trailing prose).
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n(.*?)\r?\n?```", re.S)


def parse_json_answer(text: str, *, lenient: bool = False) -> tuple[bool, Any]:
    """Find the JSON value an answer carries: ``(True, value)`` or ``(False, None)``.

    Strict (checks): the whole answer, or the whole content of a fenced block (```json ... ```,
    or an untagged fence) that is the answer or sits inside it. Lenient (judge replies): also the
    first JSON object found after a prefix and followed by trailing prose.
    """
    stripped = text.strip()
    candidates = [stripped]
    for m in _FENCE.finditer(stripped):
        if m.group(1).lower() in ("", "json", "jsonc", "json5"):
            candidates.append(m.group(2).strip())
    for cand in candidates:
        if not cand:
            continue
        try:
            return True, json.loads(cand)
        except ValueError:
            pass
    if lenient:
        decoder = json.JSONDecoder()
        for source in candidates:
            for m in re.finditer(r"\{", source):
                try:
                    value, _end = decoder.raw_decode(source, m.start())
                except ValueError:
                    continue
                if isinstance(value, dict):
                    return True, value
    return False, None


# ---- refusal heuristic

REFUSAL_PHRASES = (
    "i can't help with",
    "i cannot help with",
    "i can't assist",
    "i cannot assist",
    "i can't provide",
    "i cannot provide",
    "i can't do that",
    "i cannot do that",
    "i can't comply",
    "i cannot comply",
    "i won't help",
    "i won't be able to help",
    "i will not help",
    "i'm not able to help",
    "i am not able to help",
    "i'm unable to help",
    "i am unable to help",
    "i'm unable to provide",
    "i am unable to provide",
    "i'm unable to assist",
    "i am unable to assist",
    "i must decline",
    "i have to decline",
    "i'm sorry, but i can't",
    "i'm sorry, but i cannot",
    "sorry, but i can't",
    "sorry, i can't",
    "i apologize, but i can't",
    "i apologize, but i cannot",
    "i'm not comfortable",
    "as an ai, i cannot",
    "as an ai language model, i cannot",
    "against my guidelines",
    "violates my guidelines",
    "not something i can help with",
)
REFUSAL_WINDOW = 400  # refusals come first; a phrase deep inside a long answer is quoting, not refusing
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


def detect_refusal(text: str, finish_reason: str | None = None) -> str | None:
    """The phrase (or reason) that marks ``text`` as a refusal, or None."""
    if finish_reason == "content_filter":
        return "finish reason content_filter"
    head = " ".join(text[:REFUSAL_WINDOW].translate(_APOSTROPHES).lower().split())
    for phrase in REFUSAL_PHRASES:
        if phrase in head:
            return f'"{phrase}"'
    return None
