import io
import zipfile
from datetime import date

import openpyxl
import pytest

from openpoam.domain.poam import Risk, Status
from openpoam.formats.base import FormatError
from openpoam.formats.fedramp_xlsx import FedrampXlsxExporter, FedrampXlsxImporter, safezip
from openpoam.formats.fedramp_xlsx.layout import TEMPLATE
from tests.formats import hazards
from tests.formats.fedramp_xlsx.fixture import HOSTILE_TITLE, rich_document

# TEMPLATE is the package's own copy of FedRAMP's template (data/SOURCES.md): its example
# row is a workbook FedRAMP wrote, so these tests need nothing outside the clone.


def export(document) -> bytes:
    buffer = io.BytesIO()
    FedrampXlsxExporter().write(document, buffer)
    return buffer.getvalue()


def read(data: bytes, source: str = "poam.xlsx"):
    return FedrampXlsxImporter().read_with_warnings(io.BytesIO(data), source=source)


def workbook_view(item):
    """What the workbook holds of an item: the fields it has a column for."""
    return dict(
        poam_id=item.poam_id, title=item.title, description=item.weakness_description,
        detector=item.source_detail or item.source.label, identifier=item.source_identifier,
        controls=[ref.control_id for ref in item.controls],
        assets=[(a.name, a.port, a.protocol) for a in item.assets],
        owner=(item.owner, item.owner_email), resources=item.resources_required,
        plan=item.planned_remediation, detected=item.detected_on,
        scheduled=item.scheduled_completion, status_date=item.status_date,
        closed=item.status.is_closed, vendor=(item.vendor_dependency, item.vendor_last_checkin,
                                              item.vendor_product),
        risk=(item.original_risk, item.adjusted_risk, item.risk_adjustment_rationale),
        deviation=(item.false_positive, item.operational_requirement, item.deviation_rationale),
        documents=[(e.description, e.name, e.url) for e in item.evidence],
        comments=item.comments, kev=(item.kev, item.kev_due), cves=item.cves,
        milestones=[(m.sequence, m.description, m.original_due, m.current_due, m.completed_on,
                     [(c.old_due, c.new_due, c.justification) for c in m.changes])
                    for m in item.milestones])


@pytest.fixture(scope="module")
def exported() -> bytes:
    return export(rich_document())


def test_it_reads_back_every_field_the_workbook_has(exported):
    document = rich_document()
    result = read(exported)
    assert result.warnings == []
    assert [workbook_view(i) for i in result.document.items] == [
        workbook_view(i) for i in document.items]
    system = result.document.system
    assert (system.name, system.organization, system.impact_level, system.framework,
            system.designation) == ("Example Cloud Service", "Example CSP Inc.", "Moderate",
                                    document.system.framework, document.system.designation)
    assert result.document.generated_at.date() == date(2026, 3, 15)


def test_it_round_trips_export_import_export(exported):
    again = export(read(exported).document)
    first = openpyxl.load_workbook(io.BytesIO(exported), read_only=True)
    second = openpyxl.load_workbook(io.BytesIO(again), read_only=True)
    for name in ("Open POA&M Items", "Closed POA&M Items"):
        rows = lambda book: list(book[name].iter_rows(max_row=12, values_only=True))  # noqa
        assert rows(first) == rows(second)


def test_it_removes_the_formula_guard(exported):
    item = read(exported).document.items[0]
    assert item.title == HOSTILE_TITLE and item.comments == "=1+1"


def test_it_reads_closed_items_as_closed(exported):
    items = {item.poam_id: item for item in read(exported).document.items}
    assert items["POAM-2025-0042"].status is Status.COMPLETED
    assert items["POAM-2025-0042"].actual_completion == date(2025, 10, 1)
    assert items["POAM-2025-0043"].status is Status.FALSE_POSITIVE
    assert items["POAM-2026-0001"].status is Status.OPEN


def test_it_reads_the_templates_example_row():
    result = read(TEMPLATE.read_bytes(), "template.xlsx")
    [item] = result.document.items
    assert item.poam_id == "V-1Example" and item.source_identifier == "12345"
    assert [(a.name, a.port, a.protocol) for a in item.assets] == [
        ("172.246.15.3", "80", "TCP"), ("http://vuln.gov/queries", "", ""),
        ("172.246.16.17", "80", "tcp")]
    assert [(m.sequence, m.original_due, m.current_due) for m in item.milestones] == [
        (1, date(2014, 5, 23), date(2014, 5, 23)), (2, date(2014, 6, 12), date(2014, 6, 18)),
        (3, date(2014, 6, 13), date(2014, 6, 13))]
    assert item.milestones[1].changes[0].justification.startswith("That milestone was delayed")
    assert (item.original_risk, item.adjusted_risk) == (Risk.HIGH, Risk.MODERATE)
    assert item.risk_adjustment_rationale.startswith("The example firewall")
    assert item.deviation_rationale == "The port is needed for service example."
    assert item.kev and item.kev_due == date(2021, 8, 5)
    assert any("example row" in warning for warning in result.warnings)
    assert any("Operational Requirement" in w and "Pending" in w for w in result.warnings)
    assert result.document.system.name == ""  # the "Text" placeholder is no name


def _small_workbook(rows: list[list]) -> bytes:
    """A hand-made workbook: header on row 5 like the template, items below."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Open POA&M Items"
    sheet.append(["FedRAMP POA&M"])
    sheet.append(["CSP", "System Name", "Impact Level", "POAM Date"])
    sheet.append(["Acme", "Acme Cloud", "High", date(2026, 1, 1)])
    sheet.append([])
    sheet.append(["POAM ID", "Weakness Name", "Original Detection Date", "Original Risk Rating",
                  "Planned Milestones", "False Positive"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_it_reads_hostile_and_empty_cells_of_a_hand_made_workbook():
    data = _small_workbook([
        ["V-1", hazards.MARKUP, date(2026, 10, 1), "High", f"(1) 2026-11-01: {hazards.SCRIPT}",
         "No"],
        ["V-2", hazards.NON_ASCII, None, None, None, None],
        ["V-3", "A" * 32_000, date(2026, 10, 1), "Low", None, None],  # Excel's cell limit
    ])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Open POA&M Items"]
    sheet["B9"] = hazards.FORMULA  # typed as text by another tool: a string cell
    sheet["B9"].data_type = "s"
    sheet["A9"] = "V-4"
    buffer = io.BytesIO()
    book.save(buffer)
    result = read(buffer.getvalue(), "hand.xlsx")
    items = {i.poam_id: i for i in result.document.items}
    assert items["V-1"].title == hazards.MARKUP
    assert items["V-1"].milestones[0].description == hazards.SCRIPT
    assert items["V-2"].title == hazards.NON_ASCII and items["V-2"].detected_on is None
    assert len(items["V-3"].title) == 32_000
    assert items["V-4"].title == hazards.FORMULA  # data, never evaluated
    # An empty required rating is named with its sheet, row and column, not guessed silently.
    assert any("row 7" in w and "Original Risk Rating" in w for w in result.warnings)


def test_it_reports_bad_cells_row_by_row():
    data = _small_workbook([
        ["V-1", "Good row", date(2026, 1, 2), "Low", "(1) 2026-02-01: Patch", "No"],
        ["V-2", "Bad row", "last tuesday", "Severe", "patch soon", "Maybe"],
        [None, "No identifier", None, "Low", None, None],
    ])
    result = read(data)
    assert [item.poam_id for item in result.document.items] == ["V-1", "V-2"]
    assert result.document.system.framework.value == "fedramp-high"
    warnings = "\n".join(result.warnings)
    assert "Open POA&M Items row 7, column 'Original Detection Date'" in warnings
    assert "row 7, column 'Original Risk Rating'" in warnings
    assert "row 7, column 'Planned Milestones'" in warnings
    assert "row 7, column 'False Positive'" in warnings
    assert "row 8, column 'POAM ID'" in warnings


def test_it_keeps_the_first_of_two_rows_with_one_poam_id_and_names_both():
    data = _small_workbook([
        ["V-1", "First", date(2026, 1, 2), "Low", None, "No"],
        ["V-2", "Other", date(2026, 1, 2), "Low", None, "No"],
        [" V-1 ", "Second", date(2026, 1, 3), "High", None, "No"],
    ])
    result = read(data, "dup.xlsx")
    assert [(i.poam_id, i.title) for i in result.document.items] == [("V-1", "First"),
                                                                      ("V-2", "Other")]
    assert result.warnings == ["dup.xlsx: Open POA&M Items row 8 repeats POAM ID 'V-1' of "
                               "Open POA&M Items row 6; the first was kept, this one skipped"]


def test_it_names_the_sheets_of_an_id_both_open_and_closed():
    book = openpyxl.load_workbook(io.BytesIO(_small_workbook([
        ["V-1", "Open one", date(2026, 1, 2), "Low", None, "No"]])))
    closed = book.copy_worksheet(book["Open POA&M Items"])
    closed.title = "Closed POA&M Items"
    buffer = io.BytesIO()
    book.save(buffer)
    result = read(buffer.getvalue(), "both.xlsx")
    assert [i.status for i in result.document.items] == [Status.OPEN]
    assert any("Closed POA&M Items row 6 repeats POAM ID 'V-1' of Open POA&M Items row 6"
               in w for w in result.warnings)


def test_it_refuses_a_workbook_without_the_poam_sheets():
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(FormatError, match="Open POA&M Items"):
        read(buffer.getvalue())


def test_it_refuses_a_sheet_without_a_poam_id_header():
    book = openpyxl.Workbook()
    book.active.title = "Open POA&M Items"
    book.active.append(["Weakness Name"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(FormatError, match="POAM ID"):
        read(buffer.getvalue())


def test_it_refuses_a_file_that_is_not_a_zip():
    with pytest.raises(FormatError, match="not a zip"):
        read(b"POAM ID,Weakness Name\nV-1,x\n")


def test_it_refuses_a_zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    assert len(buffer.getvalue()) < 200 * 1024
    with pytest.raises(FormatError, match="zip bomb"):
        read(buffer.getvalue())


def test_it_refuses_a_workbook_that_inflates_past_the_limit(exported, monkeypatch):
    monkeypatch.setattr(safezip, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    with pytest.raises(FormatError, match="inflate"):
        read(exported)


def test_it_refuses_a_file_larger_than_the_limit(exported, monkeypatch):
    monkeypatch.setattr(safezip, "MAX_FILE_BYTES", 1024)
    with pytest.raises(FormatError, match="larger than the limit"):
        read(exported)


def test_it_refuses_a_doctype_in_a_part():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", '<!DOCTYPE x [<!ENTITY a "aaaa">]><workbook/>')
    with pytest.raises(FormatError, match="DOCTYPE"):
        read(buffer.getvalue())


def test_it_sniffs_xlsx_files(exported):
    importer = FedrampXlsxImporter()
    assert importer.sniff(exported[:4096], "poam.xlsx")
    assert not importer.sniff(b"POAM ID,Weakness\n", "poam.csv")


def test_it_round_trips_carriage_returns_and_ooxml_escapes():
    document = rich_document()
    document.items[1].comments = "a\rb_x0041_c\r\nd"
    item = read(export(document)).document.items[1]
    assert item.comments == "a\rb_x0041_c\r\nd"


def test_it_exports_and_reads_an_empty_poam():
    document = rich_document()
    document.items = []
    result = read(export(document))
    assert result.document.items == [] and result.warnings == []
    assert result.document.system.name == "Example Cloud Service"


def test_it_implements_the_importer_interface(exported):
    from openpoam.formats.base import PoamImporter
    importer = FedrampXlsxImporter()
    assert isinstance(importer, PoamImporter)
    assert importer.read(io.BytesIO(exported), source="x.xlsx").items[0].poam_id == "POAM-2026-0001"


def _with_part(exported: bytes, name: str, content: bytes) -> bytes:
    """The exported workbook with one part replaced (or added)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(exported)) as source, zipfile.ZipFile(buffer, "w") as out:
        for member in source.infolist():
            if member.filename != name:
                out.writestr(member, source.read(member))
        out.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("name, content", [
    # After a comment longer than the first 2,048 bytes the guard once read.
    ("xl/workbook.xml", b'<?xml version="1.0"?><!--' + b"x" * 3000
     + b'--><!DOCTYPE w [<!ENTITY a "aaaa">]><workbook/>'),
    # Across the scan's chunk boundary, in a part whose name is not .xml, in lower case.
    ("xl/media/notes.bin", b" " * (safezip.SCAN_CHUNK - 4) + b"<!doctype x>"),
    # In UTF-16, which an XML parser reads as well.
    ("xl/styles.xml", ('<?xml version="1.0" encoding="UTF-16"?><!--' + "y" * 5000
                       + '--><!DOCTYPE s [<!ENTITY b "b">]><styleSheet/>').encode("utf-16-le")),
])
def test_it_refuses_a_declaration_anywhere_in_any_part(exported, name, content):
    with pytest.raises(FormatError, match=f"{name} declares"):
        read(_with_part(exported, name, content))


def test_it_reads_a_workbook_whose_text_mentions_doctype_in_cells(exported):
    """Only a declaration is refused: the word in a cell is text (escaped as &lt;)."""
    assert read(exported)
