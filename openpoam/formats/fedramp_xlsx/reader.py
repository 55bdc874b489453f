"""A filled FedRAMP POA&M workbook -> PoamDocument.

``read_with_warnings()`` returns a ``WorkbookReadResult``: the document and a
list of row warnings ("Open POA&M Items row 9, column 'Status Date': ...") for
every value it could not take; ``read()`` returns the document alone. Fatal
problems (not a workbook, a zip bomb, no item sheet, no "POAM ID" header)
raise ``FormatError`` naming the sheet, row and column.

Items on "Open POA&M Items" are read as open; on "Closed POA&M Items" as
completed (or false positive when the False Positive column says Yes), with
the Status Date as the completion date. The workbook does not record when or
by whom a milestone date changed: those changes get the item's Status Date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

import openpyxl
from openpyxl.utils.escape import unescape

from openpoam.domain.poam import (Designation, Framework, PoamDocument, PoamItemData, Risk,
                                  Status, SystemData)
from openpoam.formats.base import FormatError
from openpoam.formats.cells import from_excel_serial, unguard
from openpoam.formats.fedramp_xlsx import fields as F
from openpoam.formats.fedramp_xlsx import layout as L
from openpoam.formats.fedramp_xlsx.safezip import ZIP_MAGIC, read_checked
from openpoam.formats.poam_ids import first_of_each_id

MAX_ROWS = 200_000
_FRAMEWORKS = {"low": Framework.FEDRAMP_LOW, "moderate": Framework.FEDRAMP_MODERATE,
               "high": Framework.FEDRAMP_HIGH}


@dataclass
class WorkbookReadResult:
    document: PoamDocument
    warnings: list[str] = field(default_factory=list)


class FedrampXlsxImporter:
    key = "fedramp-xlsx"
    label = "FedRAMP POA&M workbook (.xlsx)"
    streams_items = False

    def sniff(self, head: bytes, filename: str) -> bool:
        # Zip local headers are not compressed: the first part names show through.
        return head.startswith(ZIP_MAGIC) and filename.lower().endswith((".xlsx", ".xlsm"))

    def read(self, stream: BinaryIO, *, source: str) -> PoamDocument:
        return self.read_with_warnings(stream, source=source).document

    def read_with_warnings(self, stream: BinaryIO, *, source: str) -> WorkbookReadResult:
        checked = read_checked(stream, source=source)
        try:
            workbook = openpyxl.load_workbook(checked, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged package
            raise FormatError(f"the .xlsx workbook cannot be read: {exc}", source=source) from None
        try:
            return _read_workbook(workbook, source)
        finally:
            workbook.close()


def _read_workbook(workbook, source: str) -> WorkbookReadResult:
    sheets = [name for name in (L.OPEN_SHEET, L.CLOSED_SHEET) if name in workbook.sheetnames]
    if not sheets:
        raise FormatError(f"no sheet named {L.OPEN_SHEET!r} or {L.CLOSED_SHEET!r}; is this the "
                          "FedRAMP POA&M template?", source=source)
    warnings: list[str] = []
    document = None
    placed: list[tuple[PoamItemData, str]] = []
    for name in sheets:
        reader = _SheetReader(workbook[name], name, source, warnings)
        if document is None:
            document = reader.document()
        placed += reader.items(closed=name == L.CLOSED_SHEET, when=document.generated_at)
    document.items.extend(first_of_each_id(placed, source=source, warnings=warnings))
    return WorkbookReadResult(document, warnings)


class _SheetReader:
    def __init__(self, sheet, name: str, source: str, warnings: list[str]):
        self.name, self.source, self.warnings = name, source, warnings
        self.rows = self._load(sheet)
        self.header_row = self._find_header_row()
        header = self.rows[self.header_row - 1]
        self.columns = {L.normal(text): index for index, text in enumerate(header) if text}
        for required in L.REQUIRED_COLUMNS:
            if L.normal(required) not in self.columns:
                raise FormatError(f"sheet {self.name!r} row {self.header_row} has no "
                                  f"{required!r} column", source=source, line=self.header_row,
                                  field=required)

    def _load(self, sheet) -> list[tuple]:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise FormatError(f"sheet {self.name!r} has more than {MAX_ROWS:,} rows",
                                  source=self.source)
        return rows

    def _find_header_row(self) -> int:
        for number, row in enumerate(self.rows[:L.HEADER_SEARCH_ROWS], start=1):
            if any(L.normal(value) == L.normal(L.POAM_ID) for value in row):
                return number
        raise FormatError(f"sheet {self.name!r} has no {L.POAM_ID!r} header in its first "
                          f"{L.HEADER_SEARCH_ROWS} rows", source=self.source, field=L.POAM_ID)

    # --- header block ---

    def document(self) -> PoamDocument:
        labels = self._header_block()
        impact = self._text(labels.get(L.normal(L.IMPACT_LEVEL)))
        system = SystemData(name=self._text(labels.get(L.normal(L.SYSTEM_NAME))),
                            organization=self._text(labels.get(L.normal(L.CSP))),
                            impact_level=impact)
        system.framework = _FRAMEWORKS.get(impact.lower(), Framework.RMF)
        designation = self._text(labels.get(L.normal(L.DESIGNATION))).lower()
        system.designation = (Designation.OFFICIAL if designation == "official submission"
                              else Designation.INTERNAL)
        poam_date = self._date_or_none(labels.get(L.normal(L.POAM_DATE)), L.POAM_DATE, 3)
        return PoamDocument(system=system, generated_at=F.midnight(poam_date))

    def _header_block(self) -> dict[str, Any]:
        """Label -> the value under it, from the rows above the item header."""
        values = {}
        for index in range(self.header_row - 2):
            row, below = self.rows[index], self.rows[index + 1]
            for column, label in enumerate(row):
                key = L.normal(label)
                if key in {L.normal(name) for name in (L.CSP, L.SYSTEM_NAME, L.IMPACT_LEVEL,
                                                       L.POAM_DATE, L.DESIGNATION)}:
                    values[key] = below[column] if column < len(below) else None
        return {key: (None if L.normal(value) in L.PLACEHOLDERS else value)
                for key, value in values.items()}

    # --- items ---

    def items(self, *, closed: bool, when: datetime | None) -> list[tuple[PoamItemData, str]]:
        """The sheet's items, each with its place ("Open POA&M Items row 9")."""
        items = []
        for number in range(self.header_row + 1, len(self.rows) + 1):
            row = self.rows[number - 1]
            poam_id = self._text(self._value(row, L.POAM_ID))
            if L.normal(poam_id) in L.GUIDANCE_IDS or not any(_filled(value) for value in row):
                continue
            if not poam_id:
                if self._text(self._value(row, L.WEAKNESS_NAME)):
                    self._warn(number, L.POAM_ID, "the row has no POAM ID and was skipped")
                continue
            items.append((self._item(row, number, closed, when), f"{self.name} row {number}"))
        return items

    def _item(self, row: tuple, number: int, closed: bool, when: datetime | None) -> PoamItemData:
        cell = lambda header: self._text(self._value(row, header))  # noqa: E731
        day = lambda header: self._date_or_none(self._value(row, header), header, number)  # noqa
        item = PoamItemData(poam_id=cell(L.POAM_ID), title=cell(L.WEAKNESS_NAME))
        if item.poam_id == L.EXAMPLE_POAM_ID:
            self._warn(number, L.POAM_ID, "this is the template's example row")
        item.weakness_description = cell(L.WEAKNESS_DESCRIPTION)
        item.source, item.source_detail = F.parse_source(cell(L.DETECTOR_SOURCE))
        item.source_identifier = cell(L.SOURCE_IDENTIFIER)
        item.controls = F.parse_controls(cell(L.CONTROLS))
        item.assets = F.parse_assets(cell(L.ASSET_IDENTIFIER))
        item.owner, item.owner_email = F.parse_contact(cell(L.POINT_OF_CONTACT))
        item.resources_required = cell(L.RESOURCES_REQUIRED)
        item.planned_remediation = cell(L.REMEDIATION_PLAN)
        item.detected_on, item.scheduled_completion = day(L.DETECTION_DATE), day(
            L.SCHEDULED_COMPLETION)
        item.status_date = day(L.STATUS_DATE)
        item.vendor_dependency = self._yes(row, L.VENDOR_DEPENDENCY, number)
        item.vendor_last_checkin = day(L.VENDOR_CHECKIN)
        item.vendor_product = cell(L.VENDOR_PRODUCT)
        self._read_risk(item, row, number)
        item.false_positive = self._yes(row, L.FALSE_POSITIVE, number)
        item.operational_requirement = self._yes(row, L.OPERATIONAL_REQUIREMENT, number)
        item.risk_adjustment_rationale, item.deviation_rationale = F.parse_deviation(
            cell(L.DEVIATION_RATIONALE))
        item.evidence = F.parse_documents(cell(L.SUPPORTING_DOCUMENTS))
        item.comments = cell(L.COMMENTS)
        item.kev = self._yes(row, L.BOD_TRACKING, number)
        item.kev_due = day(L.BOD_DUE_DATE)
        item.cves = F.parse_list(cell(L.CVE))
        changed = F.midnight(item.status_date) or when or F.midnight(date.today())
        item.milestones, problems = F.parse_milestones(cell(L.PLANNED_MILESTONES),
                                                       cell(L.MILESTONE_CHANGES), changed)
        for problem in problems:
            self._warn(number, L.PLANNED_MILESTONES, problem)
        if closed:
            item.status = Status.FALSE_POSITIVE if item.false_positive else Status.COMPLETED
            item.actual_completion = item.status_date
        return item

    def _read_risk(self, item: PoamItemData, row: tuple, number: int) -> None:
        original = self._text(self._value(row, L.ORIGINAL_RISK))
        try:
            item.original_risk = F.parse_rating(original)
        except F.CellProblem as exc:
            self._warn(number, L.ORIGINAL_RISK, f"{exc}; Moderate assumed")
            item.original_risk = Risk.MODERATE
        adjusted = self._text(self._value(row, L.ADJUSTED_RISK))
        approval = self._answer(row, L.RISK_ADJUSTMENT, number)
        if not adjusted or adjusted.upper() == "N/A":
            return
        if approval == "yes" or not self._text(self._value(row, L.RISK_ADJUSTMENT)):
            try:
                item.adjusted_risk = F.parse_rating(adjusted)
            except F.CellProblem as exc:
                self._warn(number, L.ADJUSTED_RISK, str(exc))
            return
        self._warn(number, L.ADJUSTED_RISK, f"the adjustment to {adjusted!r} is not approved "
                                            f"(Risk Adjustment is {approval!r}); not applied")

    def _yes(self, row: tuple, header: str, number: int) -> bool:
        answer = self._answer(row, header, number)
        if answer == "pending":
            self._warn(number, header, "'Pending' is read as No: OpenPOAM records approved "
                                       "deviations only")
        return answer == "yes"

    def _answer(self, row: tuple, header: str, number: int) -> str:
        try:
            return F.parse_yes_no(self._text(self._value(row, header)))
        except F.CellProblem as exc:
            self._warn(number, header, f"{exc}; read as No")
            return "no"

    # --- cells ---

    def _value(self, row: tuple, header: str) -> Any:
        index = self.columns.get(L.normal(header))
        return row[index] if index is not None and index < len(row) else None

    @staticmethod
    def _text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a plugin ID typed as a number
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        if not isinstance(value, str):
            return str(value)
        # OOXML writes "_xHHHH_" for characters XML cannot hold; openpyxl leaves it as is.
        return unguard(unescape(value) if "_x" in value else value)

    def _date_or_none(self, value: Any, header: str, number: int) -> date | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, (int, float)) and 1 <= value < 2_958_466:  # Excel's serial range
            return from_excel_serial(value)
        try:
            return F.parse_date_text(str(value))
        except F.CellProblem as exc:
            self._warn(number, header, str(exc))
            return None

    def _warn(self, number: int, header: str, message: str) -> None:
        self.warnings.append(f"{self.source}: {self.name} row {number}, column {header!r}: "
                             f"{message}")


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""
