"""The eMASS export fills each service's shipped template: every cell outside the data area
is the template's own, the metadata cells and banner are filled, rows start on row 8, every
text cell is guarded, and the workbook reads back (reader) and opens in LibreOffice."""

import csv
import io
import warnings
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from openpoam.domain.poam import Designation
from openpoam.formats.emass_xlsx import BRANCHES, EmassXlsxExporter, Layout
from openpoam.formats.emass_xlsx.reader import read_workbook
from openpoam.formats.emass_xlsx.writer import DATA, INTERNAL_NOTE
from openpoam.formats.base import FormatError
from tests.formats.fedramp_xlsx.fixture import HOSTILE_DESCRIPTION, HOSTILE_TITLE, rich_document
from tests.formats.fedramp_xlsx.office import convert

SHEET = "POA&M"
EMASS = {"component": "Navy / NAVSEA", "registration": "DITPR-12345", "system_type": "IS Major "
         "Application", "omb_project_id": "007-000001234", "security_costs": "$125,000",
         "poc_name": "Dana Ortiz", "poc_phone": "555-0100", "poc_email": "dana@example.mil"}
RMF = {"likelihood": "very_high", "impact": "moderate", "relevance_of_threat": "high",
       "threat_description": "Phishing campaigns", "mitigations": "=HYPERLINK(\"http://x\")",
       "predisposing_conditions": "Internet-facing", "residual_risk_level": "moderate",
       "recommendations": "Patch monthly", "mitigated_risk": "low",
       "impact_description": "Loss of CUI", "cfo_audit": True, "personnel_cost_code": "PC-1",
       "personnel_funded_hours": Decimal("40.00"), "nonpersonnel_unfunded_amount":
       Decimal("1500.50"), "nonpersonnel_obstacle": "Awaiting funding"}


def document(designation=Designation.INTERNAL):
    doc = rich_document()
    doc.system.designation = designation
    doc.system.emass = dict(EMASS)
    doc.generated_by = "dana"
    doc.items[0].rmf = dict(RMF)
    return doc


def export(branch: str, doc=None, **options) -> bytes:
    buffer = io.BytesIO()
    EmassXlsxExporter().write(doc or document(), buffer, branch=branch, **options)
    return buffer.getvalue()


def template(branch: str) -> bytes:
    return (DATA / BRANCHES[branch]).read_bytes()


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _style(cell) -> tuple:
    return tuple(repr(part) for part in (cell.font, cell.fill, cell.border, cell.alignment,
                                         cell.number_format, cell.protection))


@pytest.fixture(scope="module", params=sorted(BRANCHES))
def pair(request):
    """(branch, shipped template, export, export bytes), both workbooks loaded."""
    branch = request.param
    data = export(branch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "Data Validation extension is not supported"
        return branch, load(template(branch)), load(data), data


def test_every_template_cell_outside_the_data_area_is_the_templates_own(pair):
    branch, shipped, written, _ = pair
    assert written.sheetnames == shipped.sheetnames
    layout = Layout.open(branch)
    filled = {ref for ref, _ in layout.metadata} | {"A1"}
    for name in shipped.sheetnames:
        before, after = shipped[name], written[name]
        last = layout.sheet.header_row if name == SHEET else before.max_row
        for row in before.iter_rows(min_row=1, max_row=last):
            for cell in row:
                if name == SHEET and cell.coordinate in filled:
                    continue
                other = after[cell.coordinate]
                assert other.value == cell.value, f"{branch} {name}!{cell.coordinate}"
                assert _style(other) == _style(cell), f"{branch} {name}!{cell.coordinate} style"
        assert sorted(map(str, after.merged_cells.ranges)) == \
            sorted(map(str, before.merged_cells.ranges))
        assert [(str(v.sqref), v.formula1, v.type) for v in after.data_validations.dataValidation] \
            == [(str(v.sqref), v.formula1, v.type) for v in before.data_validations.dataValidation]
        assert [str(r.sqref) for r in after.conditional_formatting] == \
            [str(r.sqref) for r in before.conditional_formatting]
        assert after.column_dimensions.keys() == before.column_dimensions.keys()


def test_every_other_package_part_is_byte_for_byte_the_templates(pair):
    branch, _, _, data = pair
    changed = {Layout.open(branch).template.sheet_parts[SHEET], "xl/styles.xml",
               "xl/calcChain.xml", "docProps/custom.xml"}  # custom.xml: its own test
    with zipfile.ZipFile(io.BytesIO(template(branch))) as before, \
            zipfile.ZipFile(io.BytesIO(data)) as after:
        chain = "xl/calcChain.xml" in before.namelist()
        for name in before.namelist():
            if name in changed:
                continue
            if chain and name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
                # The stale calculation chain is left out (Excel rebuilds it), and so is
                # its reference.
                assert b"calcChain" not in after.read(name)
                assert len(before.read(name)) - len(after.read(name)) < 300
                continue
            assert after.read(name) == before.read(name), f"{branch}: {name}"


def test_the_metadata_cells_and_banner_are_filled(pair):
    branch, shipped, written, _ = pair
    sheet = written[SHEET]
    by_label = {label.rstrip(":").lower(): sheet[ref].value
                for ref, label in Layout.open(branch).metadata}
    assert by_label["date exported"] == datetime(2026, 3, 15)
    assert by_label["exported by"] == "dana"
    assert by_label["cc/s/a/fa"] == "Navy / NAVSEA"
    assert by_label["system / project name"] == "Example Cloud Service"
    registration = next(v for k, v in by_label.items() if "registration" in k)
    assert registration == "DITPR-12345"
    assert by_label["system type"] == "IS Major Application"
    assert by_label["omb project id"] == "007-000001234"
    assert by_label["poc name"] == "Dana Ortiz"
    assert by_label["poc phone"] == "555-0100"
    assert by_label["poc e-mail"] == "dana@example.mil"
    assert by_label["security costs"] == "$125,000"
    assert len(by_label) == 11
    assert sheet["A1"].value == shipped[SHEET]["A1"].value + INTERNAL_NOTE


def test_an_official_submission_keeps_the_templates_banner():
    written = load(export("navy", document(Designation.OFFICIAL)))
    assert written[SHEET]["A1"].value == "***** CONTROLLED UNCLASSIFIED INFORMATION *****"


def test_rows_start_on_row_8_one_per_milestone_item_columns_on_the_first_only(pair):
    branch, _, written, _ = pair
    sheet = written[SHEET]
    headers = {cell.value.strip(): cell.column_letter for cell in sheet[7] if cell.value}
    doc = document()
    first = doc.items[0]
    assert sheet[f"{headers['POA&M Item ID']}8"].value == first.poam_id
    assert len(first.milestones) > 1
    second_row = 8 + 1
    assert sheet[f"{headers['POA&M Item ID']}{second_row}"].value is None
    assert sheet[f"{headers['Milestone ID']}{second_row}"].value == 2
    total = sum(max(len(i.milestones), 1) for i in doc.items)
    assert sheet.max_row == 7 + total if branch != "legacy" else sheet.max_row >= 7 + total
    assert sheet[f"{headers['Milestone ID']}{7 + total}"].value is not None or \
        not doc.items[-1].milestones


def test_the_rmf_columns_carry_the_items_analysis():
    sheet = load(export("navy"))[SHEET]
    headers = {cell.value.strip(): cell.column_letter for cell in sheet[7] if cell.value}
    assert sheet[f"{headers['Likelihood']}8"].value == "Very High"
    assert sheet[f"{headers['Relevance of Threat']}8"].value == "High"
    assert sheet[f"{headers['Resulting Residual Risk after Proposed Mitigations']}8"].value == \
        "Low"
    army = load(export("army"))[SHEET]
    headers = {cell.value.strip(): cell.column_letter for cell in army[7] if cell.value}
    assert army[f"{headers['Identified in CFO Audit or other review']}8"].value == "Yes"
    assert army[f"{headers['Personnel Resources: Funded Base Hours']}8"].value == 40
    assert army[f"{headers['Non-Personnel Resources: Unfunded Amount']}8"].value == 1500.5


def test_every_text_cell_is_guarded_and_no_cell_is_a_formula(pair):
    branch, _, _, data = pair
    part = Layout.open(branch).template.sheet_parts[SHEET]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read(part).decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = load(data)[SHEET]
    texts = [cell.value for row in sheet.iter_rows(min_row=8) for cell in row
             if isinstance(cell.value, str)]
    assert "'" + HOSTILE_TITLE in "\n".join(texts)
    assert any(text.startswith("'=HYPERLINK") for text in texts)
    assert not any(text.startswith(("=", "+", "@")) for text in texts)
    assert HOSTILE_DESCRIPTION  # guarded inside the description cell, after the title


def test_a_custom_document_property_is_added_beside_the_templates_own():
    data = export("navy", custom_properties={"OpenPOAM-Checkpoint": "sha256:abc"})
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        custom = package.read("docProps/custom.xml").decode()
    assert 'name="OpenPOAM-Checkpoint"' in custom and "sha256:abc" in custom
    assert 'name="Generator"' in custom  # the template's own property stays
    assert 'name="OpenPOAM Designation"' in custom and "Internal tracking" in custom
    assert load(data).custom_doc_props["OpenPOAM-Checkpoint"].value == "sha256:abc"


def test_a_custom_property_set_on_the_exporter_is_written_on_every_export():
    buffer = io.BytesIO()
    EmassXlsxExporter(custom_properties={"Checkpoint": "1"}).write(document(), buffer,
                                                                   branch="legacy")
    assert load(buffer.getvalue()).custom_doc_props["Checkpoint"].value == "1"


def test_the_branch_defaults_to_the_systems_then_navy():
    doc = document()
    doc.system.emass_branch = "usmc"
    buffer = io.BytesIO()
    EmassXlsxExporter().write(doc, buffer)
    assert read_workbook(io.BytesIO(buffer.getvalue()), "x.xlsx").branch == "usmc"


def test_the_export_warns_of_what_emass_refuses():
    doc = document()
    doc.items[0].comments = "x" * 2001
    buffer = io.BytesIO()
    warnings = EmassXlsxExporter().write(doc, buffer, branch="navy")
    assert any(w.startswith(doc.items[0].poam_id) and "2,001 characters; eMASS takes 2,000" in w
               for w in warnings)


def test_the_reader_tells_each_layout_from_its_header_row(pair):
    branch, _, _, data = pair
    workbook = read_workbook(io.BytesIO(data), "poam.xlsx")
    assert workbook.branch == branch
    doc = document()
    assert [row.text("poamitemid") for row in workbook.rows] == [i.poam_id for i in doc.items]
    assert [len(row.milestones) for row in workbook.rows] == \
        [len(i.milestones) for i in doc.items]
    first = workbook.rows[0]
    assert first.milestones[0].due == doc.items[0].milestones[0].current_due
    assert HOSTILE_TITLE in first.text("controlvulnerabilitydescription")  # unguarded


def test_a_workbook_with_a_column_removed_is_refused_naming_the_row():
    book = load(export("navy"))
    book[SHEET].delete_cols(4)
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(FormatError, match=r"line 7: the header row matches none"):
        read_workbook(io.BytesIO(buffer.getvalue()), "altered.xlsx")


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(FormatError, match="not an .xlsx"):
        read_workbook(io.BytesIO(b"POA&M Item ID,Status\n"), "poam.csv")


def test_each_layout_opens_in_libreoffice_with_its_rows(tmp_path):
    for branch in sorted(BRANCHES):
        path = tmp_path / f"{branch}.xlsx"
        path.write_bytes(export(branch))
        converted = convert(path, "csv", tmp_path)
        rows = list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8",
                                                               errors="replace"))))
        assert rows[0][0].startswith("***** CONTROLLED UNCLASSIFIED INFORMATION")
        assert "POA&M Item ID" in rows[6]
        ids = [row[1] for row in rows[7:] if len(row) > 1 and row[1]]
        assert ids == [i.poam_id for i in document().items], branch
        assert date(2026, 3, 15).strftime("%m/%d/%Y") in rows[1]
