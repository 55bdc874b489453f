"""CSV -> POA&M. The inverse of ``writer``: every column decoded, guards removed.

``read_with_warnings()`` returns the document and the warnings (unknown
columns, an empty file); ``read()`` returns the document alone. A cell that
does not fit its column raises ``FormatError`` naming the line and column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from openpoam.domain.poam import PoamDocument, PoamItemData, SystemData
from openpoam.formats.base import FormatError
from openpoam.formats.poam_ids import each_id_once
from openpoam.formats.cells import unguard
from openpoam.formats.poam_csv.columns import (DOCUMENT_COLUMNS, HEADER, ITEM_COLUMNS, REQUIRED,
                                               CellError, decode)
from openpoam.formats.streams import sniff_text, text_lines

# No size cap of its own: the reader holds one line at a time, so memory does not grow
# with the file; the import bounds the file (tracker.services.imports: the import limit,
# OPENPOAM_IMPORT_MAX_BYTES, on its size and again on every byte read).
# Cells carry whole milestone and history lists as JSON; the csv default (128 KiB) is too small.
MAX_CELL = 16 * 1024 * 1024


@dataclass
class CsvReadResult:
    document: PoamDocument
    warnings: list[str] = field(default_factory=list)


class CsvImporter:
    key = "csv"
    label = "POA&M as CSV (.csv)"
    streams_items = True

    def sniff(self, head: bytes, filename: str) -> bool:
        first_line = sniff_text(head).split("\n", 1)[0]
        names = {name.strip().strip('"') for name in first_line.split(",")}
        return set(REQUIRED) <= names and "system_name" in names

    def read(self, stream: BinaryIO, *, source: str) -> PoamDocument:
        return self.read_with_warnings(stream, source=source).document

    def read_with_warnings(self, stream: BinaryIO, *, source: str) -> CsvReadResult:
        result = self.read_stream(stream, source=source)
        result.document.items = list(result.document.items)
        return result

    def read_stream(self, stream: BinaryIO, *, source: str) -> CsvReadResult:
        """The document with its items read as they are iterated (a line at a time, each
        POAM ID once), for an import that writes them in batches: a file of 100,000
        items is never held whole. ``warnings`` is complete once the items are read."""
        text = text_lines(stream, source=source)
        csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))
        with _csv_errors(source):
            result, rows = _read_head(csv.reader(text), source)
        result.document.items = _guarded(rows, source)
        return result


@contextmanager
def _csv_errors(source: str) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not UTF-8 text ({exc.reason})", source=source) from None
    except csv.Error as exc:
        raise FormatError(f"malformed CSV: {exc}", source=source) from None


def _guarded(rows: Iterator[PoamItemData], source: str) -> Iterator[PoamItemData]:
    with _csv_errors(source):
        yield from rows


def _read_head(reader, source: str) -> tuple[CsvReadResult, Iterator[PoamItemData]]:
    """The header and the first row (the system's columns), and the items to come."""
    header = next(reader, None)
    if header is None:
        raise FormatError("the file is empty", source=source)
    header = [unguard(name).strip() for name in header]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FormatError(f"missing column(s): {', '.join(missing)}", source=source, line=1)
    warnings = [f"{source}: column {name!r} is not an OpenPOAM column and was ignored"
                for name in header if name not in HEADER]
    line = reader.line_num + 1
    first = None
    for cells in reader:
        if any(cell.strip() for cell in cells):
            first = (_row_dict(header, cells, source, line), line)
            break
        line = reader.line_num + 1
    system_row, system_line = first if first else ({}, 2)
    document = _document(system_row, source, system_line)
    result = CsvReadResult(document, warnings)
    placed = _placed(reader, header, source, first, warnings)
    return result, each_id_once(placed, source=source, warnings=warnings)


def _placed(reader, header: list[str], source: str, first, warnings: list[str]):
    if first is None:
        warnings.append(f"{source}: the file has no POA&M items")
        return
    row, line = first
    yield _item(row, source, line), f"line {line}"
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield _item(_row_dict(header, cells, source, line), source, line), f"line {line}"
        line = reader.line_num + 1


def _row_dict(header: list[str], cells: list[str], source: str, line: int) -> dict[str, str]:
    if len(cells) > len(header):
        raise FormatError(f"the row has {len(cells)} cells but the header has {len(header)}",
                          source=source, line=line)
    return {name: unguard(cell) for name, cell in zip(header, cells)}


def _decode_columns(columns, row: dict[str, str], source: str, line: int) -> dict:
    values = {}
    for name, kind in columns:
        if name not in row:
            continue
        try:
            values[name] = decode(kind, row[name])
        except CellError as exc:
            raise FormatError(str(exc), source=source, line=line, field=name) from None
    return values


def _item(row: dict[str, str], source: str, line: int) -> PoamItemData:
    values = _decode_columns(ITEM_COLUMNS, row, source, line)
    for name in REQUIRED:
        if not values.get(name, "").strip():
            raise FormatError("the value is required", source=source, line=line, field=name)
    return PoamItemData(**values)


def _document(row: dict[str, str], source: str, line: int) -> PoamDocument:
    values = _decode_columns(DOCUMENT_COLUMNS, row, source, line)
    system = SystemData(name=values.get("system_name") or "")
    for name in ("acronym", "organization", "framework", "impact_level", "designation", "uuid",
                 "description"):
        if f"system_{name}" in values:
            setattr(system, name, values[f"system_{name}"])
    document = PoamDocument(system=system, generated_at=values.get("document_generated_at"),
                            uuid=values.get("document_uuid", ""))
    if values.get("document_version"):
        document.version = values["document_version"]
    return document
