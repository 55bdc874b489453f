"""The CISA KEV catalog reader."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from openpoam.formats.base import FormatError
from openpoam.formats.kev import PLUGINS, looks_like_kev, read_kev
from tests.formats import hazards

FIXTURE = Path(__file__).with_name("known_exploited_vulnerabilities.json")


def fixture_data() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def read(data: dict | bytes):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return read_kev(io.BytesIO(raw), source="kev.json")


def test_it_reads_the_catalog_fixture():
    with FIXTURE.open("rb") as stream:
        catalog = read_kev(stream, source=FIXTURE.name)
    assert catalog.version == "2024.05.01"
    assert catalog.released == datetime(2024, 5, 1, 17, 0, tzinfo=UTC)
    assert len(catalog) == 3
    log4j = catalog.get("cve-2021-44228")
    assert log4j.date_added == date(2021, 12, 10) and log4j.due_date == date(2021, 12, 24)
    assert log4j.name == "Apache Log4j2 Remote Code Execution Vulnerability"
    assert log4j.ransomware is True and log4j.vendor == "Apache" and log4j.product == "Log4j2"
    assert catalog.get("CVE-2024-3400").ransomware is False
    assert catalog.get("CVE-2023-4966").cwes == ("CWE-119",)


def test_it_finds_the_earliest_due_date_among_an_items_cves():
    catalog = read(fixture_data())
    assert catalog.earliest_due(["CVE-2024-3400", "CVE-2023-4966", "CVE-1999-0001"]) == date(
        2023, 11, 8)
    assert catalog.earliest_due(["CVE-1999-0001"]) is None
    assert "CVE-2024-3400" in catalog and "CVE-1999-0001" not in catalog


def test_it_registers_no_format_plugin():
    assert PLUGINS == []


def test_it_recognises_the_catalog_from_its_head():
    assert looks_like_kev(FIXTURE.read_bytes()[:4096])
    assert not looks_like_kev(b'{"runs": []}')


def test_it_accepts_a_byte_order_mark_and_missing_optional_fields():
    data = {"vulnerabilities": [{"cveID": "CVE-2021-44228", "dateAdded": "2021-12-10",
                                 "dueDate": "2021-12-24"}]}
    catalog = read(b"\xef\xbb\xbf" + json.dumps(data).encode())
    entry = catalog.get("CVE-2021-44228")
    assert entry.ransomware is None and entry.cwes == () and entry.name == ""


def test_it_keeps_hostile_text_as_data():
    data = fixture_data()
    data["vulnerabilities"][0].update(vulnerabilityName=f"{hazards.MARKUP} {hazards.SCRIPT}",
                                      vendorProject=hazards.NON_ASCII, product=hazards.FORMULA)
    entry = read(data).get("CVE-2021-44228")
    assert entry.name == f"{hazards.MARKUP} {hazards.SCRIPT}"
    assert (entry.vendor, entry.product) == (hazards.NON_ASCII, hazards.FORMULA)


def test_it_keeps_the_stricter_due_date_when_a_cve_repeats():
    data = fixture_data()
    repeat = dict(data["vulnerabilities"][0], dueDate="2021-12-20")
    data["vulnerabilities"].append(repeat)
    data["count"] = 4
    assert read(data).get("CVE-2021-44228").due_date == date(2021, 12, 20)


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["vulnerabilities"][1].update(dueDate="2023-13-45"), "vulnerabilities[1].dueDate"),
    (lambda d: d["vulnerabilities"][0].pop("dateAdded"), "vulnerabilities[0].dateAdded"),
    (lambda d: d["vulnerabilities"][2].update(cveID="2024-3400"), "vulnerabilities[2].cveID"),
    (lambda d: d["vulnerabilities"][0].update(knownRansomwareCampaignUse="Maybe"),
     "vulnerabilities[0].knownRansomwareCampaignUse"),
    (lambda d: d["vulnerabilities"][0].update(cwes="CWE-20"), "vulnerabilities[0].cwes"),
    (lambda d: d["vulnerabilities"][0].update(product=42), "vulnerabilities[0].product"),
    (lambda d: d.update(count=5), "count"),
    (lambda d: d.update(dateReleased="yesterday"), "dateReleased"),
    (lambda d: d.pop("vulnerabilities"), "vulnerabilities"),
])
def test_it_names_the_bad_field(change, field):
    data = fixture_data()
    change(data)
    with pytest.raises(FormatError) as caught:
        read(data)
    assert caught.value.field == field
    assert caught.value.source == "kev.json"


def test_it_reports_broken_json_with_its_line():
    with pytest.raises(FormatError) as caught:
        read(b'{\n"vulnerabilities": [\n{,}]}')
    assert caught.value.line == 3


def test_it_rejects_a_top_level_list_and_non_utf8_bytes():
    with pytest.raises(FormatError):
        read(b"[]")
    with pytest.raises(FormatError):
        read(b'{"vulnerabilities": ["\xff"]}')
