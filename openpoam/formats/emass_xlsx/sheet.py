"""A one-sheet xlsx package written as text: the eMASS layout needs four cell styles,
column widths and a frozen header, and a 30,000-row sheet is written in a fraction of
the time openpyxl's cell objects take.

Parts and their content follow ECMA-376 Part 1 (SpreadsheetML): the package
relationships, the workbook with one sheet, a styles part (cellXfs 0 plain,
1 bold wrapped, 2 bold wrapped with a fill, 3 date) and the worksheet, whose text
cells are inline strings (``formats.cells.text_cell_xml``: guarded, never formulas).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from typing import BinaryIO
from xml.sax.saxutils import quoteattr

from openpyxl.utils import get_column_letter

PLAIN, LABEL, HEADER, DATE = "", "1", "2", "3"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
_ROOT_RELS = (
    _DECLARATION + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS = (
    _DECLARATION + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    f'Type="{_REL}/styles" Target="styles.xml"/></Relationships>')


def _workbook(sheet_name: str) -> str:
    return (_DECLARATION + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name={quoteattr(sheet_name)} sheetId="1" r:id="rId1"/></sheets></workbook>')


def _styles(date_format: str, fill_rgb: str) -> str:
    return (
        _DECLARATION + f'<styleSheet xmlns="{_MAIN}">'
        f'<numFmts count="1"><numFmt numFmtId="164" formatCode={quoteattr(date_format)}/>'
        '</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        f'<fill><patternFill patternType="solid"><fgColor rgb="{fill_rgb}"/></patternFill>'
        '</fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="4"><xf/>'
        '<xf fontId="1" applyFont="1" applyAlignment="1"><alignment wrapText="1" '
        'vertical="top"/></xf><xf fontId="1" fillId="2" applyFont="1" applyFill="1" '
        'applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>'
        '<xf numFmtId="164" applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
        '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _sheet_head(widths: list[float], frozen_rows: int, last_row: int) -> str:
    columns = "".join(f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
                      for n, width in enumerate(widths, start=1))
    top = f"A{frozen_rows + 1}"
    end = f"{get_column_letter(max(len(widths), 2))}{last_row}"
    return (_DECLARATION + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<dimension ref="A1:{end}"/><sheetViews>'
            f'<sheetView workbookViewId="0"><pane ySplit="{frozen_rows}" topLeftCell="{top}" '
            f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            f'activeCell="{top}" sqref="{top}"/></sheetView></sheetViews>'
            f'<cols>{columns}</cols><sheetData>')


def write_package(stream: BinaryIO, *, sheet_name: str, widths: list[float], frozen_rows: int,
                  last_row: int, date_format: str, fill_rgb: str, rows: Iterable[str]) -> None:
    """Write the package; ``rows`` are ``<row>`` elements as text, in order, the last
    one numbered ``last_row``."""
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _workbook(sheet_name))
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _styles(date_format, fill_rgb))
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(_sheet_head(widths, frozen_rows, last_row).encode())
            chunk: list[str] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= 500:
                    part.write("".join(chunk).encode())
                    chunk = []
            part.write(("".join(chunk) + "</sheetData></worksheet>").encode())


def row_xml(number: int, cells: list[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def number_cell_xml(ref: str, value: int | float) -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


def column_letters(count: int) -> list[str]:
    return [get_column_letter(n) for n in range(1, count + 1)]

