"""The output boundary of the headless commands: every text stream shows control characters as
text (:func:`tuiarena.fmt.visible`), so model output, server messages and model names can never
drive the terminal. Our own cursor movements (the progress line) go through :func:`control`."""

from __future__ import annotations

from typing import Any, TextIO

from tuiarena.fmt import visible


class SafeStream:
    """A text stream wrapper whose ``write`` escapes control characters; all else is delegated."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(visible(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def control(self, seq: str) -> None:
        """Write our own terminal control sequence unescaped (never text from elsewhere)."""
        self.raw.write(seq)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def control(stream: TextIO, seq: str) -> None:
    """Write a control sequence of ours to ``stream``, bypassing a :class:`SafeStream`."""
    raw = getattr(stream, "control", None)
    if raw is not None:
        raw(seq)
    else:
        stream.write(seq)
