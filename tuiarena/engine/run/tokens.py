"""Token estimates for when a server sends no ``usage``. Always flagged as estimated."""

from __future__ import annotations

from tuiarena.model import Message


def estimate_tokens(text: str) -> int:
    """About four characters per token for English text; 0 for empty text."""
    if not text:
        return 0
    return max(1, round(len(text) / 4))


def estimate_prompt_tokens(messages: list[Message]) -> int:
    """Content tokens plus ~4 tokens of chat framing per message (as OpenAI's format costs)."""
    total = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):  # content parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        total += estimate_tokens(content or "") + 4
    return total
