"""OWASP ZAP XML importer: its own fixtures (two months of one scope, every alert field,
hostile text), identity, errors; the shared corpus when present."""

import io
from datetime import datetime
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.scan_common import TEXT_LIMIT
from openpoam.formats.zap import PLUGINS
from openpoam.formats.web_common import html_links, html_to_text
from openpoam.formats.zap.parser import parse_generated
from tests.formats import hazards
from tests.paths import SAMPLES

ZAP = PLUGINS[0]
FOLDER = SAMPLES / "zap"
FIXTURES = Path(__file__).parent / "fixtures"
FIRST = FIXTURES / "first-scan.xml"
SHARED = pytest.mark.shared
BODGEIT = "http://bodgeit.securecodebox-demo.svc:8080"
EXPECTED = {  # findings (alerts), instances, site key
    "zap-results-first-scan.xml": (15, 130, BODGEIT),
    "zap-results-second-scan.xml": (18, 126, BODGEIT),
    "zap-xml-plus-format.xml": (1, 1, "http://localhost:8080"),
    "zap_2.16.1_with_req_resp.xml": (4, 13, "https://example-domain.com:443"),
}


def records(name, folder=FOLDER):
    with open(folder / name, "rb") as stream:
        return list(ZAP.parse(stream, source=name))


def findings(name, folder=FOLDER):
    return [r for r in records(name, folder) if isinstance(r, Finding)]


def parse_bytes(data: bytes, name="report.xml"):
    return list(ZAP.parse(io.BytesIO(data), source=name))


@SHARED
def test_it_reads_every_sample():
    names = sorted(p.name for p in FOLDER.glob("*.xml"))
    assert names == sorted(EXPECTED)
    for name in names:
        count, instances, site = EXPECTED[name]
        got = records(name)
        assert [t.asset.key for t in got if isinstance(t, Target)] == [site]
        assert_reads(FOLDER / name, [t.asset.name for t in got if isinstance(t, Target)],
                     count, instances)


@SHARED
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


@SHARED
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


@SHARED
def test_it_reads_localised_and_english_report_dates():
    assert records("zap-xml-plus-format.xml")[0].scan_time == datetime(2022, 9, 30, 8, 40, 35)
    assert records("zap-results-first-scan.xml")[0].scan_time == datetime(2021, 6, 20, 9, 30)
    assert parse_generated("mar., 4 mars 2025 10:11:12", source="x") == datetime(
        2025, 3, 4, 10, 11, 12)


@SHARED
def test_it_reads_zap_2_16_with_program_name():
    info = records("zap_2.16.1_with_req_resp.xml")[0]
    assert (info.scanner, info.scanner_version) == ("ZAP", "2.16.1")
    auth = findings("zap_2.16.1_with_req_resp.xml")[0]
    assert auth.weakness_id == "10111" and auth.cwes == ()
    assert auth.severity is Severity.INFO
    assert "requestbody" not in str(auth.extra)


# --- the fixtures ----------------------------------------------------------------------

SITE = "http://shop.example.gov:8080"


def assert_reads(path: Path, sites: list[str], count: int, instances: int) -> None:
    assert ZAP.sniff(path.read_bytes()[:65536], path.name)
    got = records(path.name, path.parent)
    assert isinstance(got[0], ScanInfo) and got[0].scan_time is not None
    assert [t.asset.name for t in got if isinstance(t, Target)] == sites
    found = [r for r in got if isinstance(r, Finding)]
    assert len(found) == count == len({f.identity for f in found})
    assert sum(len(f.extra.get("instances", [])) for f in found) == instances
    assert all(f.scope == "zap" and f.protocol == "tcp" for f in found)


@pytest.mark.parametrize("name", ["first-scan.xml", "second-scan.xml"])
def test_it_reads_each_fixture(name):
    # The IPv6 site is also covered under its former unbracketed key (site_targets).
    assert_reads(FIXTURES / name, [SITE, "https://[2001:db8::10]:443",
                                   "https://[2001:db8::10]:443"], 6, 6)


def test_it_fills_every_field_of_an_alert():
    info = records("first-scan.xml", FIXTURES)[0]
    assert (info.scanner, info.scanner_version) == ("ZAP", "2.15.0")
    assert info.scan_time == datetime(2026, 11, 2, 8, 0)
    listing = {f.weakness_id: f for f in findings("first-scan.xml", FIXTURES)}["40012"]
    assert listing.severity is Severity.HIGH and listing.raw_severity == "High (Medium)"
    assert listing.cwes == ("CWE-548",) and listing.extra["wasc_id"] == "16"
    assert (listing.port, listing.asset.key, listing.asset.fqdn) == (
        "8080", SITE, "shop.example.gov")
    assert listing.solution == "Turn directory listing off."
    assert listing.references == ("https://owasp.org/www-community/attacks/xss/",
                                  "https://cwe.mitre.org/data/definitions/548.html")
    assert listing.extra["instances"][0] == {
        "uri": "http://shop.example.gov:8080/admin/", "method": "GET", "param": "q",
        "attack": hazards.SCRIPT, "evidence": "Index of /admin"}
    assert listing.extra["confidence"] == "Medium" and listing.extra["count"] == "2"


def test_it_keeps_hostile_text_as_data_and_html_as_plain_text():
    listing = {f.weakness_id: f for f in findings("first-scan.xml", FIXTURES)}["40012"]
    assert listing.title == hazards.MARKUP
    assert listing.description == f"Browsing /admin shows every file.\n\n{hazards.NON_ASCII}"
    assert listing.evidence.startswith(hazards.FORMULA + "\n")


def test_it_keeps_old_style_repeated_plugins_apart_and_reads_info_alerts():
    found = {f.weakness_id: f for f in findings("first-scan.xml", FIXTURES)}
    assert "10202" in found and "10202:Absence of Anti-CSRF Tokens (form 2)" in found
    assert found["10202:Absence of Anti-CSRF Tokens (form 2)"].cwes == ()  # -1
    auth = found["10111"]
    assert auth.severity is Severity.INFO and auth.evidence == ""


def test_it_reads_an_ipv6_site():
    hsts = {f.weakness_id: f for f in findings("first-scan.xml", FIXTURES)}["10035"]
    assert (hsts.asset.ip, hsts.port) == (hazards.IPV6, "443")
    assert hsts.asset.key == "https://[2001:db8::10]:443"  # bracketed: host and port apart


def test_it_keys_an_ipv6_site_the_same_however_the_report_spells_it():
    data = (FIXTURES / "first-scan.xml").read_bytes().replace(
        b'host="2001:db8::10"', b'host="[2001:DB8:0:0::10]"')
    sites = {r.asset.key for r in ZAP.parse(io.BytesIO(data), source="z.xml")
             if isinstance(r, Target)}
    assert sites == {SITE, "https://[2001:db8::10]:443", "https://2001:db8::10:443"}


def test_it_keeps_identity_across_the_fixtures_two_months():
    first = {f.identity for f in findings("first-scan.xml", FIXTURES)}
    second = {f.identity for f in findings("second-scan.xml", FIXTURES)}
    assert sorted(i[1] for i in first - second) == ["10035"]  # fixed
    assert sorted(i[1] for i in second - first) == ["10054"]  # new
    assert len(first & second) == 5  # the changed URL of 40012 keeps its item


def test_it_refuses_an_unreadable_date_naming_the_field():
    data = FIRST.read_bytes().replace(b"Mon, 2 Nov 2026 08:00:00", b"02/11/2026 08:00")
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "dated.xml")
    assert caught.value.field == "generated" and caught.value.source == "dated.xml"


def test_it_marks_user_flagged_false_positives_not_applicable():
    found = {f.weakness_id: f for f in findings("first-scan.xml", FIXTURES)}
    assert found["10021"].status is ResultStatus.NOT_APPLICABLE
    assert found["10021"].raw_severity == "Low (False Positive)"


def test_it_names_file_and_line_of_malformed_xml():
    data = FIRST.read_bytes()[:2500]
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "cut.xml")
    assert caught.value.source == "cut.xml" and caught.value.line is not None


def test_it_refuses_entity_declarations():
    hazards.assert_refuses_entities(ZAP, FIRST.read_bytes())


def test_it_refuses_a_burp_file():
    data = (FIXTURES.parent.parent / "burp" / "fixtures" / "issues.xml").read_bytes()
    assert not ZAP.sniff(data, "one_finding_with_cwe.xml")
    with pytest.raises(FormatError, match="not a ZAP"):
        parse_bytes(data)


def test_it_turns_html_into_plain_text_and_links():
    html = '<p>One &amp; two</p><ul><li>a</li><li><a href="https://x.example/y">b</a></li></ul>'
    assert html_to_text(html) == "One & two\n\n- a\n- b"
    assert html_links(html) == ["https://x.example/y"]
    assert html_to_text("<script>alert(1)</script>text") == "text"


def test_it_caps_huge_evidence_with_the_shared_limit_and_a_marker():
    data = (FIXTURES / "first-scan.xml").read_bytes().replace(
        b"<otherinfo>=HYPERLINK", b"<otherinfo>" + b"A" * 100_000, 1)
    listing = [f for f in ZAP.parse(io.BytesIO(data), source="z.xml")
               if isinstance(f, Finding) and f.weakness_id == "40012"][0]
    assert listing.evidence.startswith("A" * TEXT_LIMIT) and "truncated" in listing.evidence
    assert len(listing.evidence) < TEXT_LIMIT + 100
