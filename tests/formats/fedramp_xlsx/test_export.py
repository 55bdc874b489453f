import io
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest

from openpoam.domain.poam import Designation, PoamItemData
from openpoam.formats.fedramp_xlsx import PLUGINS, FedrampXlsxExporter
from openpoam.formats.fedramp_xlsx import layout
from openpoam.formats.fedramp_xlsx.layout import TEMPLATE  # the copy the package ships
from openpoam.formats.registry import Registry
from tests.formats.fedramp_xlsx.fixture import HOSTILE_DESCRIPTION, HOSTILE_TITLE, rich_document
from tests.formats.fedramp_xlsx.office import convert
# The template's own conditional-format checks of columns M and N (refind() patterns).
PLANNED = re.compile(r"^(\(\d+\)\s*\d{1,4}[\\/\-]\d{1,2}[\\/\-]\d{1,4}\s*:\s*(.|(.\n.))*\n\n)*"
                     r"(\(\d+\)\s*\d{1,4}[\\/\-]\d{1,2}[\\/\-]\d{1,4}\s*:\s*(.|(.\n.))*)(\n\s)*$")
CHANGES = re.compile(r"^(\(\d+\)\s*(new|update|complete)\s*\d{1,4}[\\/\-]\d{1,2}[\\/\-]\d{1,4}"
                     r"\s*:\s*(.|(.\n.))*\n\n)*(\(\d+\)\s*(new|update|complete)\s*\d{1,4}"
                     r"[\\/\-]\d{1,2}[\\/\-]\d{1,4}\s*:\s*(.|(.\n.))*)(\n\s)*$", re.IGNORECASE)


def export(document=None) -> tuple[bytes, list[str]]:
    buffer = io.BytesIO()
    warnings = FedrampXlsxExporter().write(document or rich_document(), buffer)
    return buffer.getvalue(), warnings


@pytest.fixture(scope="module")
def workbook():
    data, _ = export()
    return openpyxl.load_workbook(io.BytesIO(data))


def _by_header(sheet, row: int) -> dict[str, object]:
    headers = [cell.value for cell in sheet[5]]
    return {header: sheet.cell(row, index + 1) for index, header in enumerate(headers) if header}


def test_it_puts_open_and_closed_items_on_their_sheets(workbook):
    open_ids = [workbook["Open POA&M Items"].cell(row, 1).value for row in (8, 9, 10)]
    closed_ids = [workbook["Closed POA&M Items"].cell(row, 1).value for row in (6, 7, 8)]
    assert open_ids == ["POAM-2026-0001", "POAM-2026-0002", None]
    assert closed_ids == ["POAM-2025-0042", "POAM-2025-0043", None]


def test_it_replaces_the_example_row_and_keeps_the_guidance_rows(workbook):
    sheet = workbook["Open POA&M Items"]
    values = {cell.value for row in sheet.iter_rows(max_row=12) for cell in row}
    assert layout.EXAMPLE_POAM_ID not in values
    assert sheet["A7"].value == "Unique Identifier"


def test_it_fills_the_header_block_with_the_designation(workbook):
    for name in ("Open POA&M Items", "Closed POA&M Items"):
        sheet = workbook[name]
        assert [sheet[ref].value for ref in ("A3", "B3", "C3")] == [
            "Example CSP Inc.", "Example Cloud Service", "Moderate"]
        assert sheet["D3"].value == datetime(2026, 3, 15) and sheet["D3"].is_date
        assert (sheet["E2"].value, sheet["E3"].value) == ("Designation", "Internal tracking")
        assert sheet.oddHeader.center.text == "Internal tracking"


def test_it_marks_an_official_submission():
    document = rich_document()
    document.system.designation = Designation.OFFICIAL
    data, _ = export(document)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Closed POA&M Items"]
    assert next(sheet.iter_rows(min_row=3, max_row=3, values_only=True))[4] == "Official submission"


def test_it_writes_dates_as_date_cells(workbook):
    row = _by_header(workbook["Open POA&M Items"], 8)
    for header in layout.DATE_COLUMNS:
        assert row[header].is_date and row[header].data_type == "d", header
    assert row["Original Detection Date"].value == datetime(2026, 1, 5)
    assert row["Binding Operational Directive 22-01 Due Date"].value == datetime(2026, 1, 26)


def test_it_maps_the_item_fields(workbook):
    row = {key: cell.value for key, cell in _by_header(workbook["Open POA&M Items"], 8).items()}
    assert row["Controls"] == "SI-2, AC-2(1)"
    assert row["Asset Identifier"] == "web01.example.gov (443/tcp)\ndb01 (5432)\napp02"
    assert row["Point of Contact"] == "Jane Doe <jane.doe@example.gov>"
    assert (row["Original Risk Rating"], row["Adjusted Risk Rating"], row["Risk Adjustment"]) == (
        "High", "Moderate", "Yes")
    assert row["Vendor Dependency"] == "Yes" and row["Vendor Dependent Product Name"]
    assert row["CVE"] == "CVE-2026-1234\nCVE-2026-5678"
    assert row["Binding Operational Directive 22-01 tracking"] == "Yes"
    assert row["Deviation Rationale"].startswith("Risk Adjustment : Compensating")
    assert "Remediation Evidence : scan-2026-03.pdf" in row["Supporting Documents"]
    assert row["Service Name"] == "Example Cloud Service"


def test_it_writes_milestones_the_template_accepts(workbook):
    row = _by_header(workbook["Open POA&M Items"], 8)
    planned, changes = row["Planned Milestones"].value, row["Milestone Changes"].value
    assert planned.startswith("(1) 2026-01-20: Open a vendor case\n\n(2) 2026-02-15: ")
    assert "(2) Update 2026-03-15: Vendor patch slipped to March" in changes
    assert "(1) Complete 2026-01-18: " in changes
    assert PLANNED.match(planned) and CHANGES.match(changes)


def test_it_stores_hostile_text_as_quoted_strings(workbook):
    row = _by_header(workbook["Open POA&M Items"], 8)
    assert row["Weakness Name"].value == "'" + HOSTILE_TITLE
    assert row["Weakness Name"].data_type == "s"
    assert row["Weakness Description"].value.startswith("'" + HOSTILE_DESCRIPTION)
    assert row["Comments"].value == "'=1+1"
    data_rows = workbook["Open POA&M Items"].iter_rows(min_row=8, max_row=9)
    assert not any(cell.data_type == "f" for row in data_rows for cell in row)


def _sheet_xml(data: bytes, part: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(f"xl/worksheets/{part}")


def _blocks(xml: bytes) -> list[bytes]:
    """The sheet's validation lists, conditional formats, columns and frozen pane, as XML."""
    patterns = (rb"<dataValidations.*?</dataValidations>", rb"<conditionalFormatting.*?"
                rb"</conditionalFormatting>", rb"<cols>.*?</cols>", rb"<pane [^>]*/>")
    return [match for pattern in patterns for match in re.findall(pattern, xml, re.DOTALL)]


def test_it_keeps_the_template_validation_lists_and_formatting(workbook):
    data = export()[0]
    for part in ("sheet1.xml", "sheet2.xml"):  # the Open and Closed item sheets
        ours, theirs = _blocks(_sheet_xml(data, part)), _blocks(_sheet_xml(TEMPLATE.read_bytes(),
                                                                            part))
        assert len(theirs) > 4 and ours == theirs
    sheet = workbook["Open POA&M Items"]
    assert sheet["A5"].fill.fgColor.rgb == "FFCCECFC"  # the template's header colour
    assert sheet["K8"].number_format == "mm-dd-yy"  # the example row's date style
    assert workbook.sheetnames == ["Open POA&M Items", "Closed POA&M Items",
                                   "Configuration Findings", "Record of Changes"]


def test_it_keeps_the_auto_calculated_date_on_empty_rows(workbook):
    cell = workbook["Open POA&M Items"]["L10"]
    assert cell.data_type == "f" and "K10+30" in cell.value


def test_it_finds_columns_by_header_text(tmp_path, monkeypatch):
    # A template variant with the two weakness columns swapped.
    variant = tmp_path / "variant.xlsx"
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(variant, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                data = (data.replace(b">Weakness Name<", b">@@NAME@@<")
                        .replace(b">Weakness Description<", b">Weakness Name<")
                        .replace(b">@@NAME@@<", b">Weakness Description<"))
            target.writestr(info, data)
    monkeypatch.setattr(layout, "TEMPLATE", variant)
    data, _ = export()
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Open POA&M Items"]
    row = next(sheet.iter_rows(min_row=8, max_row=8, values_only=True))
    assert row[2].startswith("'" + HOSTILE_DESCRIPTION) and row[3] == "'" + HOSTILE_TITLE


def test_it_grows_the_template_ranges_past_its_last_row():
    document = rich_document()
    document.items = [PoamItemData(poam_id=f"P-{n}", title="t") for n in range(4100)]
    xml = _sheet_xml(export(document)[0], "sheet1.xml")
    assert b'<c r="A4107" ' in xml and b"P-4099" in xml
    assert b'sqref="A8:AE4107"' in xml and b"S1:S4107" in xml
    assert b'<dimension ref="A1:AY4107"/>' in xml


def test_it_warns_when_critical_is_written_as_high():
    document = rich_document()
    document.items[0].original_risk = document.items[0].original_risk.CRITICAL
    _, warnings = export(document)
    assert any("Critical" in warning and "POAM-2026-0001" in warning for warning in warnings)


def test_it_is_registered():
    registry = Registry()
    for plugin in PLUGINS:
        registry.add(plugin)
    exporter = registry.exporter("fedramp-xlsx")
    assert exporter.extension == ".xlsx" and "spreadsheetml" in exporter.media_type
    assert registry.importer("fedramp-xlsx")


def test_it_is_read_by_libreoffice_without_evaluating_formulas(tmp_path):
    path = tmp_path / "poam.xlsx"
    path.write_bytes(export()[0])
    # Filter options 44,34,76: comma, double quote, UTF-8.
    text = convert(path, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path).read_text("utf-8")
    assert "POAM-2026-0001" in text and "Internal tracking" in text
    assert "Err:" not in text and "#NAME" not in text and "#VALUE" not in text
    assert "'" + HOSTILE_TITLE in text
    assert "'" + HOSTILE_DESCRIPTION in text
    assert "'=1+1" in text
    assert "FedRAMP® Plan" in text
    assert ",1/5/2026,4/5/2026," in text  # date cells shown as dates, not serial numbers
