"""Session files: append-only JSON-lines event logs (see DESIGN.md, "a session is an event log").

A file ``sessions/YYYYmmdd-HHMMSS-<session_id>.jsonl`` (mode 0600) holds one event per line; the
first line is always a :class:`~tuiarena.model.SessionHeader` carrying the format version. The
writer appends each persisted event as one compact JSON line at once (a crash or kill of the
process loses only what was in flight) and fsyncs it at most every quarter second (a power loss
loses at most that); the reader skips a torn last line (or any garbled line) and reports it.

Listing lives in :mod:`tuiarena.store.session_index` (re-exported here).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuiarena.errors import SessionFileError
from tuiarena.fmt import visible
from tuiarena.model import EVENT_TYPES, Event, SessionHeader, SessionRenamed, new_id
from tuiarena.runtime import collector_paused
from tuiarena.store import paths
from tuiarena.store.session_index import (
    SUPPORTED_FORMAT,
    SessionSummary,
    header_problem,
    list_sessions,
)
from tuiarena.store.session_lines import FIELDS, parse_line
from tuiarena.store.syncer import Syncer

__all__ = [
    "SUPPORTED_FORMAT",
    "SessionLog",
    "SessionSummary",
    "SessionWriter",
    "delete_session",
    "import_session",
    "list_sessions",
    "read_header",
    "read_session",
    "rename_session",
    "resolve_session",
]


def _encode(event: Event) -> bytes:
    # json escapes C0 itself; visible() escapes DEL and C1 (as \u00XX), so `cat` of a session is inert
    return (visible(json.dumps(event.to_record(), ensure_ascii=False, separators=(",", ":"))) + "\n").encode("utf-8")


def _app_version() -> str:
    from tuiarena import __version__

    return __version__


class SessionWriter:
    """Appends events to one session file, keeping the file descriptor open.

    Each event is handed to the kernel at once with an unbuffered ``os.write`` (so a killed or
    crashed process loses nothing already written), and made durable by ``fsync`` in a background
    thread that coalesces bursts: an fsync costs milliseconds, and doing it on the event loop stalls
    every stream in flight and inflates measured latency. ``close()`` waits for the last fsync.
    """

    def __init__(self, path: Path, fd: int, header: SessionHeader):
        self.path = path
        self.header = header
        self._fd: int | None = fd
        self._syncer: Syncer | None = None
        self.notice: str | None = None  # set when an existing file's mode had to be tightened

    @property
    def session_id(self) -> str:
        return self.header.session_id

    @classmethod
    def create(
        cls,
        kind: str = "compare",
        name: str = "",
        parent_session: str | None = None,
        meta: dict[str, Any] | None = None,
        directory: Path | str | None = None,
    ) -> SessionWriter:
        directory = paths.ensure_dir(directory) if directory is not None else paths.sessions_dir()
        header = SessionHeader(
            session_id=new_id(),
            name=name,
            kind=kind,
            format=SUPPORTED_FORMAT,
            app_version=_app_version(),
            parent_session=parent_session,
            meta=dict(meta or {}),
        )
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(header.created))
        path = directory / f"{stamp}-{header.session_id}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        writer = cls(path, fd, header)
        writer._append(_encode(header))
        return writer

    @classmethod
    def append_to(cls, path: Path | str) -> SessionWriter:
        """Reopen an existing session to add events (a rename, a vote, a note)."""
        path = Path(path)
        header = read_header(path)
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
        writer = cls(path, fd, header)
        writer.notice = paths.tighten(path, fd)  # a 0644 file from elsewhere: 0600, and say so
        size = os.fstat(fd).st_size
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                writer._append(b"\n")  # seal a torn last line so the next event starts clean
        return writer

    def _append(self, data: bytes) -> None:
        if self._fd is None:
            raise ValueError(f"session writer for {self.path.name} is closed")
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        if self._syncer is None:
            self._syncer = Syncer(self._fd)
        self._syncer.request()

    def write(self, event: Event) -> None:
        """Append one event (transient events such as deltas are ignored)."""
        if not event.persisted:
            return
        self._append(_encode(event))

    write.persisted_only = True  # type: ignore[attr-defined]  # a sink that ignores transient events: the runner need not make them
    __call__ = write  # a writer is a sink: runner(sinks=[writer])

    def close(self) -> None:
        if self._fd is not None:
            if self._syncer is not None:
                self._syncer.stop()
                self._syncer = None
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

    @property
    def closed(self) -> bool:
        return self._fd is None

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - safety net only
        try:
            self.close()
        except Exception:
            pass


@dataclass(slots=True)
class SessionLog:
    path: Path
    header: SessionHeader
    events: list[Event] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    def skipped_notes(self, limit: int = 5) -> list[str]:
        """One line per skipped line, the first ``limit`` of them, then how many more."""
        notes = [f"{self.path.name}: skipped {f'line {n}' if n else 'a line'} ({why})" for n, why in self.skipped[:limit]]
        if len(self.skipped) > limit:
            notes.append(f"{self.path.name}: skipped {len(self.skipped) - limit} more lines ({len(self.skipped)} in all)")
        return notes

    @property
    def name(self) -> str:
        """The header's name, or the latest rename."""
        name = self.header.name
        for ev in self.events:
            if isinstance(ev, SessionRenamed):
                name = ev.name
        return name


def _parse_header(first: bytes, path: Path) -> SessionHeader:
    rec, problem = header_problem(first)
    if rec is None:
        raise SessionFileError(f"{path}: {problem}")
    try:
        header = EVENT_TYPES["header"](**{k: v for k, v in rec.items() if k in FIELDS["header"]})
    except TypeError as exc:
        raise SessionFileError(f"{path} has a malformed header ({exc})") from None
    return header  # type: ignore[return-value]


def read_header(path: Path | str) -> SessionHeader:
    """Only the header line (cheap); same errors as :func:`read_session`."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            first = fh.readline()
    except FileNotFoundError:
        raise SessionFileError(f"{path}: no such session file") from None
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot be read ({exc.strerror})") from None
    return _parse_header(first, path)


def read_session(path: Path | str) -> SessionLog:
    """Read a whole session; garbled or unknown lines are skipped and listed in ``skipped``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SessionFileError(f"{path}: no such session file") from None
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot be read ({exc.strerror})") from None
    lines = data.split(b"\n")
    log = SessionLog(path=path, header=_parse_header(lines[0], path))
    last = len(lines) - 1
    if lines[last] == b"":
        last -= 1  # the normal trailing newline
    with collector_paused():  # tens of thousands of containers and no cycles
        _parse_lines(lines, last, log)
    return log


def _parse_lines(lines: list[bytes], last: int, log: SessionLog) -> None:
    events = log.events
    skipped = log.skipped
    for i in range(1, last + 1):
        got = parse_line(lines[i], i == last)
        if got is None:
            continue
        if isinstance(got, str):
            skipped.append((i + 1, got))
        else:
            events.append(got)


def resolve_session(ref: str | Path, directory: Path | str | None = None) -> Path:
    """A path, a session id, a unique id prefix, a file name, a unique name, or "latest"."""
    p = Path(ref).expanduser()
    if p.is_file():
        return p
    ref = str(ref).strip()
    if not ref:
        raise SessionFileError("no session given (pass an id, a name or a path)")
    sessions = list_sessions(directory)
    if not sessions:
        raise SessionFileError(f"no session matches {ref!r}: there are no saved sessions yet")

    def pick(found: list[SessionSummary], what: str) -> Path | None:
        if len(found) == 1:
            return found[0].path
        if len(found) > 1:
            shown = ", ".join(f"{s.session_id} ({s.name or 'unnamed'})" for s in found[:8])
            more = f" and {len(found) - 8} more" if len(found) > 8 else ""
            raise SessionFileError(f"{ref!r} matches {len(found)} sessions by {what}: {shown}{more}; use the full id")
        return None

    lower = ref.lower()
    for found, what in (
        ([s for s in sessions if s.session_id == ref or s.path.name in (ref, ref + ".jsonl")], "id"),
        ([s for s in sessions if s.name == ref], "name"),
        ([s for s in sessions if s.name.lower() == lower], "name"),
        ([s for s in sessions if s.session_id.startswith(lower)], "id prefix"),
    ):
        hit = pick(found, what)
        if hit is not None:
            return hit
    if lower in ("latest", "last"):
        return sessions[0].path
    raise SessionFileError(f"no session matches {ref!r} (run `tuiarena sessions` to list them)")


def import_session(path: Path | str, directory: Path | str | None = None) -> Path:
    """Copy a session file from elsewhere into the sessions folder; returns the new path."""
    path = Path(path).expanduser()
    log = read_session(path)  # validates header and format; refuses newer versions
    directory = Path(directory) if directory is not None else paths.sessions_dir()
    sid = log.header.session_id
    if not sid:
        raise SessionFileError(f"{path} has no session id in its header; cannot import it")
    for s in list_sessions(directory, include_invalid=True):
        if s.session_id == sid:
            raise SessionFileError(
                f"{path} is already imported as {s.path.name} (session {sid}); "
                "delete that one first to import it again"
            )
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(log.header.created or time.time()))
    target = directory / f"{stamp}-{sid}.jsonl"
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


def delete_session(path: Path | str) -> None:
    """Remove a session file (the index forgets it on the next listing)."""
    path = Path(path)
    try:
        path.unlink()
    except FileNotFoundError:
        raise SessionFileError(f"{path}: no such session file") from None


def rename_session(path: Path | str, name: str) -> str | None:
    """Rename by appending a SessionRenamed event (the log stays append-only). Returns a sentence
    for the user when the file's mode had to be tightened (see ``paths.tighten``)."""
    with SessionWriter.append_to(path) as writer:
        writer.write(SessionRenamed(name=name.strip()))
    return writer.notice
