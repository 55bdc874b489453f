import io
import json

import openpyxl
import pytest

from openpoam.formats.emass_xlsx import PLUGINS, EmassXlsxExporter, Layout
from openpoam.formats.emass_xlsx.writer import LAYOUT
from openpoam.formats.registry import Registry
from tests.formats.fedramp_xlsx.fixture import HOSTILE_DESCRIPTION, HOSTILE_TITLE, rich_document
from tests.formats.fedramp_xlsx.office import convert

CURRENT_COLUMNS = [
    "POA&M Item ID", "Control Vulnerability Description", "Controls / APs", "Security Checks",
    "POA&M Status", "POA&M Scheduled Completion Date",
    "POA&M Requested Risk Accepted Expiration Date", "POA&M Completion Date", "Milestone ID",
    "Milestone Description", "Milestone Status", "Milestone Status Comments",
    "Milestone Scheduled Completion Date", "Milestone Completion Date", "Identification Source",
    "Identification Source Details", "Office/Org", "Resources Required", "Comments",
    "Raw Severity", "Devices Affected", "Mitigations", "Predisposing Conditions", "Severity",
    "Relevance of Threat", "Threat Description", "Likelihood", "Impact", "Impact Description",
    "Residual Risk Level", "Recommendations", "Resulting Residual Risk after Proposed Mitigations",
]


def export(exporter=None, document=None) -> tuple[bytes, list[str]]:
    buffer = io.BytesIO()
    warnings = (exporter or EmassXlsxExporter()).write(document or rich_document(), buffer)
    return buffer.getvalue(), warnings


def table(data: bytes, header_row: int = 7) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["POA&M"]
    headers = [cell.value for cell in sheet[header_row]]
    return [{h: cell for h, cell in zip(headers, row)}
            for row in sheet.iter_rows(min_row=header_row + 1) if row[0].value]


@pytest.fixture(scope="module")
def rows():
    return table(export()[0])


def test_it_writes_the_current_emass_columns_in_order():
    sheet = openpyxl.load_workbook(io.BytesIO(export()[0]))["POA&M"]
    assert [cell.value for cell in sheet[7]] == CURRENT_COLUMNS


def test_it_writes_one_row_per_milestone(rows):
    ids = [(row["POA&M Item ID"].value, row["Milestone ID"].value) for row in rows]
    assert ids == [("POAM-2026-0001", 1), ("POAM-2026-0001", 2), ("POAM-2026-0001", 3),
                   ("POAM-2026-0002", 1), ("POAM-2025-0042", 1), ("POAM-2025-0043", None)]


def test_it_maps_status_severity_and_milestones(rows):
    first, second = rows[0], rows[1]
    assert first["POA&M Status"].value == "Ongoing"
    assert rows[4]["POA&M Status"].value == "Completed"
    assert rows[5]["POA&M Status"].value == "Not Applicable"
    assert (first["Raw Severity"].value, first["Severity"].value) == ("High", "Moderate")
    assert first["Controls / APs"].value == "SI-2"
    assert "Other controls: AC-2(1)" in first["Comments"].value
    assert first["Milestone Status"].value == "Completed"
    assert second["Milestone Status"].value == "Pending"
    assert "02/15/2026 -> 03/15/2026: Vendor patch slipped" in second[
        "Milestone Status Comments"].value
    assert first["Devices Affected"].value.splitlines()[0] == "web01.example.gov:443/tcp"
    assert first["Office/Org"].value == "Example CSP Inc., Jane Doe <jane.doe@example.gov>"


def test_it_writes_dates_as_date_cells(rows):
    cell = rows[1]["Milestone Scheduled Completion Date"]
    assert cell.is_date and cell.value.date().isoformat() == "2026-04-01"
    assert cell.number_format == "mm/dd/yyyy"
    assert rows[0]["POA&M Scheduled Completion Date"].is_date


def test_it_guards_hostile_text(rows):
    cell = rows[0]["Control Vulnerability Description"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'" + HOSTILE_TITLE)
    assert rows[1]["Milestone Description"].value.startswith("'@Apply")
    assert rows[0]["Comments"].value.startswith("'=1+1")


def test_it_shows_the_designation_in_the_header_block():
    sheet = openpyxl.load_workbook(io.BytesIO(export()[0]))["POA&M"]
    assert [sheet["A5"].value, sheet["B5"].value] == ["Designation:", "Internal tracking"]


def test_it_takes_a_new_template_variant_from_json_alone(tmp_path):
    data = json.loads(LAYOUT.read_text())
    data["sheet"], data["header_row"] = "POA&M", 9
    data["columns"] = [{"header": "Item", "value": "item.poam_id"},
                       {"header": "Weakness", "value": "item.title", "width": 40},
                       {"header": "Due", "value": "milestone.current_due"},
                       {"header": "Fixed text", "value": "text:Reviewed"}]
    variant = tmp_path / "variant.json"
    variant.write_text(json.dumps(data))
    rows = table(export(EmassXlsxExporter(variant))[0], header_row=9)
    assert list(rows[0]) == ["Item", "Weakness", "Due", "Fixed text"]
    assert rows[0]["Fixed text"].value == "Reviewed" and rows[0]["Due"].is_date


@pytest.mark.parametrize("value", ["transform:nonsense", "item.no_such_field", "weird"])
def test_it_refuses_a_layout_naming_what_does_not_exist(tmp_path, value):
    data = json.loads(LAYOUT.read_text())
    data["columns"].append({"header": "Broken", "value": value})
    variant = tmp_path / "broken.json"
    variant.write_text(json.dumps(data))
    with pytest.raises(ValueError):
        Layout.load(variant)


def test_it_is_registered():
    registry = Registry()
    for plugin in PLUGINS:
        registry.add(plugin)
    assert registry.exporter("emass-xlsx").extension == ".xlsx"


def test_it_is_read_by_libreoffice_without_evaluating_formulas(tmp_path):
    path = tmp_path / "emass.xlsx"
    path.write_bytes(export()[0])
    text = convert(path, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path).read_text("utf-8")
    assert "POA&M Item ID" in text and "POAM-2026-0001" in text
    assert "Err:" not in text and "#NAME" not in text and "#VALUE" not in text
    assert "'" + HOSTILE_TITLE in text and "'=1+1" in text
    assert HOSTILE_DESCRIPTION in text
    assert "04/01/2026" in text  # a date cell in the layout's date format
