"""POA&M -> the official eMASS POA&M workbook of the system's service (data/SOURCES.md).

The shipped template is filled at the XML level (``fedramp_xlsx.package``): on the
"POA&M" sheet the classification banner (A1), the metadata cells of rows 2-6 and one
row per milestone from row 8; one date format is added to the styles for date cells.
Every other part (sheets, shared strings, validations, conditional formats, merged
cells, the Instructions and Example sheets) is the template's own, byte for byte.
Columns are found by their header text on the header row, metadata cells by their label.

Custom document properties are written to docProps/custom.xml beside the template's own:
"OpenPOAM Designation" on every export, and any given as ``custom_properties`` (to the
exporter or to one ``write``), so a signature or checkpoint needs no other change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from importlib.resources import files
from typing import Any, BinaryIO

from lxml import etree
from openpyxl.utils import column_index_from_string

from openpoam.domain import emass_checks
from openpoam.domain.poam import Designation, MilestoneData, PoamDocument, PoamItemData
from openpoam.formats.cells import MAX_CELL_CHARS, excel_serial, inline_text
from openpoam.formats.emass_xlsx import columns as C
from openpoam.formats.checkpoint import XLSX_PROPERTY
from openpoam.formats.emass_xlsx.properties import with_custom_properties
from openpoam.formats.fedramp_xlsx.package import (NS, RowSpool, Sheet, Template, replace_rows,
                                                   set_date, set_text, write_package)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA = files("openpoam.formats.emass_xlsx") / "data"
# --branch -> the shipped template (replace the file to follow a new template).
BRANCHES = {"navy": "NAVY_eMASS_TEMPLATE.xlsx", "army": "ARMY_eMASS_TEMPLATE.xlsx",
            "usmc": "MARINE_CORPS_eMASS_TEMPLATE.xlsx", "legacy": "OLD_eMASS_Template.xlsx"}
BRANCH_LABELS = {"navy": "Navy", "army": "Army", "usmc": "Marine Corps",
                 "legacy": "legacy eMASS layout"}
SHEET = "POA&M"
FIRST_HEADER = "POA&M Item ID"
BANNER = "A1"
INTERNAL_NOTE = " INTERNAL TRACKING - NOT AN OFFICIAL SUBMISSION"
DESIGNATION_PROPERTY = "OpenPOAM Designation"
DATE_FORMAT_ID = "14"  # built-in m/d/yyyy
_Q = f"{{{NS}}}"


def template_bytes(branch: str) -> bytes:
    if branch not in BRANCHES:
        raise ValueError(f"unknown eMASS branch {branch!r} (known: {', '.join(BRANCHES)})")
    return (DATA / BRANCHES[branch]).read_bytes()


@dataclass
class Layout:
    """The template's POA&M sheet as the exporter and importer see it."""

    template: Template
    sheet: Sheet
    columns: list[tuple[str, str, C.Column | None]]  # letter, header, column
    metadata: list[tuple[str, str]]  # value cell ref, label

    @classmethod
    def open(cls, branch: str) -> "Layout":
        template = Template(template_bytes(branch))
        sheet = Sheet.parse(SHEET, template.read(template.sheet_parts[SHEET]), template.shared,
                            first_header=FIRST_HEADER)
        found = [(letter, text.strip(), C.column_for(text))
                 for letter, text in sheet.row_texts(sheet.header_row) if text.strip()]
        return cls(template, sheet, found, _metadata_cells(sheet))

    @property
    def first_data_row(self) -> int:
        return self.sheet.header_row + 1

    @property
    def milestone_letter(self) -> str:
        return next(letter for letter, text, _ in self.columns
                    if C.normal(text) == C.MILESTONE_ID)

    def is_item_column(self, letter: str) -> bool:
        """Left of Milestone ID: written on an item's first row only (the Example sheet)."""
        return column_index_from_string(letter) < column_index_from_string(self.milestone_letter)


def _metadata_cells(sheet: Sheet) -> list[tuple[str, str]]:
    """(value cell, label) for each label in the rows above the header: the value cell is
    the first one right of the label's merged range."""
    merged_end = {}
    for node in sheet.root.iter(f"{_Q}mergeCell"):
        start, _, end = node.get("ref").partition(":")
        merged_end[start] = end or start
    found = []
    for number in range(2, sheet.header_row):
        for letter, text in sheet.row_texts(number):
            if text.strip().endswith(":"):
                end = merged_end.get(f"{letter}{number}", f"{letter}{number}")
                end_letter = "".join(ch for ch in end if ch.isalpha())
                found.append((_letter(column_index_from_string(end_letter) + 1) + str(number),
                              text.strip()))
    return found


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


class EmassXlsxExporter:
    key = "emass-xlsx"
    label = "eMASS POA&M workbook (.xlsx)"
    media_type = XLSX_MEDIA_TYPE
    extension = ".xlsx"
    history = "moves"  # the history it writes: why milestone dates moved (tracker.documents)

    def __init__(self, custom_properties: Mapping[str, str] | None = None):
        self.custom_properties = dict(custom_properties or {})

    def write(self, document: PoamDocument, stream: BinaryIO, *, branch: str | None = None,
              custom_properties: Mapping[str, str] | None = None) -> list[str]:
        """Fill the template of ``branch`` (default: the system's); ``custom_properties``
        are added to the document's custom properties (name -> text)."""
        branch = branch or document.system.emass_branch or "navy"
        layout = Layout.open(branch)
        warnings = [f"the {BRANCH_LABELS[branch]} template has a column {text!r} this "
                    "version does not fill" for _, text, column in layout.columns
                    if column is None]
        filler = _Filler(layout, document, warnings)
        try:
            self._package(filler, layout, document, stream, custom_properties)
        finally:
            filler.spool.close()
        warnings += [f"{issue.poam_id}: {issue.message}" for issue in filler.issues]
        return warnings

    def _package(self, filler: "_Filler", layout: Layout, document: PoamDocument,
                 stream: BinaryIO, custom_properties: Mapping[str, str] | None) -> None:
        replaced = filler.fill()
        # The designation is named in every export: here, and on the banner when internal.
        properties = {DESIGNATION_PROPERTY: document.system.designation.label,
                      **self.custom_properties, **(custom_properties or {})}
        if document.checkpoint:  # the audit trail's signed checkpoint: a property, since the
            # template's Instructions forbid adding sheets (formats/checkpoint.XLSX_PROPERTY)
            properties[XLSX_PROPERTY] = document.checkpoint
        replaced.update(with_custom_properties(layout.template, properties))
        write_package(stream, layout.template, replaced)


class _Filler:
    def __init__(self, layout: Layout, document: PoamDocument, warnings: list[str]):
        self.layout, self.document, self.warnings = layout, document, warnings
        self.styles = _Styles(layout)
        self.spool = RowSpool()
        self.issues: list = []  # the eMASS checks' findings, item by item

    def fill(self) -> dict:
        sheet = self.layout.sheet
        self._banner()
        self._metadata()
        # One pass over the items (read from the tracker in chunks), the rows spooled to a
        # file as they are made: memory does not grow with the POA&M.
        last_row = self.layout.sheet.header_row
        for row_xml in self._rows():
            self.spool.write(row_xml)
            last_row += 1
        part = self.layout.template.sheet_parts[SHEET]
        data = replace_rows(sheet, self.layout.first_data_row,
                            max(sheet.last_template_row, self.layout.first_data_row), self.spool,
                            last_row, grow=False)  # the templates validate whole columns
        replaced = {part: data}
        if self.styles.added:
            replaced["xl/styles.xml"] = self.styles.xml()
        return replaced

    def _banner(self) -> None:
        if self.document.system.designation is Designation.INTERNAL:
            cell = self.layout.sheet.cell(BANNER)
            text = self.layout.sheet.cell_text(cell).rstrip()
            set_text(cell, text + INTERNAL_NOTE)

    def _metadata(self) -> None:
        for ref, label in self.layout.metadata:
            value = C.metadata_value(label, self.document)
            if value is KeyError:
                self.warnings.append(f"the template's metadata label {label!r} is not filled")
                continue
            cell = self.layout.sheet.cell(ref)
            if isinstance(value, date):
                set_date(cell, value, self.styles.date_style(cell.get("s")))
            elif value:
                set_text(cell, str(value))

    def _rows(self) -> Iterator[str]:
        """One ``<row>`` per milestone. A cell's text after its reference is worked out
        once per item for the item's columns and reused on its further milestone rows."""
        number = self.layout.sheet.header_row
        specs = [(letter, column, self.styles.data_style(letter),
                  self.layout.is_item_column(letter))
                 for letter, _, column in self.layout.columns if column is not None]
        document = self.document
        organization = document.system.organization
        for item in document.items:
            self.issues += emass_checks.check_item(item, organization)
            known: dict[str, str] = {}
            milestones = sorted(item.milestones, key=lambda m: m.sequence) or [None]
            for index, milestone in enumerate(milestones):
                number += 1
                parts = []
                for letter, column, style, first_row_only in specs:
                    if first_row_only and index:
                        continue
                    if column.item_level:
                        body = known.get(letter)
                        if body is None:
                            body = known[letter] = self._body(
                                column.value(item, None, document), style, item, letter)
                    else:
                        body = self._body(column.value(item, milestone, document), style, item,
                                          letter)
                    if body:
                        parts.append(f'<c r="{letter}{number}"{body}')
                yield f'<row r="{number}">{"".join(parts)}</row>'

    def _body(self, value: Any, style: str | None, item: PoamItemData, letter: str) -> str:
        """The cell after ``<c r="..."``: style, type, value; "" for an empty cell."""
        if value is None or value == "":
            return ""
        if isinstance(value, (date, datetime)):
            return f' s="{self.styles.date_style(style)}"><v>{excel_serial(value)}</v></c>'
        style_attr = f' s="{style}"' if style else ""
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return f'{style_attr}><v>{value}</v></c>'
        text = value.label if isinstance(value, Enum) else str(value)
        if len(text) > MAX_CELL_CHARS:
            self.warnings.append(f"{item.poam_id}: column {letter} cut to "
                                 f"{MAX_CELL_CHARS:,} characters")
            text = text[:MAX_CELL_CHARS - 1]
        # Guarded, an inline string: never a formula.
        return (f'{style_attr} t="inlineStr"><is><t xml:space="preserve">{inline_text(text)}'
                '</t></is></c>')


class _Styles:
    """Cell styles of the data rows (the template's first data row, else its column
    styles), and a date version of each style, added once to the styles part."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.root = etree.fromstring(layout.template.read("xl/styles.xml"))
        self.xfs = self.root.find(f"{_Q}cellXfs")
        self.dates: dict[str | None, str] = {}
        self.added = False
        self.column_styles = {}
        for col in layout.sheet.root.iter(f"{_Q}col"):
            for index in range(int(col.get("min")), min(int(col.get("max")), 200) + 1):
                self.column_styles[index] = col.get("s") or col.get("style")

    def data_style(self, letter: str) -> str | None:
        first = self.layout.sheet.style(f"{letter}{self.layout.first_data_row}")
        return first or self.column_styles.get(column_index_from_string(letter))

    def date_style(self, style: str | None) -> str:
        if style not in self.dates:
            xfs = list(self.xfs)
            base = xfs[int(style)] if style and int(style) < len(xfs) else xfs[0]
            if base.get("numFmtId") == DATE_FORMAT_ID:
                self.dates[style] = style or "0"
            else:
                clone = etree.fromstring(etree.tostring(base))
                clone.set("numFmtId", DATE_FORMAT_ID)
                clone.set("applyNumberFormat", "1")
                self.xfs.append(clone)
                self.xfs.set("count", str(len(self.xfs)))
                self.added = True
                self.dates[style] = str(len(self.xfs) - 1)
        return self.dates[style]

    def xml(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)
