"""The votes and pairwise judge verdicts of session files, read without parsing the rest and, for a
file read before, only where it grew (session files are append-only: a rename is an appended event).

The team arena's leaderboard is recomputed whenever any voter's file changes: reading every file
whole each time cost 300 ms of CPU for 100 voters' files of 50 battles (29 MB, mostly answers' text),
per open leaderboard, per change. A :class:`VoteReader` keeps, per file, its inode, how far it has
read and what it found; a file that shrank or was replaced is read again from its header.

Lines our own writer made start with ``{"type":"<kind>",``, so a line that starts that way with
another kind is skipped unread; any other line (hand-written, other key order) is parsed in full.
Only whole lines are read: a line still being written is read the next time.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tuiarena.errors import SessionFileError
from tuiarena.model import ScoreGiven, VoteCast
from tuiarena.store.session_lines import parse_line

OURS = b'{"type":"'
WANTED = (b'{"type":"vote",', b'{"type":"score",')
PAIRWISE = "judge:pairwise"


@dataclass(slots=True)
class _Seen:
    inode: int
    offset: int  # the end of the last whole line read
    votes: list[VoteCast] = field(default_factory=list)
    scores: list[ScoreGiven] = field(default_factory=list)


class VoteReader:
    """Votes and pairwise judge scores per file, kept between calls (safe from several threads)."""

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def read(self, path: Path | str) -> tuple[list[VoteCast], list[ScoreGiven]]:
        """This file's votes and pairwise judge scores (copies). Raises SessionFileError for a file
        that cannot be read or whose first line is not a session header."""
        from tuiarena.store.sessions import read_header

        key = str(path)
        with self._lock:
            try:
                st = os.stat(path)
            except OSError as exc:
                self._seen.pop(key, None)
                raise SessionFileError(f"{path}: cannot be read ({exc.strerror})") from None
            seen = self._seen.get(key)
            if seen is None or seen.inode != st.st_ino or st.st_size < seen.offset:
                read_header(path)  # (its errors)
                with open(path, "rb") as fh:
                    seen = _Seen(st.st_ino, len(fh.readline()))
                self._seen[key] = seen
            if st.st_size > seen.offset:
                self._read_from(path, seen, st.st_size)
            return list(seen.votes), list(seen.scores)

    def forget_others(self, paths: set[str]) -> None:
        """Drop what is kept for files not in ``paths`` (deleted sessions)."""
        with self._lock:
            for key in set(self._seen) - paths:
                del self._seen[key]

    @staticmethod
    def _read_from(path: Path | str, seen: _Seen, size: int) -> None:
        with open(path, "rb") as fh:
            fh.seek(seen.offset)
            data = fh.read(size - seen.offset)
        end = data.rfind(b"\n") + 1  # whole lines only
        for line in data[:end].split(b"\n"):
            if line.startswith(OURS) and not line.startswith(WANTED):
                continue
            event = parse_line(line)
            if type(event) is VoteCast:
                seen.votes.append(event)
            elif type(event) is ScoreGiven and event.scorer == PAIRWISE:
                seen.scores.append(event)
        seen.offset += end
