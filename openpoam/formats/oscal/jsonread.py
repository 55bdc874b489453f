"""Reading an OSCAL JSON POA&M in bounded memory.

A POA&M held as Python objects takes about five times its file size (a 62 MB file of
10,000 items was 310 MB of dicts), so the file is never parsed whole. It is spooled to a
temporary file and read in passes with ijson (its yajl2 C backend): one pass for the
frame (metadata, local definitions, back-matter: everything but the long arrays), one per
long array, each entry checked against its schema definition as it is read. Entries are
kept as compact JSON bytes keyed by uuid and parsed again only when an item asks for
them, so what stays in memory is about the file's size, not five times it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from typing import BinaryIO

import ijson
import orjson

from openpoam.formats.base import FormatError
from openpoam.formats.oscal.reader import check_root
from openpoam.formats.oscal.validation import (
    ENTRY_DEFINITIONS,
    MAX_ERRORS,
    validate,
    validate_entry,
)
from openpoam.formats.oscal.vocab import ROOT

BOM = b"\xef\xbb\xbf"
# What the reader looks entries up in (observations, risks) or walks (poam-items);
# findings are checked but not kept: the reader rebuilds them from the risks.
KEPT = ("observations", "risks", "poam-items")


class Entries(Mapping):
    """Entries by uuid, stored as compact JSON and parsed on each lookup."""

    def __init__(self) -> None:
        self._raw: dict[str, bytes] = {}

    def add(self, entry: dict) -> None:
        self._raw[entry.get("uuid")] = orjson.dumps(entry)

    def __getitem__(self, uuid: str) -> dict:
        return orjson.loads(self._raw[uuid])

    def __contains__(self, uuid: object) -> bool:
        return uuid in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class EntryList:
    """Entries in file order, stored as compact JSON, parsed as they are walked."""

    def __init__(self) -> None:
        self._raw: list[bytes] = []

    def add(self, entry: dict) -> None:
        self._raw.append(orjson.dumps(entry))

    def __iter__(self) -> Iterator[dict]:
        return (orjson.loads(raw) for raw in self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def read_checked(stream: BinaryIO, *, source: str, fallback) -> tuple[dict, list[str]]:
    """The POA&M data (long arrays stored compactly) and its schema errors.
    ``fallback(raw_bytes)`` parses the whole file to name a JSON syntax error exactly."""
    with tempfile.TemporaryFile(prefix="oscal-import-") as spool:
        shutil.copyfileobj(stream, spool, 1 << 20)
        spool.seek(0)
        start = len(BOM) if spool.read(len(BOM)) == BOM else 0
        try:
            return _read(spool, start, source)
        except ijson.JSONError as exc:
            spool.seek(start)
            fallback(spool.read())  # raises the precise FormatError (line, column)
            raise FormatError(f"invalid JSON: {exc}", source=source) from None


def _read(spool, start: int, source: str) -> tuple[dict, list[str]]:
    spool.seek(start)
    data = check_root(_frame(spool), source)
    poam = data[ROOT]
    if not isinstance(poam, dict):
        return data, validate(data)
    entry_errors: list[str] = []
    firsts: dict[str, list] = {}
    for name in ENTRY_DEFINITIONS:
        if poam.get(name) != []:  # absent, or not an array: the skeleton check says so
            continue
        spool.seek(start)
        kept = Entries() if name in ("observations", "risks") else EntryList()
        for index, entry in enumerate(ijson.items(spool, f"{ROOT}.{name}.item",
                                                  use_float=True)):
            if index == 0:
                firsts[name] = [entry]
            elif len(entry_errors) < MAX_ERRORS:
                entry_errors += validate_entry(name, index, entry)
            if name in KEPT and isinstance(entry, dict) and not entry_errors:
                kept.add(entry)
        poam[name] = kept
    skeleton = {**data, ROOT: {**poam, **{name: firsts.get(name, [])
                                          for name in ENTRY_DEFINITIONS if name in poam}}}
    return data, (validate(skeleton) + entry_errors)[:MAX_ERRORS]


def _frame(spool) -> object:
    """The document with each long array of the POA&M left empty (its entries are read
    in their own pass)."""
    builder = ijson.ObjectBuilder()
    entries = tuple(f"{ROOT}.{name}.item" for name in ENTRY_DEFINITIONS)
    for prefix, event, value in ijson.parse(spool, use_float=True):
        if not prefix.startswith(entries):
            builder.event(event, value)
    return builder.value
