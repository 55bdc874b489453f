"""Reading an OSCAL JSON POA&M in bounded memory.

A POA&M held as Python objects takes about five times its file size (a 62 MB file of
10,000 items was 310 MB of dicts), so the file is never parsed whole. It is spooled to a
temporary file and read in passes with ijson (its yajl2 C backend): one pass for the
frame (metadata: everything but the long arrays), one per long array (the POA&M's, the
components and inventory items of its local definitions: one per asset, and the back
matter's resources: one per evidence file),
each entry checked against its schema definition as it is read. Entries are
kept as compact JSON on disk (by uuid in a temporary SQLite database, the POA&M items in
a temporary file) and parsed again only when an item asks for them, so what stays in
memory is the frame and the items being read, not a structure per entry.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from array import array
from collections.abc import Iterator, Mapping
from typing import BinaryIO

import ijson
import orjson

from openpoam.formats.base import FormatError
from openpoam.formats.oscal.reader import check_root
from openpoam.formats.oscal.validation import (
    BACK_MATTER,
    BACK_MATTER_DEFINITIONS,
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
KEPT = ("observations", "risks", "poam-items", *LOCAL_DEFINITIONS, *BACK_MATTER_DEFINITIONS)
BY_UUID = ("observations", "risks", *LOCAL_DEFINITIONS, *BACK_MATTER_DEFINITIONS)
# The long arrays inside an object of the POA&M: the local definitions' (one entry per
# asset) and the back matter's resources (one per evidence file: 30,000 at 300,000 items
# here, about 3 KB each as Python objects).
NESTED = ((LOCAL, LOCAL_DEFINITIONS), (BACK_MATTER, BACK_MATTER_DEFINITIONS))


class Entries(Mapping):
    """Entries by uuid, as compact JSON in an unnamed temporary SQLite database, parsed
    again on each lookup. Not a dict of offsets by uuid: its uuid strings, offset tuples
    and slots took about 190 bytes an entry, and a POA&M has three or more entries an item
    (its observation, its risk, its assets' inventory items), growing the import by over
    0.5 KB an item. SQLite keeps only its page cache in memory. A uuid met again replaces
    the entry and keeps its place, as a dict does."""

    BATCH = 1000

    def __init__(self) -> None:
        # "" is a private database in a temporary file, deleted when it is closed.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                               "CREATE TABLE entry (uuid TEXT PRIMARY KEY, raw BLOB);")
        self._pending: list[tuple[str, bytes]] = []

    def add(self, entry: dict) -> None:
        uuid = entry.get("uuid")
        if not isinstance(uuid, str):
            return  # a schema error refuses the document; no lookup can name it
        self._pending.append((uuid, orjson.dumps(entry)))
        if len(self._pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """Store the entries still waiting for their batch (at the end of a pass)."""
        if self._pending:
            self._db.executemany("INSERT INTO entry VALUES (?, ?) ON CONFLICT (uuid) "
                                 "DO UPDATE SET raw = excluded.raw", self._pending)
            self._pending = []

    def _raw(self, uuid: object) -> bytes | None:
        if not isinstance(uuid, str):
            return None
        self.flush()
        row = self._db.execute("SELECT raw FROM entry WHERE uuid = ?", (uuid,)).fetchone()
        return row[0] if row else None

    def __getitem__(self, uuid: str) -> dict:
        raw = self._raw(uuid)
        if raw is None:
            raise KeyError(uuid)
        return orjson.loads(raw)

    def get(self, uuid: str, default=None):
        """One query, where ``in`` then ``[]`` would make two."""
        raw = self._raw(uuid)
        return default if raw is None else orjson.loads(raw)

    def __contains__(self, uuid: object) -> bool:
        return self._raw(uuid) is not None

    def __iter__(self) -> Iterator[str]:
        self.flush()
        return (row[0] for row in self._db.execute("SELECT uuid FROM entry ORDER BY rowid"))

    def values(self) -> Iterator[dict]:  # type: ignore[override]
        """The entries in the order their uuids were first met, one query for all."""
        self.flush()
        return (orjson.loads(row[0])
                for row in self._db.execute("SELECT raw FROM entry ORDER BY rowid"))

    def __len__(self) -> int:
        self.flush()
        return self._db.execute("SELECT count(*) FROM entry").fetchone()[0]


class EntryList:
    """Entries in file order, as compact JSON in an unnamed temporary file, parsed again
    as they are walked. Each entry starts where the one before it ends, so only the ends
    are kept: 8 bytes an entry (a list of (offset, length) tuples took about 90)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="oscal-entries-")
        self._ends = array("q")

    def add(self, entry: dict) -> None:
        self._file.seek(self._ends[-1] if self._ends else 0)
        self._file.write(orjson.dumps(entry))
        self._ends.append(self._file.tell())

    def flush(self) -> None:
        self._file.flush()

    def __iter__(self) -> Iterator[dict]:
        start = 0
        for end in self._ends:
            self._file.seek(start)
            yield orjson.loads(self._file.read(end - start))
            start = end

    def __len__(self) -> int:
        return len(self._ends)


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
    skeleton_poam = {**poam, **{name: firsts.get(name, [])
                                for name in ENTRY_DEFINITIONS if name in poam}}
    for parent, definitions in NESTED:
        nested = poam.get(parent)
        nested_firsts: dict[str, list] = {}
        for name in definitions if isinstance(nested, dict) else ():
            if nested.get(name) == []:
                spool.seek(start)
                nested_firsts[name], nested[name] = _read_array(
                    spool, name, f"{ROOT}.{parent}.{name}", entry_errors)
        if nested_firsts:
            skeleton_poam[parent] = {**nested, **nested_firsts}
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
    kept.flush()
    return first, kept


def _frame(spool) -> object:
    """The document with each long array of the POA&M left empty (its entries are read
    in their own pass)."""
    builder = ijson.ObjectBuilder()
    entries = (*(f"{ROOT}.{name}.item" for name in ENTRY_DEFINITIONS),
               *(f"{ROOT}.{parent}.{name}.item" for parent, definitions in NESTED
                 for name in definitions))
    for prefix, event, value in ijson.parse(spool, use_float=True):
        if not prefix.startswith(entries):
            builder.event(event, value)
    return builder.value
