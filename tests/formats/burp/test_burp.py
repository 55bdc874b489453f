"""Burp Suite XML importer: its own fixture (grouped paths, extension issues, false
positives, IPv6 origin, hostile text), identity, errors; the shared corpus when present."""

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.burp import PLUGINS
from openpoam.formats.burp.parser import MAX_EVIDENCE, parse_export_time
from tests.formats import hazards
from tests.paths import SAMPLES

BURP = PLUGINS[0]
FOLDER = SAMPLES / "burp"
FIXTURES = Path(__file__).parent / "fixtures"
ISSUES = FIXTURES / "issues.xml"
SHARED = pytest.mark.shared
EXPECTED = {  # findings (type per origin), issues, origin
    "issue4399.xml": (27, 441, "http://testphp.vulnweb.com:80"),
    "one_finding_with_cwe.xml": (1, 1, "https://example.com:443"),
    "seven_findings.xml": (7, 16, "http://bwa:80"),
}


def records(name, folder=FOLDER):
    with open(folder / name, "rb") as stream:
        return list(BURP.parse(stream, source=name))


def findings(name, folder=FOLDER):
    return {f.weakness_id: f for f in records(name, folder) if isinstance(f, Finding)}


def parse_bytes(data: bytes, name="export.xml"):
    return list(BURP.parse(io.BytesIO(data), source=name))


@SHARED
def test_it_reads_every_sample():
    names = sorted(p.name for p in FOLDER.glob("*.xml"))
    assert names == sorted(EXPECTED)
    for name in names:
        count, issues, origin = EXPECTED[name]
        got = records(name)
        assert [t.asset.key for t in got if isinstance(t, Target)] == [origin]
        assert_reads(FOLDER / name, [t.asset.name for t in got if isinstance(t, Target)],
                     count, issues)


@SHARED
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


@SHARED
def test_it_groups_paths_of_one_issue_type():
    sqli = findings("seven_findings.xml")["1049088"]
    assert sqli.title == "SQL injection" and sqli.severity is Severity.HIGH
    assert sqli.extra["count"] == 3 and len(sqli.extra["locations"]) == 3
    assert sqli.extra["locations"][0]["path"].startswith("/bodgeit/")


@SHARED
def test_it_tells_extension_issues_apart():
    found = findings("issue4399.xml")
    extension = sorted(k for k in found if k.startswith("134217728:"))
    assert len(extension) == 8
    assert "134217728:Detailed Error Messages Revealed" in extension
    assert found["134217728:Detailed Error Messages Revealed"].extra["count"] == 187


@SHARED
def test_it_caps_evidence_of_large_exports():
    errors = findings("issue4399.xml")["134217728:Detailed Error Messages Revealed"]
    assert 0 < len(errors.evidence) <= MAX_EVIDENCE


# --- the fixture -----------------------------------------------------------------------

SHOP = "https://shop.example.gov:443"


def assert_reads(path: Path, origins: list[str], count: int, issues: int) -> None:
    assert BURP.sniff(path.read_bytes()[:65536], path.name)
    got = records(path.name, path.parent)
    assert isinstance(got[0], ScanInfo) and got[0].scanner == "Burp Suite"
    assert [t.asset.name for t in got if isinstance(t, Target)] == origins
    found = [r for r in got if isinstance(r, Finding)]
    assert len(found) == count == len({f.identity for f in found})
    assert sum(f.extra["count"] for f in found) == issues
    assert all(len(f.evidence) <= MAX_EVIDENCE for f in found)


def test_it_reads_the_fixture_with_burps_element_declarations():
    # The IPv6 origin is also covered under its former unbracketed key (site_targets).
    assert_reads(ISSUES, ["https://shop.example.gov", "http://[2001:db8::10]:8080",
                          "http://[2001:db8::10]:8080"], 5, 6)
    assert records("issues.xml", FIXTURES)[0].scanner_version == "2024.9.2"


def test_it_groups_the_paths_of_one_issue_type_and_fills_every_field():
    listing = findings("issues.xml", FIXTURES)["1049088"]
    assert (listing.asset.key, listing.asset.ip, listing.port) == (SHOP, "10.20.0.5", "443")
    assert listing.severity is Severity.HIGH and listing.raw_severity == "High"  # worst path
    assert [loc["path"] for loc in listing.extra["locations"]] == ["/admin/", "/static/"]
    assert listing.extra["count"] == 2 and listing.extra["confidence"] == "Certain"
    assert listing.cwes == ("CWE-548",)
    assert listing.references == ("https://www.example.org/advisory/1",
                                  "https://cwe.mitre.org/data/definitions/548.html")
    assert listing.solution == "- Turn directory listing off."
    assert listing.source_ref == "1000000000000001,1000000000000002"  # never identity
    assert "GET /admin/ HTTP/1.1" in listing.evidence  # base64 decoded
    assert "<title>Index of /admin</title>" in listing.evidence  # plain, kept as data
    assert "- backup.zip" in listing.evidence


def test_it_keeps_hostile_text_as_data_and_html_as_plain_text():
    listing = findings("issues.xml", FIXTURES)["1049088"]
    assert listing.title == hazards.MARKUP
    assert listing.description == f"Browsing /admin shows every file.\n\n{hazards.NON_ASCII}"
    assert hazards.FORMULA in listing.evidence


def test_it_tells_the_fixtures_extension_issues_apart_and_reads_ipv6_origins():
    found = findings("issues.xml", FIXTURES)
    assert found["134217728:Detailed Error Messages Revealed"].severity is Severity.LOW
    assert found["134217728:Software Version Numbers Revealed"].severity is Severity.INFO
    hsts = found["16777472"]
    assert (hsts.asset.ip, hsts.port) == (hazards.IPV6, "8080")
    assert hsts.asset.key == "http://[2001:db8::10]:8080"  # bracketed: host and port apart


def test_it_caps_the_evidence_of_a_huge_issue():
    data = ISSUES.read_bytes().replace(b"<![CDATA[/cart]]></location>",
                                       b"<![CDATA[/cart " + b"A" * 500_000 + b"]]></location>")
    errors = {f.weakness_id: f for f in parse_bytes(data) if isinstance(f, Finding)}[
        "134217728:Detailed Error Messages Revealed"]
    assert 0 < len(errors.evidence) <= MAX_EVIDENCE


def test_it_keeps_identity_when_serial_numbers_and_severity_change():
    data = ISSUES.read_bytes()
    before = {f.identity for f in parse_bytes(data) if isinstance(f, Finding)}
    changed = data.replace(b"<serialNumber>", b"<serialNumber>9").replace(
        b"<severity>Low</severity>", b"<severity>Medium</severity>")
    after = {f.identity for f in parse_bytes(changed) if isinstance(f, Finding)}
    assert before == after


def test_it_reads_export_times_without_guessing_zones():
    assert records("issues.xml", FIXTURES)[0].scan_time == datetime(
        2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    assert parse_export_time("Fri Apr 30 11:45:49 IST 2021", source="x") == datetime(
        2021, 4, 30, 11, 45, 49)  # IST is ambiguous: no zone is guessed
    assert parse_export_time("Sat Sep 13 22:35:04 UTC 2014", source="x") == datetime(
        2014, 9, 13, 22, 35, 4, tzinfo=timezone.utc)
    with pytest.raises(FormatError) as caught:
        parse_export_time("13/09/2014 22:35", source="x.xml")
    assert caught.value.field == "exportTime" and caught.value.source == "x.xml"


def test_it_marks_false_positives_not_applicable():
    cookie = findings("issues.xml", FIXTURES)["5244416"]
    assert cookie.status is ResultStatus.NOT_APPLICABLE and cookie.raw_severity == "False positive"


def test_it_names_file_and_line_of_malformed_xml():
    data = ISSUES.read_bytes()[:2500]
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
    data = ISSUES.read_bytes().replace(
        b"<severity>Information</severity>", b"<severity>Severe</severity>")
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "sev.xml")
    assert caught.value.field == "severity" and caught.value.line is not None


def test_it_refuses_a_zap_file():
    data = (FIXTURES.parent.parent / "zap" / "fixtures" / "first-scan.xml").read_bytes()
    assert not BURP.sniff(data, "zap-xml-plus-format.xml")
    with pytest.raises(FormatError, match="not a Burp"):
        parse_bytes(data)
