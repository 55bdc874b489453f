import io
from datetime import datetime

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.zap import PLUGINS
from openpoam.formats.web_common import html_links, html_to_text
from openpoam.formats.zap.importer import parse_generated
from tests.paths import SAMPLES

ZAP = PLUGINS[0]
FOLDER = SAMPLES / "zap"
BODGEIT = "http://bodgeit.securecodebox-demo.svc:8080"
EXPECTED = {  # findings (alerts), instances, site key
    "zap-results-first-scan.xml": (15, 130, BODGEIT),
    "zap-results-second-scan.xml": (18, 126, BODGEIT),
    "zap-xml-plus-format.xml": (1, 1, "http://localhost:8080"),
    "zap_2.16.1_with_req_resp.xml": (4, 13, "https://example-domain.com:443"),
}


def records(name):
    with open(FOLDER / name, "rb") as stream:
        return list(ZAP.parse(stream, source=name))


def findings(name):
    return [r for r in records(name) if isinstance(r, Finding)]


def parse_bytes(data: bytes, name="report.xml"):
    return list(ZAP.parse(io.BytesIO(data), source=name))


def test_it_reads_every_sample():
    names = sorted(p.name for p in FOLDER.glob("*.xml"))
    assert names == sorted(EXPECTED)
    for name in names:
        count, instances, site = EXPECTED[name]
        assert ZAP.sniff((FOLDER / name).read_bytes()[:65536], name), name
        got = records(name)
        assert isinstance(got[0], ScanInfo) and got[0].scan_time is not None
        assert [t.asset.key for t in got if isinstance(t, Target)] == [site]
        found = [r for r in got if isinstance(r, Finding)]
        assert len(found) == count, name
        assert sum(len(f.extra["instances"]) for f in found) == instances, name
        assert all(f.scope == "zap" and f.protocol == "tcp" for f in found)


def test_it_fills_an_alert():
    by_id = {f.weakness_id: f for f in findings("zap-results-first-scan.xml")}
    xss = by_id["40012"]
    assert xss.title == "Cross Site Scripting (Reflected)"
    assert xss.severity is Severity.HIGH and xss.raw_severity == "High (Medium)"
    assert xss.cwes == ("CWE-79",)
    assert xss.port == "8080" and xss.asset.fqdn == "bodgeit.securecodebox-demo.svc"
    assert "<p>" not in xss.description and "<" not in xss.solution
    assert xss.description.startswith("Cross-site Scripting (XSS) is an attack technique")
    assert xss.extra["instances"][0]["method"] in ("GET", "POST")
    assert xss.extra["wasc_id"] == "8"
    assert any(ref.startswith("http") for ref in xss.references)


def test_it_keeps_identity_across_the_two_scans():
    first = {f.identity: f for f in findings("zap-results-first-scan.xml")}
    second = {f.identity: f for f in findings("zap-results-second-scan.xml")}
    assert len(set(first) & set(second)) == 14
    assert sorted(i[1] for i in set(first) - set(second)) == ["10062"]  # closed
    assert sorted(i[1] for i in set(second) - set(first)) == ["10010", "10054", "10096",
                                                              "40033"]  # new
    # affected URLs change without changing the item
    def urls(found):
        return {(f.weakness_id, i.get("uri"), i.get("method"), i.get("param"))
                for f in found.values() for i in f.extra["instances"]}
    assert (len(urls(first)), len(urls(second)), len(urls(first) & urls(second))) == (
        129, 125, 83)


def test_it_reads_localised_and_english_report_dates():
    assert records("zap-xml-plus-format.xml")[0].scan_time == datetime(2022, 9, 30, 8, 40, 35)
    assert records("zap-results-first-scan.xml")[0].scan_time == datetime(2021, 6, 20, 9, 30)
    assert parse_generated("mar., 4 mars 2025 10:11:12", source="x") == datetime(
        2025, 3, 4, 10, 11, 12)


def test_it_reads_zap_2_16_with_program_name():
    info = records("zap_2.16.1_with_req_resp.xml")[0]
    assert (info.scanner, info.scanner_version) == ("ZAP", "2.16.1")
    auth = findings("zap_2.16.1_with_req_resp.xml")[0]
    assert auth.weakness_id == "10111" and auth.cwes == ()
    assert auth.severity is Severity.INFO
    assert "requestbody" not in str(auth.extra)


def test_it_refuses_an_unreadable_date_naming_the_field():
    data = (FOLDER / "zap-xml-plus-format.xml").read_bytes().replace(
        b"Fr., 30 Sep. 2022 08:40:35", b"30/09/2022 08:40")
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "dated.xml")
    assert caught.value.field == "generated" and caught.value.source == "dated.xml"


def test_it_marks_user_flagged_false_positives_not_applicable():
    data = (FOLDER / "zap-xml-plus-format.xml").read_bytes().replace(
        b"<confidence>2</confidence>", b"<confidence>0</confidence>")
    found = [r for r in parse_bytes(data) if isinstance(r, Finding)]
    assert found[0].status is ResultStatus.NOT_APPLICABLE


def test_it_names_file_and_line_of_malformed_xml():
    data = (FOLDER / "zap-results-first-scan.xml").read_bytes()[:5000]
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "cut.xml")
    assert caught.value.source == "cut.xml" and caught.value.line is not None


def test_it_refuses_entity_declarations():
    data = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<OWASPZAPReport version="2.10.0" generated="Sun, 20 Jun 2021 09:30:00">'
            b'</OWASPZAPReport>')
    with pytest.raises(FormatError, match="ENTITY"):
        parse_bytes(data)


def test_it_refuses_a_burp_file():
    data = (SAMPLES / "burp" / "one_finding_with_cwe.xml").read_bytes()
    assert not ZAP.sniff(data, "one_finding_with_cwe.xml")
    with pytest.raises(FormatError, match="not a ZAP"):
        parse_bytes(data)


def test_it_turns_html_into_plain_text_and_links():
    html = '<p>One &amp; two</p><ul><li>a</li><li><a href="https://x.example/y">b</a></li></ul>'
    assert html_to_text(html) == "One & two\n\n- a\n- b"
    assert html_links(html) == ["https://x.example/y"]
    assert html_to_text("<script>alert(1)</script>text") == "text"
