"""Token counts for a response: the server's own where it gives them, else counted or estimated.

:func:`completion_count` picks, in order: ``usage`` (``server``), llama.cpp's ``timings``
(``server-timings``), one token per text chunk when the chunks are token-sized (``chunks``), and a
character estimate (``estimate``) that never exceeds ``max_tokens``. Anything but the first two is
flagged as estimated. The rule for ``chunks``: docs/decisions/0022-token-counts-without-usage.md.
"""

from __future__ import annotations

from tuiarena.model import Message

CHUNK_TOKEN_CHARS = 8.0  # mean characters per text chunk at or below which a chunk is taken as one token


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


def token_sized(chunks: int, chars: int, max_tokens: int | None = None) -> bool:
    """Do ``chunks`` text chunks carrying ``chars`` characters look like one token each?"""
    if chunks <= 0 or chars < chunks:
        return False
    if max_tokens is not None and chunks > max_tokens:
        return False  # more chunks than the model may produce tokens: not one token each
    return chars / chunks <= CHUNK_TOKEN_CHARS


def completion_count(
    server: int | None,
    server_timings: int | None,
    chunks: int,
    text: str,
    reasoning: str,
    max_tokens: int | None = None,
    streamed: bool = True,
    even: bool = False,
) -> tuple[int | None, str | None]:
    """``(completion tokens, source)``; ``(None, None)`` when nothing was produced or reported."""
    if server is not None:
        return server, "server"
    if server_timings is not None:
        return server_timings, "server-timings"
    chars = len(text) + len(reasoning)
    if not chars:
        return None, None
    if streamed and not even and token_sized(chunks, chars, max_tokens):
        return chunks, "chunks"
    n = estimate_tokens(reasoning) + estimate_tokens(text)
    if max_tokens is not None and max_tokens > 0:
        n = min(n, max_tokens)
    return n, "estimate"
