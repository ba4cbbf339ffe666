"""Fast listing of saved sessions: cheap per-file summaries cached in ``sessions/index.json``.

The index is only a cache: it maps each ``*.jsonl`` file name to its (size, mtime_ns) and summary.
Listing stats every file, re-summarises only those whose size or mtime changed (or that are new),
drops entries for deleted files and rewrites the index when anything changed. Delete the index and
it is rebuilt from the logs.

A summary is built by scanning lines with cheap string checks: only the header, run, rename and
vote lines are parsed as JSON; for response lines (the bulky ones, with full text) the model and
cost are picked out with a regex. That is safe for our own files: ``,"cost_usd":`` cannot occur
inside a JSON string (the quotes would be escaped), and the writer always puts ``type`` first.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zlib
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # the C scanner json itself uses
from pathlib import Path
from typing import Any

INDEX_NAME = "index.json"
INDEX_VERSION = 2  # 2: judge calls are counted apart (judge_calls), never as runs or answers
SUPPORTED_FORMAT = 1



@dataclass(slots=True)
class SessionSummary:
    path: Path
    session_id: str = ""
    name: str = ""  # latest rename wins
    kind: str = ""
    created: float = 0.0
    models: list[str] = field(default_factory=list)
    runs: int = 0
    responses: int = 0
    failed: int = 0  # responses that ended in error / cut
    votes: int = 0
    judge_calls: int = 0  # LLM-judge runs (label "judge:..."): records of the judge, not runs or contestants
    judge_open: list[str] = field(default_factory=list)  # judge run ids whose answer is not scanned yet
    cost_usd: float | None = None  # sum of known costs; None when no cost is known
    first_prompt: str = ""  # the first run's last user message, shortened
    parent_session: str | None = None
    format: int = 1
    error: str | None = None  # set when the file is not a readable session

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["path"] = str(self.path)
        return d

    def matches(self, text: str) -> bool:
        text = text.lower()
        hay = " ".join([self.session_id, self.name, self.kind, self.first_prompt, self.path.name, *self.models])
        return text in hay.lower()


def _last_user_text(messages: Any) -> str:
    if isinstance(messages, list):
        for m in reversed(messages):
            if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
                return " ".join(m["content"].split())[:120]
    return ""


# header field -> the JSON types it may have (bool is not a number here)
_HEADER_TYPES: dict[str, tuple[type, ...]] = {
    "session_id": (str,), "name": (str,), "kind": (str,), "created": (int, float), "format": (int,),
    "app_version": (str,), "parent_session": (str, type(None)), "meta": (dict,),
}


def header_problem(first: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(the header record, None) or (None, why the first line is not a header this tuiarena reads)."""
    if not first.strip():
        return None, "not a tuiarena session (" + ("empty file)" if not first else "the first line is blank)")
    try:
        header = json.loads(first)
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict) or header.get("type") != "header":
        return None, "not a tuiarena session (no header line)"
    for key, kinds in _HEADER_TYPES.items():
        value = header.get(key)
        if key in header and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
            return None, f"header field {key!r} has the wrong type ({json.dumps(value)[:40]})"
    fmt = header.get("format", 1)
    if fmt > SUPPORTED_FORMAT:
        return None, f"written by a newer tuiarena (format {fmt}, this one reads {SUPPORTED_FORMAT}): upgrade tuiarena"
    if fmt < 1:
        return None, f"invalid format version {fmt} in the header"
    return header, None


def _header_summary(path: Path, first: bytes) -> SessionSummary:
    s = SessionSummary(path=path)
    header, s.error = header_problem(first)
    if header is None:
        return s
    s.session_id = header.get("session_id", "")
    s.name = header.get("name", "")
    s.kind = header.get("kind", "")
    s.created = float(header.get("created", 0) or 0)
    s.parent_session = header.get("parent_session")
    s.format = header.get("format", 1)
    return s


def _string_after(line: bytes, key: bytes) -> str | None:
    """The JSON string value following ``key`` (e.g. ``b',"model":"'``), or None."""
    i = line.find(key)
    if i < 0:
        return None
    i += len(key)
    j = line.find(b'"', i)
    if j < 0:
        return None
    raw = line[i:j]
    if b"\\" in raw:  # escapes: let json decode the string properly
        text = line.decode("utf-8", "replace")
        try:
            return str(scanstring(text, len(line[:i].decode("utf-8", "replace")))[0])
        except ValueError:
            return None
    return raw.decode("utf-8", "replace")


def _scan(s: SessionSummary, data: bytes) -> int:
    """Fold complete lines of ``data`` into ``s``; returns the length of the complete lines scanned.

    Cheap on purpose: ``bytes.find`` for the few fields needed from response lines (the model and
    status come before the text; the cost after it), json only for run, rename and vote lines."""
    end = data.rfind(b"\n") + 1  # a torn tail (no newline yet) is left for the next scan
    models = dict.fromkeys(s.models)
    cost = s.cost_usd or 0.0
    known_cost = s.cost_usd is not None
    last_models = b""
    judge_open = set(s.judge_open)
    for line in data[:end].split(b"\n"):
        if not line.endswith(b"}"):
            continue  # blank or garbled
        if line.startswith(b'{"type":"response"'):
            if judge_open:
                rid = _string_after(line, b'"run_id":"')
                if rid in judge_open:
                    judge_open.discard(rid)
                    cost += _cost_of(line)[0]
                    known_cost = known_cost or _cost_of(line)[1]
                    continue
            s.responses += 1
            model = _string_after(line, b',"model":"')
            if model is not None:
                models.setdefault(model, None)
            status = _string_after(line, b',"status":"')
            if status in ("error", "cut"):
                s.failed += 1
            i = line.find(b',"cost_usd":')
            if i >= 0:
                i += 12
                j = line.find(b",", i)
                value = line[i:j] if j > 0 else b"null"
                if value != b"null":
                    try:
                        cost += float(value)
                        known_cost = True
                    except ValueError:
                        pass
        elif line.startswith(b'{"type":"run"'):
            if line.rfind(b'"label":"judge:') > 0:
                s.judge_calls += 1
                rid = _string_after(line, b'"run_id":"')
                if rid:
                    judge_open.add(rid)
                continue
            s.runs += 1
            if s.runs > 1:  # later runs: only the model list, and only when it changed
                i = line.find(b',"models":[')
                j = line.find(b"]", i)
                if i >= 0 and j > i:
                    chunk = line[i + 10 : j + 1]
                    if chunk == last_models:
                        continue
                    last_models = chunk
                    try:
                        found = json.loads(chunk)
                    except (ValueError, RecursionError):
                        found = None
                    if isinstance(found, list):
                        for model in found:
                            if isinstance(model, str):
                                models.setdefault(model, None)
                        continue
            try:
                rec = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(rec, dict):
                continue
            models_field = rec.get("models")
            for model in models_field if isinstance(models_field, list) else ():
                if isinstance(model, str):
                    models.setdefault(model, None)
            if s.runs == 1:
                s.first_prompt = _last_user_text(rec.get("messages"))
        elif line.startswith(b'{"type":"vote"'):
            s.votes += 1
        elif line.startswith(b'{"type":"rename"'):
            try:
                rec = json.loads(line)
            except (ValueError, RecursionError):
                continue
            name = rec.get("name") if isinstance(rec, dict) else None
            if isinstance(name, str):
                s.name = name
    s.models = list(models)
    s.cost_usd = cost if known_cost else None
    s.judge_open = sorted(judge_open)
    return end


def _cost_of(line: bytes) -> tuple[float, bool]:
    i = line.find(b',"cost_usd":')
    if i < 0:
        return 0.0, False
    i += 12
    j = line.find(b",", i)
    value = line[i:j] if j > 0 else b"null"
    try:
        return (float(value), True) if value != b"null" else (0.0, False)
    except ValueError:
        return 0.0, False


def _summarise(path: Path, cached: dict[str, Any] | None, size: int) -> tuple[SessionSummary, int, int]:
    """(summary, bytes scanned, crc of the header line). Continues from ``cached`` when the file
    only grew (append-only logs) and its header line is unchanged; otherwise scans it all."""
    with open(path, "rb") as fh:
        first = fh.readline()
        head = zlib.crc32(first)
        if (
            cached
            and cached.get("head") == head
            and isinstance(cached.get("scanned"), int)
            and isinstance(cached.get("size"), int)
            and cached["size"] < size  # grew: appended (an in-place edit is scanned afresh)
            and len(first) <= cached["scanned"] <= size
            and isinstance(cached.get("summary"), dict)
        ):
            try:
                s = _from_index(path, cached["summary"])
            except TypeError:
                s = None
            if s is not None and s.error is None:
                fh.seek(cached["scanned"])
                return s, cached["scanned"] + _scan(s, fh.read()), head
        s = _header_summary(path, first)
        if s.error is not None:
            return s, len(first), head
        return s, len(first) + _scan(s, fh.read()), head


def summarise(path: Path) -> SessionSummary:
    """Summarise one session file with a single cheap pass."""
    try:
        return _summarise(path, None, 0)[0]
    except OSError as exc:
        return SessionSummary(path=path, error=f"cannot be read ({exc.strerror})")


def _to_index(s: SessionSummary) -> dict[str, Any]:
    d = s.to_dict()
    del d["path"]
    return d


def _from_index(path: Path, d: dict[str, Any]) -> SessionSummary:
    names = {f.name for f in dataclasses.fields(SessionSummary)} - {"path"}
    return SessionSummary(path=path, **{k: v for k, v in d.items() if k in names})


def _load_index(index_path: Path) -> dict[str, Any]:
    try:
        data = json.loads(index_path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def list_sessions(directory: Path | str | None = None, include_invalid: bool = False) -> list[SessionSummary]:
    """Every session in ``directory`` (default: sessions_dir()), newest first."""
    from tuiarena.store import paths

    directory = Path(directory) if directory is not None else paths.sessions_dir()
    index_path = directory / INDEX_NAME
    old = _load_index(index_path)
    new: dict[str, Any] = {}
    out: list[SessionSummary] = []
    changed = False
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    for entry in entries:
        if not entry.name.endswith(".jsonl") or entry.name.startswith("."):
            continue
        try:
            st = entry.stat()
        except OSError:
            continue
        cached = old.get(entry.name)
        path = Path(entry.path)
        if (
            isinstance(cached, dict)
            and cached.get("size") == st.st_size
            and cached.get("mtime_ns") == st.st_mtime_ns
            and isinstance(cached.get("summary"), dict)
        ):
            try:
                summary = _from_index(path, cached["summary"])
            except TypeError:
                summary = None
            if summary is not None:
                new[entry.name] = cached
                if summary.error is None or include_invalid:
                    out.append(summary)
                continue
        try:
            summary, scanned, head = _summarise(path, cached if isinstance(cached, dict) else None, st.st_size)
        except OSError:
            continue  # deleted or unreadable meanwhile
        changed = True
        new[entry.name] = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "scanned": scanned,
            "head": head,
            "summary": _to_index(summary),
        }
        if summary.error is None or include_invalid:
            out.append(summary)
    if changed or len(new) != len(old):
        try:
            paths.write_private(index_path, json.dumps({"version": INDEX_VERSION, "files": new}, separators=(",", ":")))
        except OSError:
            pass  # a read-only folder still lists, just without the cache
    out.sort(key=lambda s: (s.created, s.path.name), reverse=True)
    return out
