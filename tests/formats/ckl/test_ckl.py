"""DISA STIG Viewer .ckl importer: its own fixture (Evaluate-STIG, BOM and CRLF, two STIGs,
every status, hostile text), small made-up checklists; the shared corpus when present."""

import io
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.ckl import PLUGINS, CklImporter
from openpoam.formats.registry import build
from tests.formats import hazards
from tests.paths import SAMPLES, shared_files

CKL = SAMPLES / "ckl"
MALFORMED = "all-possible-results.ckl"
WELL_FORMED = [p.name for p in shared_files(CKL, "*.ckl") if p.name != MALFORMED]
EASTERN = timezone(timedelta(hours=-5))
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "evaluate-stig.ckl"
SHARED = pytest.mark.shared


def _read(name: str, folder: Path = CKL) -> list:
    with open(folder / name, "rb") as stream:
        return list(CklImporter().parse(stream, source=name))


def _findings(records) -> list[Finding]:
    return [r for r in records if isinstance(r, Finding)]


def _one(records, weakness_id: str, scope: str = "") -> Finding:
    hits = [f for f in _findings(records)
            if f.weakness_id == weakness_id and (not scope or f.scope == scope)]
    assert len(hits) == 1
    return hits[0]


def test_it_is_registered_as_ckl():
    assert [p.key for p in PLUGINS] == ["ckl"]
    assert isinstance(PLUGINS[0], ScanImporter)
    assert build(("openpoam.formats.ckl",)).importer("ckl") is PLUGINS[0]


@SHARED
@pytest.mark.parametrize("name", WELL_FORMED)
def test_it_reads_every_vuln_of_every_sample(name):
    assert_counts(CKL / name)


def assert_counts(path: Path) -> None:
    """Every VULN a finding, every iSTIG a target, statuses and severities as written."""
    records = _read(path.name, path.parent)
    text = path.read_text(encoding="utf-8-sig")
    findings = _findings(records)
    assert len(findings) == text.count("<VULN>")
    targets = [r for r in records if isinstance(r, Target)]
    assert len(targets) == text.count("<iSTIG>")
    assert {t.scope for t in targets} == {f.scope for f in findings}
    assert sum(isinstance(r, ScanInfo) for r in records) == 1
    statuses = Counter(re.findall(r"<STATUS>([^<]*)</STATUS>", text))
    words = {"Open": ResultStatus.OPEN, "NotAFinding": ResultStatus.PASSED,
             "Not_Applicable": ResultStatus.NOT_APPLICABLE,
             "Not_Reviewed": ResultStatus.NOT_REVIEWED}
    assert Counter(f.status for f in findings) == Counter(
        {words[word]: count for word, count in statuses.items()})
    for finding in findings:
        assert re.fullmatch(r"V-\d+", finding.weakness_id)
        assert finding.scope.startswith("stig:")
        assert finding.asset.key == finding.asset.key.lower()
        assert finding.title and finding.ccis
        assert finding.extra["rule_id"].startswith("SV-")
        word = finding.extra.get("severity_override") or finding.raw_severity
        assert finding.severity is {"high": Severity.HIGH, "medium": Severity.MODERATE,
                                    "low": Severity.LOW}[word]
    # identity is unique within a checklist
    assert len({f.identity for f in findings}) == len(findings)


@SHARED
def test_it_reads_an_evaluate_stig_checklist_with_bom_and_crlf():
    name = "CA1294WK16078_Chrome_V2R8_20231211-125631.ckl"
    assert (CKL / name).read_bytes().startswith(b"\xef\xbb\xbf")
    records = _read(name)
    scan = records[0]
    assert scan == ScanInfo(
        scanner="Evaluate-STIG", scanner_version="1.2310.1",
        scan_time=datetime(2023, 12, 11, 12, 56, 14, 357627, tzinfo=EASTERN),
        name="Google Chrome Current Windows Security Technical Implementation Guide")
    target = records[1]
    assert target.scope == "stig:Google_Chrome_Current_Windows"
    assert target.asset.key == "ca1294wk16078"
    assert target.asset.name == "CA1294WK16078"
    assert target.asset.fqdn == "ca1294wk16078.cranrdte.navy.mil"
    assert target.asset.ip == "130.163.x.x"
    assert target.asset.mac == "00:05:9A:3C:7A:00"
    finding = _one(records, "V-221558")
    assert finding.status is ResultStatus.PASSED
    assert finding.title == "Firewall traversal from remote host must be disabled."
    assert finding.severity is Severity.MODERATE and finding.raw_severity == "medium"
    assert finding.ccis == ("CCI-001414",)
    # The checklist carries CCIs only; DISA's CCI List maps CCI-001414 to AC-4 (Rev 5).
    assert finding.controls == ("AC-4",)
    assert finding.extra["rule_id"] == "SV-221558r769351_rule"
    assert finding.extra["rule_version"] == "DTBC-0001"
    assert finding.extra["legacy_ids"] == ["V-44711", "SV-57545"]
    assert finding.extra["stig_release"] == "Release: 8 Benchmark Date: 26 Jan 2023"
    assert finding.evidence.startswith("Evaluate-STIG 1.2310.1 (Scan-GoogleChrome_Checks)")
    assert "\r" not in finding.evidence
    assert finding.solution.startswith("Windows group policy:")
    assert finding.description.startswith("Remote connections should never be allowed")
    assert "\n\nCheck:\nUniversal method:" in finding.description
    assert finding.last_seen == scan.scan_time


@SHARED
def test_it_keeps_each_stig_of_a_combined_checklist_in_its_own_scope():
    records = _read("CA1294WK16078_COMBINED_20231211-125650-trimmed.ckl")
    targets = [r for r in records if isinstance(r, Target)]
    assert [t.scope for t in targets] == ["stig:Google_Chrome_Current_Windows",
                                         "stig:MS_Edge_STIG"]
    by_scope = Counter(f.scope for f in _findings(records))
    assert by_scope == {"stig:Google_Chrome_Current_Windows": 3, "stig:MS_Edge_STIG": 56}
    edge = [f for f in _findings(records) if f.scope == "stig:MS_Edge_STIG"]
    # each iSTIG has its own Evaluate-STIG time
    assert {f.last_seen for f in edge} == {
        datetime(2023, 12, 11, 12, 56, 34, 915515, tzinfo=EASTERN)}


@SHARED
def test_it_reads_a_stig_manager_multi_stig_checklist():
    records = _read("Asset_a-multi-stig.ckl")
    assert records[0].scanner == "STIG Manager" and records[0].scanner_version == "1.3.13"
    assert [t.scope for t in records if isinstance(t, Target)] == [
        "stig:RHEL_8_TRUNCATED", "stig:RHEL_9_TRUNCATED", "stig:VPN_TRUNCATED"]
    findings = _findings(records)
    assert Counter(f.status for f in findings) == {
        ResultStatus.NOT_REVIEWED: 24, ResultStatus.PASSED: 3, ResultStatus.OPEN: 2,
        ResultStatus.NOT_APPLICABLE: 1}
    assert {f.asset.key for f in findings} == {"asset_aaaaaaaaaa"}
    first = _one(records, "V-230221")
    assert first.severity is Severity.HIGH and first.raw_severity == "high"
    assert first.title == "RHEL 8 must be a vendor-supported release."
    assert first.extra["group_title"] == "SRG-OS-000480-GPOS-00227"
    opened = sorted((f.scope, f.weakness_id) for f in findings
                    if f.status is ResultStatus.OPEN)
    assert len(opened) == 2


@SHARED
def test_it_reads_the_large_stig_manager_export():
    records = _read("STIG-Manager-OSS.ckl")
    findings = _findings(records)
    assert len(findings) == 286
    assert records[0].scanner_version == "1.5.2"
    assert {f.scope for f in findings} == {"stig:Application_Security_Development_STIG"}
    assert _one(records, "V-222387").evidence.startswith("The User Session layer")


@SHARED
def test_it_decodes_entity_and_character_references_once():
    finding = _one(_read("html-decode.ckl"), "V-207191")
    assert finding.evidence.splitlines()[0] == "& < > \" ' & < & < > \" ' A . % , ~"
    assert finding.extra["comments"] == "xyz"
    assert finding.status is ResultStatus.OPEN


@SHARED
def test_it_refuses_the_malformed_sample_naming_file_and_line():
    with pytest.raises(FormatError) as caught:
        _read(MALFORMED)
    assert caught.value.line == 255
    assert str(caught.value).startswith(f"{MALFORMED}, line 255: malformed XML")


@SHARED
@pytest.mark.parametrize("folder,name,expected", [
    *[("ckl", name, True) for name in WELL_FORMED + [MALFORMED]],
    ("cklb", "Asset_a-multi-stig.cklb", False),
    ("xccdf", "scc_scan-xccdf.xml", False),
    ("nessus", "example.nessus", False),
    ("burp", "seven_findings.xml", False),
])
def test_it_recognises_checklists_by_content(folder, name, expected):
    head = (SAMPLES / folder / name).read_bytes()[:65536]
    assert CklImporter().sniff(head, "renamed.bin") is expected


@pytest.mark.parametrize("head", [b"", b"\x00\xff" * 50, b"<CHECK", "<CHECKLIST>".encode("utf-16")])
def test_it_sniffs_without_raising(head):
    assert CklImporter().sniff(head, "x.ckl") in (True, False)


# --- the fixture ------------------------------------------------------------------------

def test_it_reads_every_vuln_of_the_fixture():
    assert_counts(FIXTURE)
    assert FIXTURE.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in FIXTURE.read_bytes()


def test_it_reads_the_fixtures_evaluate_stig_header_asset_and_stigs():
    records = _read(FIXTURE.name, FIXTURES)
    assert records[0] == ScanInfo(
        scanner="Evaluate-STIG", scanner_version="1.2410.0",
        scan_time=datetime(2026, 11, 2, 8, 0, 0, 123456, tzinfo=EASTERN),
        name="Microsoft Windows 10 Security Technical Implementation Guide")
    targets = [r for r in records if isinstance(r, Target)]
    assert [t.scope for t in targets] == ["stig:Windows_10_STIG",
                                         "stig:Google_Chrome_Current_Windows"]
    asset = targets[0].asset
    assert (asset.key, asset.name, asset.fqdn) == ("ws01", "WS01", "ws01.corp.example")
    assert (asset.ip, asset.mac) == (hazards.IPV6, "00:50:56:AA:BB:CC")  # first of each list
    chrome = _one(records, "V-221558")
    assert chrome.last_seen == datetime(2026, 11, 2, 8, 5, tzinfo=EASTERN)  # its own time
    assert chrome.controls == ("AC-4",)  # from CCI-001414 through DISA's CCI list


def test_it_reads_every_field_of_a_fixture_vuln():
    listing = _one(_read(FIXTURE.name, FIXTURES), "V-220739")
    assert listing.status is ResultStatus.OPEN and listing.severity is Severity.MODERATE
    assert listing.ccis == ("CCI-002238", "CCI-000366")
    assert listing.controls == ("AC-7", "CM-6")
    assert listing.solution == "Configure the setting."
    assert listing.description.endswith("\n\nCheck:\nVerify the setting.")
    assert listing.extra["rule_id"] == "SV-220739r1_rule"
    assert listing.extra["rule_version"] == "WN10-AC-000005"
    assert listing.extra["legacy_ids"] == ["V-63405", "SV-77895"]
    assert listing.extra["stig_release"] == "Release: 8 Benchmark Date: 26 Jan 2026"
    assert listing.extra["comments"] == "Ticket <b>42</b>"
    assert "\r" not in listing.evidence


def test_it_keeps_hostile_text_as_data():
    listing = _one(_read(FIXTURE.name, FIXTURES), "V-220739")
    assert listing.title == hazards.MARKUP
    assert listing.evidence.splitlines()[:4] == [
        hazards.FORMULA, f"{hazards.MARKUP} {hazards.SCRIPT}", hazards.NON_ASCII, "& < > \" '"]


def test_it_reads_the_fixtures_override_and_statuses():
    records = _read(FIXTURE.name, FIXTURES)
    overridden = _one(records, "V-220741")
    assert overridden.severity is Severity.LOW and overridden.raw_severity == "high"
    assert overridden.extra["severity_justification"] == "Mitigated by the VPN."
    assert _one(records, "V-220740").status is ResultStatus.PASSED
    assert _one(records, "V-220742").status is ResultStatus.NOT_APPLICABLE
    assert _one(records, "V-221558").status is ResultStatus.NOT_REVIEWED


OTHER_FORMATS = ["cklb/fixtures/hazards.cklb", "xccdf/fixtures/scc-results.xml",
                 "nessus/fixtures/hazards.nessus", "burp/fixtures/issues.xml"]


@pytest.mark.parametrize("path", [FIXTURE, *(FIXTURES.parent.parent / p for p in OTHER_FORMATS)],
                         ids=lambda p: p.name)
def test_it_recognises_the_fixture_checklist_by_content(path):
    assert CklImporter().sniff(path.read_bytes()[:65536], "renamed.bin") is (path == FIXTURE)


def test_it_refuses_entity_declarations():
    data = FIXTURE.read_bytes().removeprefix(b"\xef\xbb\xbf")
    hazards.assert_refuses_entities(CklImporter(), data, "hostile.ckl")


# --- small made-up checklists ---------------------------------------------------

def _vuln(status: str, vuln_num: str = "V-1001", severity: str = "medium",
          override: str = "", extra_data: str = "") -> str:
    return f"""
      <VULN>
        <STIG_DATA><VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE>
          <ATTRIBUTE_DATA>{vuln_num}</ATTRIBUTE_DATA></STIG_DATA>
        <STIG_DATA><VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE>
          <ATTRIBUTE_DATA>{severity}</ATTRIBUTE_DATA></STIG_DATA>
        <STIG_DATA><VULN_ATTRIBUTE>Rule_ID</VULN_ATTRIBUTE>
          <ATTRIBUTE_DATA>SV-1001r1_rule</ATTRIBUTE_DATA></STIG_DATA>
        <STIG_DATA><VULN_ATTRIBUTE>Rule_Title</VULN_ATTRIBUTE>
          <ATTRIBUTE_DATA>A rule</ATTRIBUTE_DATA></STIG_DATA>
        <STIG_DATA><VULN_ATTRIBUTE>Vuln_Discuss</VULN_ATTRIBUTE>
          <ATTRIBUTE_DATA>&lt;VulnDiscussion&gt;Why it matters &amp;amp; more&lt;/VulnDiscussion&gt;
&lt;FalsePositives&gt;&lt;/FalsePositives&gt;</ATTRIBUTE_DATA></STIG_DATA>
        <STIG_DATA><VULN_ATTRIBUTE>CCI_REF</VULN_ATTRIBUTE>
          <ATTRIBUTE_DATA>CCI-366</ATTRIBUTE_DATA></STIG_DATA>
        <STIG_DATA><VULN_ATTRIBUTE>CCI_REF</VULN_ATTRIBUTE>
          <ATTRIBUTE_DATA>CCI-001199</ATTRIBUTE_DATA></STIG_DATA>
        {extra_data}
        <STATUS>{status}</STATUS>
        <FINDING_DETAILS>found</FINDING_DETAILS>
        <COMMENTS></COMMENTS>
        <SEVERITY_OVERRIDE>{override}</SEVERITY_OVERRIDE>
        <SEVERITY_JUSTIFICATION>{"mitigated" if override else ""}</SEVERITY_JUSTIFICATION>
      </VULN>"""


def _checklist(vulns: str, *, host: str = "Web01", web: str = "false", site: str = "",
               instance: str = "", stigid: str = "Test_STIG", ip: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<CHECKLIST>
  <ASSET>
    <HOST_NAME>{host}</HOST_NAME><HOST_IP>{ip}</HOST_IP><HOST_FQDN></HOST_FQDN>
    <WEB_OR_DATABASE>{web}</WEB_OR_DATABASE>
    <WEB_DB_SITE>{site}</WEB_DB_SITE><WEB_DB_INSTANCE>{instance}</WEB_DB_INSTANCE>
  </ASSET>
  <STIGS>
    <iSTIG>
      <STIG_INFO>
        <SI_DATA><SID_NAME>stigid</SID_NAME><SID_DATA>{stigid}</SID_DATA></SI_DATA>
        <SI_DATA><SID_NAME>title</SID_NAME><SID_DATA>Test STIG</SID_DATA></SI_DATA>
      </STIG_INFO>{vulns}
    </iSTIG>
  </STIGS>
</CHECKLIST>""".encode()


def _parse(data: bytes) -> list:
    return list(CklImporter().parse(io.BytesIO(data), source="made.ckl"))


@pytest.mark.parametrize("word,status", [
    ("Open", ResultStatus.OPEN), ("NotAFinding", ResultStatus.PASSED),
    ("Not_Applicable", ResultStatus.NOT_APPLICABLE),
    ("Not_Reviewed", ResultStatus.NOT_REVIEWED), ("", ResultStatus.NOT_REVIEWED),
])
def test_it_maps_every_checklist_status(word, status):
    assert _findings(_parse(_checklist(_vuln(word))))[0].status is status


def test_it_refuses_an_unknown_status_naming_the_line():
    data = _checklist(_vuln("Open") + _vuln("Fixed", vuln_num="V-1002"))
    with pytest.raises(FormatError, match="unknown checklist status 'Fixed'") as caught:
        _parse(data)
    text = data.decode()
    second_vuln = text.index("<VULN>", text.index("<VULN>") + 1)
    assert caught.value.line == text[:second_vuln].count("\n") + 1


def test_it_applies_a_severity_override_and_keeps_the_original_word():
    finding = _findings(_parse(_checklist(_vuln("Open", severity="high",
                                                override="low"))))[0]
    assert finding.severity is Severity.LOW
    assert finding.raw_severity == "high"
    assert finding.extra["severity_override"] == "low"
    assert finding.extra["severity_justification"] == "mitigated"


def test_it_unpacks_the_vuln_discussion_markup_and_normalises_ccis():
    finding = _findings(_parse(_checklist(_vuln("Open"))))[0]
    assert finding.description == "Why it matters & more"
    assert finding.ccis == ("CCI-000366", "CCI-001199")


def test_it_makes_a_web_or_database_instance_a_separate_asset():
    records = _parse(_checklist(_vuln("Open"), web="true", site="Default Web Site",
                                instance="App1"))
    asset = _findings(records)[0].asset
    assert asset.key == "web01/default web site/app1"
    assert asset.kind == "component"
    plain = _findings(_parse(_checklist(_vuln("Open"))))[0].asset
    assert plain.key == "web01" and plain.kind == "host"


def test_it_falls_back_to_the_ip_when_the_host_name_is_empty():
    records = _parse(_checklist(_vuln("Open"), host="", ip="10.0.0.5, 10.0.0.6"))
    assert _findings(records)[0].asset.key == "10.0.0.5"


def test_it_refuses_a_checklist_without_an_asset_name():
    with pytest.raises(FormatError, match="names no asset"):
        _parse(_checklist(_vuln("Open"), host=""))


def test_it_refuses_a_stig_without_stigid():
    with pytest.raises(FormatError, match="no stigid"):
        _parse(_checklist(_vuln("Open"), stigid=""))


def test_it_refuses_a_vuln_without_a_v_number():
    with pytest.raises(FormatError, match="Vuln_Num"):
        _parse(_checklist(_vuln("Open", vuln_num="")))


def test_it_refuses_another_xml_document():
    with pytest.raises(FormatError, match="CHECKLIST root"):
        _parse(b"<?xml version='1.0'?><Benchmark/>")
