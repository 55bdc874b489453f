"""CSV -> POA&M. The inverse of ``writer``: every column decoded, guards removed.

``read_with_warnings()`` returns the document and the warnings (unknown
columns, an empty file); ``read()`` returns the document alone. A cell that
does not fit its column raises ``FormatError`` naming the line and column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import BinaryIO

from openpoam.domain.poam import PoamDocument, PoamItemData, SystemData
from openpoam.formats.base import FormatError
from openpoam.formats.poam_ids import first_of_each_id
from openpoam.formats.cells import unguard
from openpoam.formats.poam_csv.columns import (DOCUMENT_COLUMNS, HEADER, ITEM_COLUMNS, REQUIRED,
                                               CellError, decode)
from openpoam.formats.streams import LimitedStream, sniff_text, text_lines

MAX_BYTES = 200 * 1024 * 1024
# Cells carry whole milestone and history lists as JSON; the csv default (128 KiB) is too small.
MAX_CELL = 16 * 1024 * 1024


@dataclass
class CsvReadResult:
    document: PoamDocument
    warnings: list[str] = field(default_factory=list)


class CsvImporter:
    key = "csv"
    label = "POA&M as CSV (.csv)"

    def sniff(self, head: bytes, filename: str) -> bool:
        first_line = sniff_text(head).split("\n", 1)[0]
        names = {name.strip().strip('"') for name in first_line.split(",")}
        return set(REQUIRED) <= names and "system_name" in names

    def read(self, stream: BinaryIO, *, source: str) -> PoamDocument:
        return self.read_with_warnings(stream, source=source).document

    def read_with_warnings(self, stream: BinaryIO, *, source: str) -> CsvReadResult:
        limited = LimitedStream(stream, MAX_BYTES, source=source)
        text = text_lines(limited, source=source)  # type: ignore[arg-type]
        csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))
        try:
            return _read_rows(csv.reader(text), source)
        except UnicodeDecodeError as exc:
            raise FormatError(f"the file is not UTF-8 text ({exc.reason})", source=source) from None
        except csv.Error as exc:
            raise FormatError(f"malformed CSV: {exc}", source=source) from None


def _read_rows(reader, source: str) -> CsvReadResult:
    header = next(reader, None)
    if header is None:
        raise FormatError("the file is empty", source=source)
    header = [unguard(name).strip() for name in header]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FormatError(f"missing column(s): {', '.join(missing)}", source=source, line=1)
    warnings = [f"{source}: column {name!r} is not an OpenPOAM column and was ignored"
                for name in header if name not in HEADER]
    placed, system_row, system_line = [], None, 2
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            row = _row_dict(header, cells, source, line)
            if system_row is None:
                system_row, system_line = row, line
            placed.append((_item(row, source, line), f"line {line}"))
        line = reader.line_num + 1
    if system_row is None:
        warnings.append(f"{source}: the file has no POA&M items")
        system_row = {}
    document = _document(system_row, source, system_line)
    document.items = first_of_each_id(placed, source=source, warnings=warnings)
    return CsvReadResult(document, warnings)


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
