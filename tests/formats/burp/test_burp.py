import io
from datetime import datetime, timezone

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.burp import PLUGINS
from openpoam.formats.burp.importer import MAX_EVIDENCE, parse_export_time
from tests.paths import SAMPLES

BURP = PLUGINS[0]
FOLDER = SAMPLES / "burp"
EXPECTED = {  # findings (type per origin), issues, origin
    "issue4399.xml": (27, 441, "http://testphp.vulnweb.com:80"),
    "one_finding_with_cwe.xml": (1, 1, "https://example.com:443"),
    "seven_findings.xml": (7, 16, "http://bwa:80"),
}


def records(name):
    with open(FOLDER / name, "rb") as stream:
        return list(BURP.parse(stream, source=name))


def findings(name):
    return {f.weakness_id: f for f in records(name) if isinstance(f, Finding)}


def parse_bytes(data: bytes, name="export.xml"):
    return list(BURP.parse(io.BytesIO(data), source=name))


def test_it_reads_every_sample():
    names = sorted(p.name for p in FOLDER.glob("*.xml"))
    assert names == sorted(EXPECTED)
    for name in names:
        count, issues, origin = EXPECTED[name]
        assert BURP.sniff((FOLDER / name).read_bytes()[:65536], name), name
        got = records(name)
        assert isinstance(got[0], ScanInfo) and got[0].scanner == "Burp Suite"
        assert [t.asset.key for t in got if isinstance(t, Target)] == [origin]
        found = [r for r in got if isinstance(r, Finding)]
        assert len(found) == count, name
        assert sum(f.extra["count"] for f in found) == issues, name
        assert all(len(f.evidence) <= MAX_EVIDENCE for f in found)


def test_it_fills_an_issue_with_cwes_and_plain_text():
    issue = findings("one_finding_with_cwe.xml")["7340288"]
    assert issue.title == "Cacheable HTTPS response"
    assert issue.severity is Severity.INFO and issue.raw_severity == "Information"
    assert issue.cwes == ("CWE-524", "CWE-525")
    assert "https://cwe.mitre.org/data/definitions/524.html" in issue.references
    assert issue.description.startswith("Unless directed otherwise, browsers may store")
    assert "<" not in issue.description and "- Cache-control: no-store" in issue.solution
    assert issue.asset.ip == "54.12.18.21" and issue.port == "443"
    assert issue.source_ref == "456437653765735"  # serialNumber, never identity
    assert "GET /test/v4/public/users/fake HTTP/1.1" in issue.evidence  # base64 decoded


def test_it_groups_paths_of_one_issue_type():
    sqli = findings("seven_findings.xml")["1049088"]
    assert sqli.title == "SQL injection" and sqli.severity is Severity.HIGH
    assert sqli.extra["count"] == 3 and len(sqli.extra["locations"]) == 3
    assert sqli.extra["locations"][0]["path"].startswith("/bodgeit/")


def test_it_tells_extension_issues_apart():
    found = findings("issue4399.xml")
    extension = sorted(k for k in found if k.startswith("134217728:"))
    assert len(extension) == 8
    assert "134217728:Detailed Error Messages Revealed" in extension
    assert found["134217728:Detailed Error Messages Revealed"].extra["count"] == 187


def test_it_caps_evidence_of_large_exports():
    errors = findings("issue4399.xml")["134217728:Detailed Error Messages Revealed"]
    assert 0 < len(errors.evidence) <= MAX_EVIDENCE


def test_it_keeps_identity_when_serial_numbers_and_severity_change():
    data = (FOLDER / "seven_findings.xml").read_bytes()
    before = {f.identity for f in parse_bytes(data) if isinstance(f, Finding)}
    changed = data.replace(b"<serialNumber>", b"<serialNumber>9").replace(
        b"<severity>Low</severity>", b"<severity>Medium</severity>")
    after = {f.identity for f in parse_bytes(changed) if isinstance(f, Finding)}
    assert before == after


def test_it_reads_export_times_without_guessing_zones():
    assert records("issue4399.xml")[0].scan_time == datetime(2021, 4, 30, 11, 45, 49)
    assert parse_export_time("Sat Sep 13 22:35:04 UTC 2014", source="x") == datetime(
        2014, 9, 13, 22, 35, 4, tzinfo=timezone.utc)
    with pytest.raises(FormatError) as caught:
        parse_export_time("13/09/2014 22:35", source="x.xml")
    assert caught.value.field == "exportTime" and caught.value.source == "x.xml"


def test_it_marks_false_positives_not_applicable():
    data = (FOLDER / "one_finding_with_cwe.xml").read_bytes().replace(
        b"<severity>Information</severity>", b"<severity>False positive</severity>")
    found = [r for r in parse_bytes(data) if isinstance(r, Finding)]
    assert found[0].status is ResultStatus.NOT_APPLICABLE


def test_it_names_file_and_line_of_malformed_xml():
    data = (FOLDER / "seven_findings.xml").read_bytes()[:6000]
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "cut.xml")
    assert caught.value.source == "cut.xml" and caught.value.line is not None


def test_it_refuses_xxe():
    data = (b'<?xml version="1.0"?><!DOCTYPE issues [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<issues burpVersion="1" exportTime=""><issue><type>1</type>'
            b'<host>http://a</host><severity>High</severity><name>&xxe;</name></issue></issues>')
    with pytest.raises(FormatError, match="ENTITY"):
        parse_bytes(data)


def test_it_names_an_unknown_severity():
    data = (FOLDER / "one_finding_with_cwe.xml").read_bytes().replace(
        b"<severity>Information</severity>", b"<severity>Severe</severity>")
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "sev.xml")
    assert caught.value.field == "severity" and caught.value.line is not None


def test_it_refuses_a_zap_file():
    data = (SAMPLES / "zap" / "zap-xml-plus-format.xml").read_bytes()
    assert not BURP.sniff(data, "zap-xml-plus-format.xml")
    with pytest.raises(FormatError, match="not a Burp"):
        parse_bytes(data)
