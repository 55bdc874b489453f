"""POA&M -> the official FedRAMP POA&M workbook (template v2.1 shipped in data/).

Open items go to "Open POA&M Items", closed ones (completed, risk accepted,
false positive) to "Closed POA&M Items" (completion guide section 2.2). The
header block gets CSP, system name, impact level and POA&M date, plus the
designation ("Internal tracking" / "Official submission") in the next column
and in the printed page header.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import BinaryIO

from openpyxl.utils import column_index_from_string, get_column_letter

from openpoam.domain.poam import PoamDocument, PoamItemData, Risk
from openpoam.formats.cells import MAX_CELL_CHARS, is_too_long
from openpoam.formats.fedramp_xlsx import layout as L
from openpoam.formats.fedramp_xlsx.fields import item_cells
from openpoam.formats.fedramp_xlsx.package import (RowSpool, Sheet, Template, add_page_header,
                                                   date_cell_xml, replace_rows, set_date,
                                                   set_text, text_cell_xml, write_package)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FedrampXlsxExporter:
    key = "fedramp-xlsx"
    label = "FedRAMP POA&M workbook (.xlsx)"
    media_type = XLSX_MEDIA_TYPE
    extension = ".xlsx"

    def write(self, document: PoamDocument, stream: BinaryIO) -> list[str]:
        template = Template(L.TEMPLATE.read_bytes())
        open_sheet = _parse(template, L.OPEN_SHEET)
        styles = _example_styles(open_sheet)
        sheets = [_SheetRows(open_sheet, document, styles),
                  _SheetRows(_parse(template, L.CLOSED_SHEET), document, styles)]
        critical: list[str] = []
        try:
            # One pass over the items (read from the tracker in chunks), each row spooled
            # to its sheet's file as it is made: memory does not grow with the POA&M.
            for item in document.items:
                sheets[item.status.is_closed].add(item)
                if Risk.CRITICAL in (item.original_risk, item.adjusted_risk):
                    critical.append(item.poam_id)
            replaced = {template.sheet_parts[rows.sheet.name]: rows.finish() for rows in sheets}
            write_package(stream, template, replaced, document.checkpoint)
        finally:
            for rows in sheets:
                rows.spool.close()
        warnings = [text for rows in sheets for text in rows.warnings]
        _warn_critical(critical, warnings)
        return warnings


class _SheetRows:
    """One item sheet: its column plan, and its rows spooled as the items come."""

    def __init__(self, sheet: Sheet, document: PoamDocument, styles: dict[str, str | None]):
        self.sheet, self.document, self.warnings = sheet, document, []
        _fill_header_block(sheet, document)
        add_page_header(sheet, document.system.designation.label)
        self.first = _first_item_row(sheet)
        self.plan = _column_plan(sheet, document, styles, self.warnings)
        self.spool, self.count = RowSpool(), 0

    def add(self, item: PoamItemData) -> None:
        self.spool.write(_row_xml(self.plan, self.first + self.count, item, self.document,
                                  self.warnings))
        self.count += 1

    def finish(self):
        last = self.first + self.count - 1
        drop_to = max(last, self.first + L.EXAMPLE_ROWS.get(self.sheet.name, 0) - 1)
        return replace_rows(self.sheet, self.first, drop_to, self.spool, last)


def _parse(template: Template, name: str) -> Sheet:
    return Sheet.parse(name, template.read(template.sheet_parts[name]), template.shared)


def _first_item_row(sheet: Sheet) -> int:
    return sheet.header_row + 1 + L.GUIDANCE_ROWS.get(sheet.name, 0)


def _example_styles(sheet: Sheet) -> dict[str, str | None]:
    """Cell style per column (by header) from the template's example row."""
    row = _first_item_row(sheet)
    return {key: sheet.style(f"{col}{row}") for key, col in sheet.columns.items()}


def _column_plan(sheet: Sheet, document: PoamDocument, styles: dict[str, str | None],
                 warnings: list[str]) -> dict[str, tuple[str, str | None]]:
    """Header -> (column letter, style), found once per sheet by header text."""
    plan, missing = {}, []
    for header in item_cells(PoamItemData("", ""), document.system):
        key = L.normal(header)
        if key in sheet.columns:
            plan[header] = (sheet.columns[key], styles.get(key))
        else:
            missing.append(header)
    if missing:
        warnings.append(f"{sheet.name}: the template has no column {', '.join(missing)}")
    # Excel needs the cells of a row in column order: A..Z, then AA..
    return dict(sorted(plan.items(), key=lambda pair: (len(pair[1][0]), pair[1][0])))


def _fill_header_block(sheet: Sheet, document: PoamDocument) -> None:
    system = document.system
    poam_date = document.generated_at or datetime.now()
    values = {L.CSP: system.organization, L.SYSTEM_NAME: system.name,
              L.IMPACT_LEVEL: system.impact_level, L.POAM_DATE: poam_date.date()
              if isinstance(poam_date, datetime) else poam_date}
    last_label = None
    for label, value in values.items():
        found = sheet.find_label(label)
        if found is None:
            continue
        col, row = found
        cell = sheet.cell(f"{col}{row + 1}")
        if isinstance(value, date):
            set_date(cell, value)
        else:
            set_text(cell, value or "")
        last_label = found
    if last_label is not None:
        _add_designation(sheet, last_label, document.system.designation.label)


def _add_designation(sheet: Sheet, beside: tuple[str, int], label: str) -> None:
    col, row = beside
    target = get_column_letter(column_index_from_string(col) + 1)
    label_style = sheet.style(f"{col}{row}")
    value_style = sheet.style(f"A{row + 1}")
    set_text(sheet.cell(f"{target}{row}"), L.DESIGNATION, label_style)
    set_text(sheet.cell(f"{target}{row + 1}"), label, value_style)


def _row_xml(plan: dict[str, tuple[str, str | None]], number: int, item: PoamItemData,
             document: PoamDocument, warnings: list[str]) -> str:
    values = item_cells(item, document.system)
    cells = []
    for header, (col, style) in plan.items():
        value = values[header]
        if value is None or value == "":
            continue
        if isinstance(value, date):
            cells.append(date_cell_xml(f"{col}{number}", style, value))
            continue
        if is_too_long(value):
            warnings.append(f"{item.poam_id}: {header} cut to {MAX_CELL_CHARS:,} characters "
                            "(the most a spreadsheet cell holds)")
            value = value[:MAX_CELL_CHARS - 1]
        cells.append(text_cell_xml(f"{col}{number}", style, value))
    height = _row_height(values.values())
    return f'<row r="{number}" ht="{height:.1f}" customHeight="1">{"".join(cells)}</row>'


LINE_POINTS = 13.0  # one line of the template's 10-point text
CHARS_PER_LINE = 24  # what the narrowest text columns of the template hold per line
MAX_LINES = 12  # past this a reader opens the cell rather than the row


def _row_height(values) -> float:
    """Spreadsheets do not grow rows for wrapped text on opening; give each row the
    height of its longest cell so every item is readable without resizing."""
    lines = 1
    for value in values:
        if isinstance(value, str) and value:
            count = sum(max(1, -(-len(part) // CHARS_PER_LINE)) for part in value.split("\n"))
            lines = max(lines, count)
    return LINE_POINTS * min(lines, MAX_LINES)


def _warn_critical(critical: list[str], warnings: list[str]) -> None:
    """``critical``: the POAM IDs of the items rated Critical."""
    if critical:
        shown = ", ".join(critical[:10]) + (" ..." if len(critical) > 10 else "")
        warnings.append(f"{len(critical)} item(s) rated Critical are written as High (the "
                        f"template lists Low, Moderate, High): {shown}")
