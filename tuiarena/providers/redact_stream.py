"""Secrets blanked in a server's stream even when a key arrives split across pieces.

The runner blanks every known secret in each piece of text as it arrives; a key cut in two by
the stream's chunking (``"Your key is sk-ab"`` then ``"cd1234..."``) would pass that check piece by
piece and reach the screen whole. :class:`RollingRedactor` holds back the end of what has arrived
when it could be the start of a secret, until the next piece shows whether it is; what it lets out
never contains a secret nor the start of one it could not yet judge. :func:`redacted_stream` applies
it to a provider's stream, the answer and the reasoning apart. A piece let out late keeps the
arrival time of its first character (the time to first token stays the time the server sent it).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

from tuiarena.model import ProviderError, StreamEvent, TextDelta
from tuiarena.secrets import MASK


class RollingRedactor:
    """Blanks ``values`` (longest first) in text fed in pieces; :meth:`flush` at the end."""

    def __init__(self, values: list[str]) -> None:
        self.values = [v for v in values if v]
        self.held = ""

    def feed(self, text: str) -> str:
        """What of ``self.held + text`` is safe to show now, secrets blanked; the rest is held."""
        buf = self.held + text
        for value in self.values:
            if value in buf:
                buf = buf.replace(value, MASK)
        keep = self._open_prefix(buf)
        self.held = buf[len(buf) - keep :] if keep else ""
        return buf[: len(buf) - keep]

    def flush(self) -> str:
        """What is held (the stream ended: it was not a secret after all)."""
        out, self.held = self.held, ""
        return out

    def _open_prefix(self, buf: str) -> int:
        """The length of the longest end of ``buf`` that is a proper start of a secret."""
        best = 0
        for value in self.values:
            i = buf.find(value[0], max(0, len(buf) - len(value) + 1))
            while i != -1 and len(buf) - i > best:
                if value.startswith(buf[i:]):
                    best = len(buf) - i
                    break
                i = buf.find(value[0], i + 1)
        return best


async def redacted_stream(events: AsyncGenerator[StreamEvent, None], values: list[str]) -> AsyncIterator[StreamEvent]:
    """``events`` with every secret in ``values`` blanked across pieces (see the module's docstring).
    Closing this stream closes ``events`` (the provider's response) at once."""
    async with contextlib.aclosing(events):
        channels = {False: _Channel(values), True: _Channel(values)}  # answer, reasoning
        try:
            async for ev in events:
                if type(ev) is TextDelta:
                    if not ev.text:  # (nothing to hold: passed on as it came)
                        yield ev
                        continue
                    out = channels[ev.reasoning].feed(ev)
                    if out is not None:
                        yield out
                    continue
                for ch in channels.values():  # the text is over (a finish, usage, the end): let out what is held
                    held = ch.flush()
                    if held is not None:
                        yield held
                yield ev
        except ProviderError:
            for ch in channels.values():  # a cut stream keeps its text, as without this layer
                held = ch.flush()
                if held is not None:
                    yield held
            raise


class _Channel:
    """One text channel's redactor, with the arrival time and chunk count of what it holds."""

    __slots__ = ("redactor", "t", "chunks", "reasoning")

    def __init__(self, values: list[str]) -> None:
        self.redactor = RollingRedactor(values)
        self.t: float | None = None  # arrival of the first character held
        self.chunks = 0
        self.reasoning = False

    def feed(self, ev: TextDelta) -> TextDelta | None:
        t = ev.t if self.t is None else self.t
        chunks = self.chunks + ev.chunks
        self.reasoning = ev.reasoning
        text = self.redactor.feed(ev.text)
        if not text:
            self.t, self.chunks = t, chunks
            return None
        held = self.redactor.held
        self.t = None if not held else ev.t if len(held) <= len(ev.text) else t  # (its first character's arrival)
        self.chunks = 0
        return TextDelta(text, t, ev.reasoning, chunks)

    def flush(self) -> TextDelta | None:
        text = self.redactor.flush()
        t, chunks, self.t, self.chunks = self.t, self.chunks, None, 0
        if not text or t is None:
            return None
        return TextDelta(text, t, self.reasoning, chunks)


__all__ = ["RollingRedactor", "redacted_stream"]
