"""Fill the official template at the XML level, keeping everything else byte for byte.

Rewriting the template through openpyxl loses parts it does not model and takes
seconds on the template's 4,000 pre-formatted rows; here only the two item
sheets are edited: header block cells, the item rows (inline strings, never
formulas), and the row bounds of data validations and conditional formats when
the items outgrow the template. Data validation lists, conditional formats,
column widths, frozen panes and the styles stay the template's own.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from lxml import etree
from openpyxl.formula.translate import Translator
from openpyxl.utils import column_index_from_string

from openpoam.formats.cells import date_cell_xml, excel_serial, text_cell_xml, xml_text
from openpoam.formats.fedramp_xlsx import checkpoint_sheet
from openpoam.formats.fedramp_xlsx import layout as L

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CALC_CHAIN = "xl/calcChain.xml"
ROWS_MARK = "openpoam-item-rows"
_Q = f"{{{NS}}}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_RANGE_END = re.compile(r"([A-Z]+\d+:[A-Z]+)(\d+)")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def _col_row(ref: str) -> tuple[str, int]:
    match = _CELL_REF.match(ref)
    assert match, ref
    return match.group(1), int(match.group(2))


class Template:
    """The template package: its parts, shared strings and sheet part names."""

    def __init__(self, data: bytes):
        self.archive = zipfile.ZipFile(BytesIO(data))
        self.shared = self._shared_strings()
        self.sheet_parts = self._sheet_parts()

    def read(self, name: str) -> bytes:
        return self.archive.read(name)

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.archive.namelist():
            return []
        root = _xml(self.read("xl/sharedStrings.xml"))
        return ["".join(si.itertext()) for si in root.iter(f"{_Q}si")]

    def _sheet_parts(self) -> dict[str, str]:
        rels = _xml(self.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        parts = {}
        for sheet in _xml(self.read("xl/workbook.xml")).iter(f"{_Q}sheet"):
            target = targets[sheet.get(f"{{{REL_NS}}}id")]
            absolute = target.startswith("/")
            parts[sheet.get("name")] = target.lstrip("/") if absolute else f"xl/{target}"
        return parts


@dataclass
class Sheet:
    """One item sheet parsed for editing."""

    name: str
    root: etree._Element
    shared: list[str]
    rows: dict[int, etree._Element] = field(default_factory=dict)
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # normal(header) -> letter
    last_template_row: int = 0

    @classmethod
    def parse(cls, name: str, data: bytes, shared: list[str],
              first_header: str = L.POAM_ID) -> "Sheet":
        sheet = cls(name, _xml(data), shared)
        sheet.rows = {int(row.get("r")): row for row in sheet.data.iter(f"{_Q}row")}
        sheet.last_template_row = max(sheet.rows, default=0)
        sheet.header_row = sheet._find_header_row(first_header)
        sheet.columns = {L.normal(text): col for col, text in sheet.row_texts(sheet.header_row)
                         if text}
        return sheet

    @property
    def data(self) -> etree._Element:
        return self.root.find(f"{_Q}sheetData")

    def cell_text(self, cell: etree._Element) -> str:
        kind = cell.get("t")
        if kind == "inlineStr":
            return "".join(cell.find(f"{_Q}is").itertext())
        value = cell.findtext(f"{_Q}v") or ""
        return self.shared[int(value)] if kind == "s" and value else value

    def row_texts(self, number: int) -> list[tuple[str, str]]:
        row = self.rows.get(number)
        if row is None:
            return []
        return [(_col_row(cell.get("r"))[0], self.cell_text(cell)) for cell in row]

    def _find_header_row(self, first_header: str) -> int:
        for number in range(1, L.HEADER_SEARCH_ROWS + 1):
            if any(L.normal(text) == L.normal(first_header) for _, text in self.row_texts(number)):
                return number
        raise ValueError(f"the template sheet {self.name!r} has no {first_header!r} header")

    def find_label(self, label: str) -> tuple[str, int] | None:
        for number in range(1, self.header_row):
            for col, text in self.row_texts(number):
                if L.normal(text) == L.normal(label):
                    return col, number
        return None

    def cell(self, ref: str) -> etree._Element:
        """The cell element at ``ref``, created in column order when missing."""
        col, number = _col_row(ref)
        row = self.rows.get(number)
        if row is None:
            row = etree.SubElement(self.data, f"{_Q}row", r=str(number))
            self.rows[number] = row
        index = column_index_from_string(col)
        for position, cell in enumerate(row):
            other = column_index_from_string(_col_row(cell.get("r"))[0])
            if other == index:
                return cell
            if other > index:
                new = etree.Element(f"{_Q}c", r=ref)
                row.insert(position, new)
                return new
        return etree.SubElement(row, f"{_Q}c", r=ref)

    def style(self, ref: str) -> str | None:
        col, number = _col_row(ref)
        row = self.rows.get(number)
        for cell in row if row is not None else ():
            if cell.get("r") == ref:
                return cell.get("s")
        return None


def set_text(cell: etree._Element, text: str, style: str | None = None) -> None:
    _clear(cell, style)
    cell.set("t", "inlineStr")
    node = etree.SubElement(etree.SubElement(cell, f"{_Q}is"), f"{_Q}t")
    node.text = xml_text(text)
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def set_date(cell: etree._Element, day: date, style: str | None = None) -> None:
    _clear(cell, style)
    etree.SubElement(cell, f"{_Q}v").text = str(excel_serial(day))


def _clear(cell: etree._Element, style: str | None) -> None:
    for child in list(cell):
        cell.remove(child)
    cell.attrib.pop("t", None)
    if style is not None:
        cell.set("s", style)


class RowSpool:
    """The item rows of a sheet as they are made, in a temporary file rather than one
    string: a workbook of 100,000 items is hundreds of MB of row XML."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(prefix="openpoam-rows-")
        self._pending: list[str] = []
        self._size = 0

    def write(self, row_xml: str) -> None:
        self._pending.append(row_xml)
        self._size += len(row_xml)
        if self._size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.file.write("".join(self._pending).encode("utf-8"))
            self._pending, self._size = [], 0

    def close(self) -> None:
        self.file.close()


@dataclass
class StreamedPart:
    """A package part written from its head, the spooled rows and its tail."""

    head: bytes
    rows: RowSpool
    tail: bytes

    def write_to(self, out) -> None:
        out.write(self.head)
        self.rows.flush()
        self.rows.file.seek(0)
        shutil.copyfileobj(self.rows.file, out, 1 << 20)
        out.write(self.tail)


def replace_rows(sheet: Sheet, first: int, drop_to: int, rows_xml: "str | RowSpool",
                 last_row: int, grow: bool = True) -> "bytes | StreamedPart":
    """Swap template rows ``first..drop_to`` for ``rows_xml``; return the sheet part
    (a ``StreamedPart`` when the rows are spooled).
    ``grow``: stretch validations and formats that end on the template's last row."""
    dropped = {n: row for n, row in sheet.rows.items() if first <= n <= drop_to}
    masters = _shared_masters(dropped.values())
    for row in dropped.values():
        sheet.data.remove(row)
    kept_after = [row for n, row in sorted(sheet.rows.items()) if n > drop_to]
    _promote_shared_formulas(kept_after, masters)
    mark = etree.Comment(ROWS_MARK)
    if kept_after:
        kept_after[0].addprevious(mark)
    else:
        sheet.data.append(mark)
    _grow_ranges(sheet, last_row, grow)
    data = etree.tostring(sheet.root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if isinstance(rows_xml, RowSpool):
        head, _, tail = data.partition(f"<!--{ROWS_MARK}-->".encode())
        return StreamedPart(head, rows_xml, tail)
    return data.replace(f"<!--{ROWS_MARK}-->".encode(), rows_xml.encode("utf-8"), 1)


def _shared_masters(rows) -> dict[str, tuple[str, str, str]]:
    """si -> (formula, master cell, range) of shared formulas whose master is dropped."""
    masters = {}
    for row in rows:
        for formula in row.iter(f"{_Q}f"):
            if formula.get("t") == "shared" and formula.text:
                masters[formula.get("si")] = (formula.text, formula.getparent().get("r"),
                                              formula.get("ref"))
    return masters


def _promote_shared_formulas(rows, masters: dict[str, tuple[str, str, str]]) -> None:
    """Give each orphaned shared-formula group a new master on its first kept cell."""
    for row in rows:
        for formula in row.iter(f"{_Q}f"):
            si = formula.get("si")
            if formula.get("t") != "shared" or formula.text or si not in masters:
                continue
            text, origin, ref = masters.pop(si)
            target = formula.getparent().get("r")
            formula.text = Translator("=" + text, origin=origin).translate_formula(target)[1:]
            formula.set("ref", f"{target}:{ref.split(':')[-1]}")


def _grow_ranges(sheet: Sheet, last_row: int, grow: bool = True) -> None:
    """Stretch validation and formatting ranges that end on the template's last row."""
    dimension = sheet.root.find(f"{_Q}dimension")
    end = max(last_row, sheet.last_template_row)
    if dimension is not None:
        start, _, finish = dimension.get("ref").partition(":")
        col = _col_row(finish)[0] if finish else "A"
        dimension.set("ref", f"{start}:{col}{end}")
    if last_row <= sheet.last_template_row or not grow:
        return
    for tag in ("conditionalFormatting", "dataValidation"):
        for node in sheet.root.iter(f"{_Q}{tag}"):
            node.set("sqref", _RANGE_END.sub(
                lambda m: m.group(1) + (str(last_row) if int(m.group(2)) == sheet.last_template_row
                                        else m.group(2)), node.get("sqref")))


def add_page_header(sheet: Sheet, text: str) -> None:
    """Print the designation at the top of every page (the guidance's marking rule)."""
    for old in sheet.root.findall(f"{_Q}headerFooter"):
        sheet.root.remove(old)
    node = etree.Element(f"{_Q}headerFooter")
    etree.SubElement(node, f"{_Q}oddHeader").text = "&C" + text.replace("&", "&&")
    anchor = None
    for tag in ("printOptions", "pageMargins", "pageSetup"):
        found = sheet.root.find(f"{_Q}{tag}")
        anchor = found if found is not None else anchor
    if anchor is not None:
        anchor.addnext(node)
    else:
        sheet.root.append(node)


def package(template: Template, replaced: dict, checkpoint: str = "") -> bytes:
    """The template with ``replaced`` parts, without its (now stale) calculation chain, and
    with the audit trail's ``checkpoint`` in a sheet of its own when there is one."""
    out = BytesIO()
    write_package(out, template, replaced, checkpoint)
    return out.getvalue()


def write_package(stream, template: Template, replaced: dict, checkpoint: str = "") -> None:
    """``package`` written to ``stream`` as it is made; a replaced part is bytes or a
    ``StreamedPart`` (copied from its spool, never held whole). A stream that cannot
    seek gets the finished package from a temporary file, so the bytes are the same."""
    if not _seekable(stream):
        with tempfile.TemporaryFile(prefix="openpoam-xlsx-") as spool:
            write_package(spool, template, replaced, checkpoint)
            spool.seek(0)
            shutil.copyfileobj(spool, stream, 1 << 20)
        return
    has_chain = CALC_CHAIN in template.archive.namelist()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for info in template.archive.infolist():
            name = info.filename
            if name == CALC_CHAIN:
                continue  # Excel rebuilds it; a stale one names cells that are no formulas now
            data = replaced.get(name)
            if isinstance(data, StreamedPart):
                with archive.open(_entry(info), "w") as part:
                    data.write_to(part)
                continue
            if data is None:
                data = template.read(name)
                if not has_chain:
                    pass  # nothing to unlink: the part stays byte for byte
                elif name == "xl/_rels/workbook.xml.rels":
                    data = _without_calc_chain_rel(data)
                elif name == "[Content_Types].xml":
                    data = data.replace(b'<Override PartName="/xl/calcChain.xml" ContentType='
                                        b'"application/vnd.openxmlformats-officedocument.'
                                        b'spreadsheetml.calcChain+xml"/>', b"")
            if checkpoint:
                data = checkpoint_sheet.add_to_part(name, data)
            archive.writestr(_entry(info), data)
        if checkpoint:
            archive.writestr(_entry(zipfile.ZipInfo(checkpoint_sheet.PART)),
                             checkpoint_sheet.sheet_xml(checkpoint))


def _seekable(stream) -> bool:
    try:
        return stream.seekable() and stream.tell() >= 0
    except (AttributeError, OSError, ValueError):
        return False


def _entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def _without_calc_chain_rel(data: bytes) -> bytes:
    root = _xml(data)
    for rel in list(root):
        if rel.get("Type", "").endswith("/calcChain"):
            root.remove(rel)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
