"""A big JSONL case file read as a stream (over ``cases.LAZY_BYTES``): see docs/decisions/0041.

:func:`scan` checks every line once, with the same rules and messages as a small file (a line
that is not a plain case goes through :func:`~tuiarena.engine.suite.cases.parse_case`), and keeps
per case only its byte offset, its line number and a small "shape" number; the ids are kept in a
set while scanning, for duplicates. :class:`CaseFile` then reads cases again when asked for.

A *plain* case — only ``id`` and ``input`` strings, a ``category`` string, ``checks`` and ``meta``,
no ``[defaults]`` — is the common line of a generated suite. It is checked without building its
:class:`~tuiarena.engine.suite.cases.Case`, and its checks list (already checked, shared by many
lines) gets a shape number; reading it again then needs no checking, only the JSON and the Case,
as long as the file has not changed since (same size and modification time). Anything else is read
by ``parse_case`` each time.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, overload

from tuiarena.engine.suite.cases import NO_CASE, Case, _case_at, _validated, parse_case, read_line
from tuiarena.errors import SuiteError
from tuiarena.model import Params
from tuiarena.runtime import collector_paused
from tuiarena.scoring.checks import CheckSpecError

PLAIN_FIELDS = frozenset({"id", "input", "category", "checks", "meta"})
MAX_SHAPES = 1024  # distinct checks lists remembered; a case past them is read the full way
FULL = -1  # shape of a case read by parse_case each time


def scan(fh: BinaryIO, stat: os.stat_result, path: Path, defaults: dict[str, Any], where: str) -> CaseFile:
    """Every line of an open big case file checked; a :class:`CaseFile` of its cases."""
    with collector_paused():  # a few objects per line, none kept but ids and numbers
        return _scan(fh, stat, path, defaults, where)


def _scan(fh: BinaryIO, stat: os.stat_result, path: Path, defaults: dict[str, Any], where: str) -> CaseFile:
    offsets, linenos, shapes = array("q"), array("q"), array("h")
    known = _Shapes()
    ids: set[str] = set()
    stem = path.stem
    plain_ok = not defaults
    offset = 0
    for lineno, line in enumerate(fh, 1):
        start, offset = offset, offset + len(line)
        raw = read_line(line, lineno, where)
        if raw is NO_CASE:
            continue
        shape = _plain_shape(raw, known) if plain_ok else None
        if shape is not None:
            cid = raw["id"]
        else:
            cid = parse_case(raw, defaults, f"{where}: line {lineno}", default_id=f"{stem}-{lineno}").id
            shape = FULL
        if cid in ids:
            files = CaseFile(path, defaults, where, offsets, linenos)
            first = next(c.where for c in files if c.id == cid)
            raise SuiteError(f'{where}: line {lineno}: field "id": duplicate id {cid!r} (first at {first.rsplit(": ", 1)[-1]})')
        ids.add(cid)
        offsets.append(start)
        linenos.append(lineno)
        shapes.append(shape)
    if not offsets:
        raise SuiteError(f"{where}: no cases (one JSON object per line)")
    return CaseFile(path, defaults, where, offsets, linenos, (stat.st_size, stat.st_mtime_ns), shapes, known.table)


class _Shapes:
    """The distinct ``checks`` lists of a file's plain cases, checked once each: by their repr (exact
    for JSON values: it tells 1, 1.0 and true apart) to a shape number, the index of the checked list."""

    __slots__ = ("by_repr", "table")

    def __init__(self) -> None:
        self.by_repr: dict[str, int] = {}
        self.table: list[tuple[dict[str, Any], ...]] = []

    def of(self, specs: list[Any]) -> int | None:
        """The shape of a plain case's checks: its number, FULL when too many, None when not valid."""
        key = repr(specs)
        shape = self.by_repr.get(key)
        if shape is not None:
            return shape
        try:
            checks = tuple([_validated(spec, None) for spec in specs])
        except CheckSpecError:
            return None
        if len(self.table) >= MAX_SHAPES:
            return FULL
        shape = self.by_repr[key] = len(self.table)
        self.table.append(checks)
        return shape


def _plain_shape(raw: Any, known: _Shapes) -> int | None:
    """The shape of a plain case (see the module's docstring), or None: not plain, or not valid
    (``parse_case`` then says why)."""
    if raw.__class__ is not dict or not PLAIN_FIELDS.issuperset(raw):
        return None
    cid, text, category = raw.get("id"), raw.get("input"), raw.get("category", "")
    if cid.__class__ is not str or text.__class__ is not str or category.__class__ is not str:
        return None
    if not cid or not text or cid.isspace() or text.isspace():
        return None
    specs = raw.get("checks", _NO_CHECKS)
    if specs.__class__ is not list:
        return None
    return known.of(specs)


_NO_CHECKS: list[Any] = []  # (read only)


def _plain_case(raw: dict[str, Any], checks: tuple[dict[str, Any], ...], loc: str) -> Case:
    """The Case ``parse_case`` makes of a plain case already checked."""
    return Case(raw["id"], [{"role": "user", "content": raw["input"]}], Params(), list(checks), None,
                raw.get("category") or "", 1.0, None, loc)


class CaseFile(Sequence[Case]):
    """The cases of a big JSONL file, read as a stream: per case only its byte offset, line number
    and shape are kept (18 bytes); iterating reads the file in order, indexing seeks to one line.
    The few cases last asked for are kept, since a suite run asks for each once per model."""

    def __init__(self, path: Path, defaults: dict[str, Any], where: str, offsets: array[int], linenos: array[int],
                 stamp: tuple[int, int] | None = None, shapes: array[int] | None = None,
                 table: list[tuple[dict[str, Any], ...]] | None = None) -> None:
        self.path, self.defaults, self.where = path, defaults, where
        self.offsets, self.linenos = offsets, linenos
        self.stamp = stamp  # (size, mtime) when scanned: the shapes hold only for that file
        self.shapes = shapes
        self.table = table or []
        self._fh: BinaryIO | None = None
        self._trusted = False  # the open file is the one scanned: its plain cases need no checking
        self._recent: dict[int, Case] = {}

    def __len__(self) -> int:
        return len(self.offsets)

    def _same_file(self, fh: BinaryIO) -> bool:
        st = os.fstat(fh.fileno())
        return self.stamp is not None and (st.st_size, st.st_mtime_ns) == self.stamp

    def _case(self, line: bytes, lineno: int, shape: int) -> Case | None:
        if shape != FULL:
            raw = read_line(line, lineno, self.where)
            if raw.__class__ is dict and "input" in raw and "id" in raw:  # (it is: the file is the same)
                return _plain_case(raw, self.table[shape], f"{self.where}: line {lineno}")
        return _case_at(line, lineno, self.path.stem, self.defaults, self.where)

    def _read(self, i: int) -> Case:
        if self._fh is None:
            try:
                self._fh = self.path.open("rb")
            except OSError as exc:
                raise SuiteError(f"{self.where}: cannot read: {exc.strerror}") from None
            if self.stamp is not None and os.fstat(self._fh.fileno()).st_size != self.stamp[0]:
                raise SuiteError(f"{self.where}: the file changed while the suite was running; load it again")
            self._trusted = self._same_file(self._fh)
        self._fh.seek(self.offsets[i])
        line = self._fh.readline()
        lineno = self.linenos[i]
        shape = self.shapes[i] if self.shapes is not None and self._trusted else FULL
        case = self._case(line, lineno, shape)
        if case is None:
            raise SuiteError(f"{self.where}: line {lineno}: the file changed while the suite was running; load it again")
        return case

    @overload
    def __getitem__(self, i: int) -> Case: ...
    @overload
    def __getitem__(self, i: slice) -> list[Case]: ...
    def __getitem__(self, i: int | slice) -> Case | list[Case]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        case = self._recent.get(i)
        if case is None:
            if len(self._recent) >= 256:
                self._recent.pop(next(iter(self._recent)))
            case = self._recent[i] = self._read(i)
        return case

    def __iter__(self) -> Iterator[Case]:
        linenos, shapes, n = self.linenos, self.shapes, len(self.linenos)
        with self.path.open("rb") as fh:
            trusted = shapes is not None and self._same_file(fh)
            i = 0
            for lineno, line in enumerate(fh, 1):
                shape = FULL
                if i < n and linenos[i] == lineno:
                    if trusted:
                        shape = shapes[i]  # type: ignore[index]
                    i += 1
                case = self._case(line, lineno, shape)
                if case is not None:
                    yield case

    def __del__(self) -> None:
        if self._fh is not None:
            self._fh.close()


__all__ = ["CaseFile", "scan"]
