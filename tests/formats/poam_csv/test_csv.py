import csv
import dataclasses
import io
import re
from pathlib import Path

import openpyxl
import pytest

from openpoam.domain.poam import Catalog, ControlRef, PoamItemData, Risk, Source, Status
from openpoam.formats.base import FormatError
from openpoam.formats.poam_csv import PLUGINS, CsvExporter, CsvImporter
from openpoam.formats.poam_csv.columns import HEADER, ITEM_COLUMNS
from openpoam.formats.registry import Registry
from tests.formats.fedramp_xlsx.fixture import HOSTILE_DESCRIPTION, HOSTILE_TITLE, rich_document
from tests.formats import hazards
from tests.formats.fedramp_xlsx.office import convert

README = Path(__file__).resolve().parents[3] / "openpoam/formats/poam_csv/README.md"
HAND_MADE = Path(__file__).parent / "fixtures" / "hand-made.csv"


def _export(document=None) -> bytes:
    buffer = io.BytesIO()
    CsvExporter().write(document or rich_document(), buffer)
    return buffer.getvalue()


def _import(data: bytes):
    return CsvImporter().read_with_warnings(io.BytesIO(data), source="poam.csv")


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_it_reads_a_hand_made_file_with_a_subset_of_columns_and_labels():
    result = CsvImporter().read_with_warnings(io.BytesIO(HAND_MADE.read_bytes()),
                                              source=HAND_MADE.name)
    assert result.warnings == [
        "hand-made.csv: column 'Spreadsheet Notes' is not an OpenPOAM column and was ignored"]
    assert result.document.system.name == "Example Cloud Platform"
    scan, mfa = result.document.items
    assert (scan.status, scan.source, scan.original_risk) == (
        Status.OPEN, Source.VULNERABILITY_SCAN, Risk.HIGH)  # labels, not values
    assert scan.controls == [ControlRef(Catalog.NIST_800_53_R5, "SI-2"),
                             ControlRef(Catalog.NIST_800_53_R5, "AC-6(1)")]
    assert [(a.name, a.ip, a.port, a.protocol) for a in scan.assets] == [
        ("web01", "10.20.0.5", "443", "tcp"), ("dns01", hazards.IPV6, "53", "udp")]
    assert scan.vendor_dependency is True and mfa.vendor_dependency is False  # yes / no
    assert scan.cves == ["CVE-2026-10001", "CVE-2026-10002"]
    assert [(m.sequence, m.description) for m in scan.milestones] == [
        (1, "Change the configuration")]
    assert mfa.controls == [ControlRef(Catalog.CMMC, "IA.L2-3.5.3")]
    assert (mfa.status, mfa.scheduled_completion, mfa.assets) == (Status.IN_PROGRESS, None, [])


def test_it_keeps_the_hand_made_files_hostile_text_as_data():
    scan = CsvImporter().read(io.BytesIO(HAND_MADE.read_bytes()), source=HAND_MADE.name).items[0]
    assert scan.title == hazards.MARKUP
    assert scan.weakness_description == (f"Browsing /admin shows every file. {hazards.SCRIPT}"
                                         f"\n{hazards.NON_ASCII}")
    assert scan.comments == hazards.FORMULA  # the guard quote is removed, once


def test_it_round_trips_every_field():
    document = rich_document()
    result = _import(_export(document))
    assert result.warnings == []
    assert result.document == document


def test_it_round_trips_twice_byte_for_byte():
    first = _export()
    assert _export(_import(first).document) == first


def test_it_has_a_column_for_every_item_field():
    fields = {f.name for f in dataclasses.fields(PoamItemData)}
    assert fields == {name for name, _ in ITEM_COLUMNS}


def test_it_documents_every_column_in_the_readme():
    documented = re.findall(r"^\| `([a-z_]+)` \|", README.read_text(), re.MULTILINE)
    assert documented == list(HEADER)


def test_it_guards_formula_text():
    row = _rows(_export())[0]
    assert row["title"] == "'" + HOSTILE_TITLE
    assert row["weakness_description"].startswith("'" + HOSTILE_DESCRIPTION)
    assert row["comments"] == "'=1+1"
    assert row["planned_remediation"].startswith("'-Apply")


def test_it_writes_iso_dates_and_parseable_milestones():
    row = _rows(_export())[0]
    assert row["detected_on"] == "2026-01-05"
    assert '"new_due": "2026-03-15"' in row["milestones"]


def test_it_names_line_and_column_of_a_bad_date():
    rows = _export().decode("utf-8-sig").splitlines(keepends=True)
    bad = _export().decode("utf-8-sig").replace("2026-02-01,2026-05-02", "2026-02-31,2026-05-02")
    assert bad != "".join(rows)
    with pytest.raises(FormatError) as caught:
        _import(bad.encode())
    assert caught.value.field == "detected_on"
    assert caught.value.line is not None and caught.value.line > 2
    assert "line" in str(caught.value) and "detected_on" in str(caught.value)


def test_it_refuses_a_bad_enum_value():
    data = _export().decode("utf-8-sig").replace(",in_progress,", ",half_done,")
    with pytest.raises(FormatError, match="status"):
        _import(data.encode())


def test_it_requires_the_poam_id_column():
    with pytest.raises(FormatError, match="poam_id"):
        _import(b"title,system_name\nx,y\r\n")


def test_it_warns_about_unknown_columns():
    data = "poam_id,title,system_name,colour\r\nP-1,T,S,red\r\n".encode()
    result = _import(data)
    assert result.document.items[0].poam_id == "P-1"
    assert any("colour" in warning for warning in result.warnings)


def test_it_keeps_the_first_of_two_rows_with_one_poam_id_and_names_both_lines():
    data = ("poam_id,title,system_name\r\nP-1,First,S\r\nP-2,Other,S\r\n"
            "P-1,Second,S\r\n").encode()
    result = _import(data)
    assert [(i.poam_id, i.title) for i in result.document.items] == [("P-1", "First"),
                                                                      ("P-2", "Other")]
    assert result.warnings == ["poam.csv: line 4 repeats POAM ID 'P-1' of line 2; the first "
                               "was kept, this one skipped"]


def test_it_accepts_a_bom_and_labels():
    data = "\ufeffpoam_id,title,system_name,status,original_risk\r\nP-1,T,S,In Progress,High\r\n"
    item = _import(data.encode()).document.items[0]
    assert item.status.value == "in_progress" and item.original_risk.value == "high"


def test_it_is_sniffed_and_registered():
    registry = Registry()
    for plugin in PLUGINS:
        registry.add(plugin)
    assert registry.exporter("csv") and registry.importer("csv")
    assert CsvImporter().sniff(_export()[:4096], "x.csv")
    assert not CsvImporter().sniff(b"Plugin ID,CVE,Risk\n", "scan.csv")


def test_it_is_read_by_libreoffice_without_evaluating_formulas(tmp_path):
    path = tmp_path / "poam.csv"
    path.write_bytes(_export())
    converted = convert(path, "xlsx", tmp_path)
    sheet = openpyxl.load_workbook(converted).active
    header = [cell.value for cell in sheet[1]]
    title = sheet.cell(2, header.index("title") + 1)
    comments = sheet.cell(2, header.index("comments") + 1)
    assert title.data_type == "s" and title.value == "'" + HOSTILE_TITLE
    assert comments.value == "'=1+1"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


class _Padded(io.RawIOBase):
    """A POA&M CSV made on the fly: the header and the first item, then blank rows (one
    quoted cell of 8 MB of spaces each) until ``size`` bytes, then the other items. Held
    a row at a time, so a file past any cap can be read without writing it."""

    def __init__(self, data: bytes, size: int):
        head, _, rest = data.partition(b"\r\n")
        first, _, self._tail = rest.partition(b"\r\n")
        self._pending = head + b"\r\n" + first + b"\r\n"
        self._blank = b'"' + b" " * (8 << 20) + b'"\r\n'
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if not self._pending:
            if self._left > 0:
                self._pending, self._left = self._blank, self._left - len(self._blank)
            else:
                self._pending, self._tail = self._tail, b""
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size


@pytest.mark.slow
def test_it_has_no_size_cap_of_its_own_below_the_import_limit():
    """The reader streams: a file larger than its former 200 MB cap reads whole (the
    import bounds the file, at OPENPOAM_IMPORT_MAX_BYTES, 1 GiB by default)."""
    data = _export()
    stream = io.BufferedReader(_Padded(data, 210 * 1024 * 1024), buffer_size=1 << 20)
    result = CsvImporter().read_with_warnings(stream, source="big.csv")
    assert [i.poam_id for i in result.document.items] == [
        i.poam_id for i in _import(data).document.items]
