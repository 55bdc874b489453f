"""Read an eMASS POA&M workbook back: an eMASS export or a filled template, any of the four
service layouts, told apart by the header row.

The sheet is streamed (lxml iterparse, entities and network off) after the package has
passed the upload checks (``fedramp_xlsx.safezip``): a 30,000-row workbook is read in a
few seconds and never held as cell objects. Rows come back as the item rows eMASS means:
an item's first row with its further milestone rows (item columns blank) attached.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import BinaryIO

from lxml import etree

from openpoam.formats.base import FormatError
from openpoam.formats.cells import from_excel_serial, unguard
from openpoam.formats.emass_xlsx import columns as C
from openpoam.formats.emass_xlsx.writer import BRANCHES, FIRST_HEADER, SHEET, Layout
from openpoam.formats.fedramp_xlsx.package import NS, Template
from openpoam.formats.fedramp_xlsx.safezip import ZIP_MAGIC, read_checked

_Q = f"{{{NS}}}"
_CELL, _V, _IS = f"{_Q}c", f"{_Q}v", f"{_Q}is"
HEADER_SEARCH_ROWS = 20
MILESTONE_KEYS = ("milestoneid", "milestonedescription", "milestonestatus",
                  "milestonescheduledcompletiondate", "milestonecompletiondate",
                  "milestonewithcompletiondates")


@dataclass
class EmassMilestone:
    line: int
    sequence: int | None
    description: str
    status: str
    due: date | None
    completed_on: date | None


@dataclass
class EmassRow:
    """One POA&M item as the workbook gives it: cells by normalised header."""

    line: int
    cells: dict[str, object]
    milestones: list[EmassMilestone] = field(default_factory=list)

    def text(self, key: str) -> str:
        value = self.cells.get(key)
        return "" if value is None else str(value).strip()


@dataclass
class EmassWorkbook:
    branch: str
    headers: list[str]  # normalised, in column order
    rows: list[EmassRow]


@cache
def template_headers(branch: str) -> tuple[str, ...]:
    return tuple(C.normal(text) for _, text, _ in Layout.open(branch).columns)


def looks_like_xlsx(head: bytes, filename: str) -> bool:
    return head.startswith(ZIP_MAGIC) and filename.lower().endswith((".xlsx", ".xlsm"))


def is_emass_workbook(stream: BinaryIO, source: str) -> bool:
    """True when the package has a "POA&M" sheet whose header row names POA&M Item ID."""
    try:
        read_workbook(stream, source, header_only=True)
    except FormatError:
        return False
    return True


def read_workbook(stream: BinaryIO, source: str, *, header_only: bool = False) -> EmassWorkbook:
    data = read_checked(stream, source=source)
    try:
        template = Template(data.getvalue())
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise FormatError(f"the .xlsx workbook cannot be read: {exc}", source=source) from None
    if SHEET not in template.sheet_parts:
        raise FormatError(f"no sheet named {SHEET!r}: not an eMASS POA&M workbook",
                          source=source)
    with template.archive.open(template.sheet_parts[SHEET]) as part:
        return _Sheet(template.shared, source).read(part, header_only)


class _Sheet:
    def __init__(self, shared: list[str], source: str):
        self.shared, self.source = shared, source
        self.header_row = 0
        self.letters: dict[str, str] = {}  # letter -> normalised header

    def read(self, part, header_only: bool) -> EmassWorkbook:
        rows: list[EmassRow] = []
        branch, headers = "", []
        parser = etree.iterparse(part, events=("end",), tag=f"{_Q}row", resolve_entities=False,
                                 no_network=True, huge_tree=True)
        for _, row in parser:
            number = int(row.get("r") or 0)
            cells = self._cells(row)
            row.clear()
            if not self.header_row:
                if number > HEADER_SEARCH_ROWS:
                    break
                if any(C.normal(v) == C.normal(FIRST_HEADER) for v in cells.values()):
                    self.header_row = number
                    self.letters = {letter: C.normal(text) for letter, text in cells.items()
                                    if str(text).strip()}
                    headers = list(self.letters.values())
                    branch = self._branch(headers, number)
                    if header_only:
                        break
                continue
            self._add(rows, number, {self.letters[k]: v for k, v in cells.items()
                                     if k in self.letters})
        if not self.header_row:
            raise FormatError(f"the {SHEET!r} sheet has no header row naming {FIRST_HEADER!r} "
                              f"in its first {HEADER_SEARCH_ROWS} rows", source=self.source)
        return EmassWorkbook(branch, headers, rows)

    def _branch(self, headers: list[str], line: int) -> str:
        for branch in BRANCHES:
            if tuple(headers) == template_headers(branch):
                return branch
        raise FormatError("the header row matches none of the eMASS layouts (navy, army, "
                          "usmc, legacy); export a fresh workbook from eMASS or OpenPOAM",
                          source=self.source, line=line)

    def _cells(self, row) -> dict[str, object]:
        found = {}
        for cell in row:
            if cell.tag != _CELL:
                continue
            value = self._value(cell)
            if value is not None and value != "":
                found[(cell.get("r") or "").rstrip("0123456789")] = value
        found.pop("", None)
        return found

    def _value(self, cell) -> object:
        """The cell's value: its children are read directly (this runs per cell)."""
        kind = cell.get("t")
        raw = None
        for child in cell:
            if child.tag == _V:
                raw = child.text
            elif child.tag == _IS:
                return unguard("".join(child.itertext()))
        if raw is None:
            return None
        if kind == "s":
            return unguard(self.shared[int(raw)])
        if kind in ("str", "e", "inlineStr"):
            return unguard(raw)
        if kind == "b":
            return raw == "1"
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number

    def _add(self, rows: list[EmassRow], line: int, cells: dict[str, object]) -> None:
        if not cells:
            return
        item_cells = {k: v for k, v in cells.items() if k not in MILESTONE_KEYS}
        starts_item = bool(cells.get("poamitemid") or cells.get("securitychecks")
                           or cells.get("controlvulnerabilitydescription"))
        if starts_item or not rows:
            rows.append(EmassRow(line, item_cells))
        milestone = self._milestone(line, cells)
        if milestone is not None:
            rows[-1].milestones.append(milestone)

    def _milestone(self, line: int, cells: dict[str, object]) -> EmassMilestone | None:
        text = str(cells.get("milestonedescription") or "").strip()
        due = self._date(cells.get("milestonescheduledcompletiondate"), line)
        done = self._date(cells.get("milestonecompletiondate"), line)
        if not text and cells.get("milestonewithcompletiondates"):  # legacy layout
            text, due, done = _split_dated(str(cells["milestonewithcompletiondates"]))
        if not text and due is None and cells.get("milestoneid") is None:
            return None
        sequence = cells.get("milestoneid")
        return EmassMilestone(line, sequence if isinstance(sequence, int) else None, text,
                              str(cells.get("milestonestatus") or "").strip(), due, done)

    def _date(self, value: object, line: int) -> date | None:
        return cell_date(value, self.source, line)


_US_DAY = r"(\d{1,2}/\d{1,2}/\d{4})"
_DATED = re.compile(rf"^(.*)\({_US_DAY}?(?:;?\s*completed {_US_DAY})?\)\s*$", re.DOTALL)


def _split_dated(text: str) -> tuple[str, date | None, date | None]:
    """The legacy "Milestone with Completion Dates": "description (MM/DD/YYYY)", with
    "; completed MM/DD/YYYY" when done."""
    match = _DATED.match(text.strip())
    if not match or not (match.group(2) or match.group(3)):
        return text.strip(), None, None
    due, done = (_us_date(g) if g else None for g in (match.group(2), match.group(3)))
    return match.group(1).strip(), due, done


def _us_date(text: str) -> date | None:
    try:
        month, day, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    except ValueError:
        return None


def cell_date(value: object, source: str, line: int) -> date | None:
    """A date cell (an Excel serial) or date text (MM/DD/YYYY or YYYY-MM-DD)."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_excel_serial(value)
    text = str(value).strip()
    found = _us_date(text) if "/" in text else None
    if found is None:
        try:
            found = date.fromisoformat(text[:10])
        except ValueError:
            raise FormatError(f"{text!r} is not a date", source=source, line=line) from None
    return found
