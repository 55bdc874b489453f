"""POA&M -> eMASS POA&M workbook, one row per milestone, laid out by layout.json.

The column list, header texts, widths and the field or named transform each
column takes live in ``layout.json``: a new eMASS template variant is a new
JSON file, not new code. An item without milestones still gets one row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from importlib.resources import files
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from openpoam.domain.poam import MilestoneData, PoamDocument, PoamItemData, SystemData
from openpoam.formats.cells import MAX_CELL_CHARS, date_cell_xml, text_cell_xml
from openpoam.formats.emass_xlsx import sheet
from openpoam.formats.emass_xlsx.transforms import TRANSFORMS

LAYOUT = files("openpoam.formats.emass_xlsx") / "layout.json"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The records a layout value may name, with an example of each to check field names.
_OWNERS = {"item": PoamItemData("", ""), "milestone": MilestoneData(0, ""),
           "system": SystemData(""), "document": PoamDocument(SystemData(""))}
_HEADER_FILL_RGB = "FFD9E1F2"


@dataclass(frozen=True)
class Column:
    header: str
    value: str
    width: float


@dataclass(frozen=True)
class Layout:
    sheet: str
    header_block: list[tuple[str, str]]
    header_row: int
    date_format: str
    columns: list[Column]

    @classmethod
    def load(cls, path: Path | Any = LAYOUT) -> "Layout":
        data = json.loads(path.read_text(encoding="utf-8"))
        layout = cls(sheet=data["sheet"],
                     header_block=[(row["label"], row["value"]) for row in data["header_block"]],
                     header_row=int(data["header_row"]), date_format=data["date_format"],
                     columns=[Column(c["header"], c.get("value", ""), float(c.get("width", 15)))
                              for c in data["columns"]])
        layout.check()
        return layout

    def check(self) -> None:
        """Fail on a value this code cannot resolve, before any file is written."""
        if self.header_row <= len(self.header_block):
            raise ValueError("header_row must come after the header block rows")
        for spec in [value for _, value in self.header_block] + [c.value for c in self.columns]:
            kind, _, name = spec.partition(":") if ":" in spec else spec.partition(".")
            if spec and kind == "transform" and name not in TRANSFORMS:
                raise ValueError(f"layout names an unknown transform {name!r}")
            if spec and kind in _OWNERS and not hasattr(_OWNERS[kind], name):
                raise ValueError(f"layout names an unknown field {spec!r}")
            if spec and kind not in ("transform", "text", *_OWNERS):
                raise ValueError(f"layout value {spec!r} is not understood")


class EmassXlsxExporter:
    key = "emass-xlsx"
    label = "eMASS POA&M workbook (.xlsx)"
    media_type = XLSX_MEDIA_TYPE
    extension = ".xlsx"

    def __init__(self, layout_path: Path | None = None):
        self.layout_path = layout_path

    def write(self, document: PoamDocument, stream: BinaryIO) -> list[str]:
        layout = Layout.load(self.layout_path or LAYOUT)
        warnings: list[str] = []
        writer = _RowWriter(layout, document, warnings)
        sheet.write_package(stream, sheet_name=layout.sheet,
                            widths=[column.width for column in layout.columns],
                            frozen_rows=layout.header_row, last_row=writer.last_row(),
                            date_format=layout.date_format,
                            fill_rgb=_HEADER_FILL_RGB, rows=writer.rows())
        _warn_extra_controls(document.items, warnings)
        return warnings


class _RowWriter:
    """The sheet's rows as XML text: the header block, the column headers, then one row
    per milestone (an item without milestones still gets one)."""

    def __init__(self, layout: Layout, document: PoamDocument, warnings: list[str]):
        self.layout, self.document, self.warnings = layout, document, warnings
        self.letters = sheet.column_letters(max(len(layout.columns), 2))

    def last_row(self) -> int:
        return self.layout.header_row + sum(max(len(item.milestones), 1)
                                            for item in self.document.items)

    def rows(self) -> Iterator[str]:
        number = 0
        for number, (label, spec) in enumerate(self.layout.header_block, start=1):
            value = resolve(spec, None, None, self.document)
            yield sheet.row_xml(number, [text_cell_xml(f"A{number}", sheet.LABEL, label),
                                         self._cell(f"B{number}", value)])
        number = self.layout.header_row
        yield sheet.row_xml(number, [
            text_cell_xml(f"{letter}{number}", sheet.HEADER, column.header)
            for letter, column in zip(self.letters, self.layout.columns)])
        for item in self.document.items:
            for milestone in sorted(item.milestones, key=lambda m: m.sequence) or [None]:
                number += 1
                yield self.item_row(number, item, milestone)

    def item_row(self, number: int, item: PoamItemData, milestone: MilestoneData | None) -> str:
        cells = []
        for letter, column in zip(self.letters, self.layout.columns):
            value = resolve(column.value, item, milestone, self.document)
            if value is None or value == "":
                continue
            cells.append(self._value(f"{letter}{number}", value, item.poam_id, column.header))
        return sheet.row_xml(number, cells)

    def _value(self, ref: str, value: Any, poam_id: str, header: str) -> str:
        if isinstance(value, (date, datetime)):
            return date_cell_xml(ref, sheet.DATE, value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return sheet.number_cell_xml(ref, value)
        text = getattr(value, "label", value) if isinstance(value, Enum) else str(value)
        if len(text) > MAX_CELL_CHARS:
            self.warnings.append(f"{poam_id}: {header} cut to {MAX_CELL_CHARS:,} characters")
            text = text[:MAX_CELL_CHARS - 1]
        return text_cell_xml(ref, sheet.PLAIN, text)  # guarded, an inline string: never a formula

    def _cell(self, ref: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, (date, datetime)):
            return date_cell_xml(ref, sheet.DATE, value)
        return text_cell_xml(ref, sheet.PLAIN, str(value))


def resolve(spec: str, item: PoamItemData | None, milestone: MilestoneData | None,
            document: PoamDocument) -> Any:
    """The value a layout spec names for this item and milestone."""
    if not spec:
        return None
    if spec.startswith("text:"):
        return spec[5:]
    if spec.startswith("transform:"):
        return TRANSFORMS[spec[10:]](item, milestone, document)
    owner_name, _, attribute = spec.partition(".")
    owner = {"item": item, "milestone": milestone, "system": document.system,
             "document": document}[owner_name]
    return None if owner is None else getattr(owner, attribute)


def _warn_extra_controls(items: list[PoamItemData], warnings: list[str]) -> None:
    several = [item.poam_id for item in items if len(item.controls) > 1]
    if several:
        warnings.append(f"{len(several)} item(s) name several controls; eMASS takes one per item, "
                        f"so the others are listed in Comments: {', '.join(several[:10])}")
