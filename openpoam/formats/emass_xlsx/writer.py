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
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from openpoam.domain.poam import MilestoneData, PoamDocument, PoamItemData, SystemData
from openpoam.formats.cells import MAX_CELL_CHARS, set_text, xml_text
from openpoam.formats.emass_xlsx.transforms import TRANSFORMS

LAYOUT = files("openpoam.formats.emass_xlsx") / "layout.json"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The records a layout value may name, with an example of each to check field names.
_OWNERS = {"item": PoamItemData("", ""), "milestone": MilestoneData(0, ""),
           "system": SystemData(""), "document": PoamDocument(SystemData(""))}
_HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
_WRAP = Alignment(wrap_text=True, vertical="top")


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
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(layout.sheet)
        for index, column in enumerate(layout.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = f"A{layout.header_row + 1}"
        writer = _RowWriter(sheet, layout, document, warnings)
        writer.header()
        for item in document.items:
            for milestone in sorted(item.milestones, key=lambda m: m.sequence) or [None]:
                writer.item_row(item, milestone)
        workbook.save(stream)
        _warn_extra_controls(document.items, warnings)
        return warnings


class _RowWriter:
    def __init__(self, sheet, layout: Layout, document: PoamDocument, warnings: list[str]):
        self.sheet, self.layout, self.document, self.warnings = sheet, layout, document, warnings

    def header(self) -> None:
        for label, spec in self.layout.header_block:
            value = resolve(spec, None, None, self.document)
            self.sheet.append([self._cell(label, bold=True), self._cell(value)])
        for _ in range(len(self.layout.header_block) + 1, self.layout.header_row):
            self.sheet.append([])
        self.sheet.append([self._cell(column.header, bold=True, fill=True)
                           for column in self.layout.columns])

    def item_row(self, item: PoamItemData, milestone: MilestoneData | None) -> None:
        self.sheet.append([self._value(resolve(column.value, item, milestone, self.document),
                                       item.poam_id, column.header)
                           for column in self.layout.columns])

    def _value(self, value: Any, poam_id: str, header: str) -> Any:
        """A data cell. Plain values where possible: a styled cell costs ten times more."""
        if isinstance(value, (date, datetime)) or value is None or value == "":
            return self._cell(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        text = getattr(value, "label", value) if isinstance(value, Enum) else str(value)
        if len(text) > MAX_CELL_CHARS:
            self.warnings.append(f"{poam_id}: {header} cut to {MAX_CELL_CHARS:,} characters")
            text = text[:MAX_CELL_CHARS - 1]
        safe = xml_text(text)
        # openpyxl makes a formula only of text starting with "="; guarded text never does.
        return safe if not safe.startswith("=") else self._cell(text)

    def _cell(self, value: Any, *, bold: bool = False, fill: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet)
        if isinstance(value, (date, datetime)):
            cell.value = value.date() if isinstance(value, datetime) else value
            cell.number_format = self.layout.date_format
        elif value not in (None, ""):
            set_text(cell, str(value))
        if bold:
            cell.font = Font(bold=True)
            cell.alignment = _WRAP
        if fill:
            cell.fill = _HEADER_FILL
        return cell


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
