"""Reading an OSCAL JSON POA&M in bounded memory.

A POA&M held as Python objects takes about five times its file size (a 62 MB file of
10,000 items was 310 MB of dicts), so the file is never parsed whole. It is spooled to a
temporary file and read in passes with ijson (its yajl2 C backend): one pass for the
frame (metadata, back-matter: everything but the long arrays), one per long array (the
POA&M's, and the components and inventory items of its local definitions: one per asset),
each entry checked against its schema definition as it is read. Entries are
kept as compact JSON in a temporary file, by uuid, and parsed again only when an item
asks for them, so what stays in memory is the frame and the items being read.
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
    LOCAL,
    LOCAL_DEFINITIONS,
    MAX_ERRORS,
    validate,
    validate_entry,
)
from openpoam.formats.oscal.vocab import ROOT

BOM = b"\xef\xbb\xbf"
# What the reader looks entries up in (observations, risks, the local definitions' assets)
# or walks (poam-items); findings are checked but not kept: the reader rebuilds them from
# the risks.
KEPT = ("observations", "risks", "poam-items", *LOCAL_DEFINITIONS)
BY_UUID = ("observations", "risks", *LOCAL_DEFINITIONS)


class _Spooled:
    """Entries as compact JSON in an unnamed temporary file, found again by offset:
    kept in memory, 10,000 risks as bytes objects still took 80 MB."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="oscal-entries-")
        self._end = 0

    def _put(self, entry: dict) -> tuple[int, int]:
        raw = orjson.dumps(entry)
        self._file.seek(self._end)
        self._file.write(raw)
        place = (self._end, len(raw))
        self._end += len(raw)
        return place

    def _get(self, place: tuple[int, int]) -> dict:
        self._file.seek(place[0])
        return orjson.loads(self._file.read(place[1]))


class Entries(_Spooled, Mapping):
    """Entries by uuid, parsed again on each lookup."""

    def __init__(self) -> None:
        super().__init__()
        self._places: dict[str, tuple[int, int]] = {}

    def add(self, entry: dict) -> None:
        self._places[entry.get("uuid")] = self._put(entry)

    def __getitem__(self, uuid: str) -> dict:
        return self._get(self._places[uuid])

    def __contains__(self, uuid: object) -> bool:
        return uuid in self._places

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)


class EntryList(_Spooled):
    """Entries in file order, parsed again as they are walked."""

    def __init__(self) -> None:
        super().__init__()
        self._places: list[tuple[int, int]] = []

    def add(self, entry: dict) -> None:
        self._places.append(self._put(entry))

    def __iter__(self) -> Iterator[dict]:
        return (self._get(place) for place in self._places)

    def __len__(self) -> int:
        return len(self._places)


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
        firsts[name], poam[name] = _read_array(spool, name, f"{ROOT}.{name}", entry_errors)
    local = poam.get(LOCAL)
    local_firsts: dict[str, list] = {}
    for name in LOCAL_DEFINITIONS if isinstance(local, dict) else ():
        if local.get(name) == []:
            spool.seek(start)
            local_firsts[name], local[name] = _read_array(spool, name, f"{ROOT}.{LOCAL}.{name}",
                                                          entry_errors)
    skeleton_poam = {**poam, **{name: firsts.get(name, [])
                                for name in ENTRY_DEFINITIONS if name in poam}}
    if local_firsts:
        skeleton_poam[LOCAL] = {**local, **local_firsts}
    return data, (validate({**data, ROOT: skeleton_poam}) + entry_errors)[:MAX_ERRORS]


def _read_array(spool, name: str, prefix: str,
                errors: list[str]) -> tuple[list, Entries | EntryList]:
    """One pass over the array ``name`` at ``prefix``: its first entry (checked with the
    skeleton), the entries kept, and each later entry's schema errors added to ``errors``."""
    kept = Entries() if name in BY_UUID else EntryList()
    first: list = []
    for index, entry in enumerate(ijson.items(spool, f"{prefix}.item", use_float=True)):
        if index == 0:
            first = [entry]
        elif len(errors) < MAX_ERRORS:
            errors += validate_entry(name, index, entry)
        if name in KEPT and isinstance(entry, dict) and not errors:
            kept.add(entry)
    return first, kept


def _frame(spool) -> object:
    """The document with each long array of the POA&M left empty (its entries are read
    in their own pass)."""
    builder = ijson.ObjectBuilder()
    entries = (*(f"{ROOT}.{name}.item" for name in ENTRY_DEFINITIONS),
               *(f"{ROOT}.{LOCAL}.{name}.item" for name in LOCAL_DEFINITIONS))
    for prefix, event, value in ijson.parse(spool, use_float=True):
        if not prefix.startswith(entries):
            builder.event(event, value)
    return builder.value
