"""XCCDF results importer: its own fixtures (SCC with every result word and hostile text,
OpenSCAP patch results), made-up results; the shared corpus when present."""

import io
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.ckl import CklImporter
from openpoam.formats.xccdf import PLUGINS, XccdfImporter
from openpoam.formats.xccdf.parser import RESULTS
from openpoam.formats.registry import build
from tests.formats import hazards
from tests.paths import SAMPLES, shared_files

XCCDF = SAMPLES / "xccdf"
SAMPLE_NAMES = [p.name for p in shared_files(XCCDF, "*.xml")]
FIXTURES = Path(__file__).parent / "fixtures"
SCC = FIXTURES / "scc-results.xml"
SHARED = pytest.mark.shared


def _read(name: str, folder: Path = XCCDF) -> list:
    with open(folder / name, "rb") as stream:
        return list(XccdfImporter().parse(stream, source=name))


def _findings(records) -> list[Finding]:
    return [r for r in records if isinstance(r, Finding)]


def _one(records, weakness_id: str) -> Finding:
    hits = [f for f in _findings(records) if f.weakness_id == weakness_id]
    assert len(hits) == 1
    return hits[0]


def test_it_is_registered_as_xccdf():
    assert [p.key for p in PLUGINS] == ["xccdf"]
    assert isinstance(PLUGINS[0], ScanImporter)
    assert build(("openpoam.formats.xccdf",)).importer("xccdf") is PLUGINS[0]


@SHARED
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_it_reads_every_rule_result_of_every_sample(name):
    assert_results(XCCDF / name)


def assert_results(path: Path) -> None:
    """Every rule-result a finding, with its result word, severity and one identity."""
    text = path.read_text(encoding="utf-8-sig")
    words = re.findall(r"<(?:\w+:)?result>([^<]*)</(?:\w+:)?result>", text)
    records = _read(path.name, path.parent)
    findings = _findings(records)
    assert len(findings) == len(words) > 0
    assert Counter(f.status for f in findings) == Counter(RESULTS[w] for w in words)
    assert Counter(f.extra["result"] for f in findings) == Counter(words)
    assert sum(isinstance(r, ScanInfo) for r in records) == 1
    assert [r.scope for r in records if isinstance(r, Target)] == [findings[0].scope]
    assert len({f.identity for f in findings}) == len(findings)
    for finding in findings:
        assert finding.asset.key == finding.asset.key.lower()
        assert finding.title
        assert finding.severity is {"high": Severity.HIGH, "medium": Severity.MODERATE,
                                    "low": Severity.LOW}[finding.raw_severity]


@SHARED
def test_it_reads_an_scc_scan():
    records = _read("scc_scan-xccdf.xml")
    assert records[0] == ScanInfo(
        scanner="SCAP Compliance Checker", scanner_version="5.8",
        scan_time=datetime(2023, 12, 6, 12, 54, 10),  # SCC writes local time, no zone
        name="Mozilla Firefox for Linux STIG SCAP Benchmark - NIWC Enhanced with Manual "
             "Questions")
    asset = records[1].asset
    assert records[1].scope == "stig:MOZ_Firefox_Linux"
    assert asset.key == "work-ubuntu" and asset.name == "WORK-UBUNTU"
    assert asset.ip == "192.168.0.183"  # not the loopback address listed first
    assert asset.mac == "30:85:a9:9c:7f:7c"
    assert asset.os == "Ubuntu 22.04"
    assert asset.fqdn == ""  # SCC's "WORK-UBUNTU.." names no domain
    first = _one(records, "V-251545")
    assert first.status is ResultStatus.OPEN
    assert first.severity is Severity.HIGH and first.raw_severity == "high"
    assert first.title == "The installed version of Firefox must be supported."
    assert first.ccis == ("CCI-002605",)
    assert first.extra["rule_id"] == "SV-251545r879827_rule"
    assert first.extra["rule_version"] == "FFOX-00-000001"
    assert first.extra["group_title"] == "SRG-APP-000456"
    assert "Answer                      : Finding" in first.evidence
    assert first.description.startswith("Using versions of an application that are not "
                                         "supported by the vendor is not permitted.")
    assert "<VulnDiscussion>" not in first.description
    assert first.solution.startswith("Upgrade the version of the browser")
    assert first.last_seen == datetime(2023, 12, 6, 12, 54, 10)
    # every manual check of an automated scan is "notchecked": no information
    assert Counter(f.status for f in _findings(records))[ResultStatus.NOT_REVIEWED] == 2


@SHARED
def test_it_reads_evaluate_stig_results_without_rule_definitions():
    records = _read("eval-stig-w-sm-resultEngine.xml")
    scan = records[0]
    assert (scan.scanner, scan.scanner_version) == ("Evaluate-STIG", "1.2407.1")
    assert scan.scan_time == datetime(2024, 9, 11, 15, 8, 51,
                                      tzinfo=timezone(timedelta(hours=-4)))
    findings = _findings(records)
    # no Group in the file: the V-number comes from the SV-number
    assert [f.weakness_id for f in findings] == [
        "V-221558", "V-221559", "V-221561", "V-221562", "V-221563"]
    failed = _one(records, "V-221563")
    assert failed.status is ResultStatus.OPEN
    assert failed.title == "DTBC-0006"  # only the STIG id is known
    assert failed.ccis == ("CCI-001170",)
    assert failed.extra["legacy_ids"] == ["SV-57563", "V-44729"]
    assert failed.extra["stig_release"] == "Release: 9 Benchmark Date: 24 Jan 2024"
    passed = _one(records, "V-221558")
    assert passed.evidence.startswith("Evaluate-STIG 1.2407.1 (Scan-GoogleChrome_Checks)")


@SHARED
def test_it_reads_a_default_namespace_stig_manager_export():
    records = _read("Asset_a-VPN_TRUNCATED-V2R5-xccdf.xml")
    findings = _findings(records)
    assert {f.asset.key for f in findings} == {"asset_aaaaaaaaaa"}
    statuses = {f.weakness_id: f.status for f in findings}
    assert statuses["V-207184"] is ResultStatus.PASSED
    assert statuses["V-207185"] is ResultStatus.OPEN
    assert statuses["V-207186"] is ResultStatus.NOT_APPLICABLE
    assert statuses["V-207187"] is ResultStatus.NOT_REVIEWED  # informational
    assert _one(records, "V-207185").evidence == "xyz"
    # severity comes from the Rule when the result does not repeat it
    assert _one(records, "V-207185").severity is Severity.MODERATE


@SHARED
def test_it_shares_identities_with_the_checklist_of_the_same_asset():
    xccdf = _findings(_read("Asset_a-VPN_TRUNCATED-V2R5-xccdf.xml"))
    with open(SAMPLES / "ckl" / "Asset_a-multi-stig.ckl", "rb") as stream:
        ckl = _findings(CklImporter().parse(stream, source="Asset_a-multi-stig.ckl"))
    vpn = {f.identity for f in ckl if f.scope == "stig:VPN_TRUNCATED"}
    assert {f.identity for f in xccdf} == vpn


@SHARED
def test_it_reads_openscap_rhsa_results():
    records = _read("many_vuln_rhsa.xml")
    scan = records[0]
    assert (scan.scanner, scan.scanner_version) == ("OpenSCAP", "1.2.17")
    assert scan.scan_time == datetime(2019, 3, 4, 7, 43, 35)
    findings = _findings(records)
    assert len(findings) == 2935
    failed = [f for f in findings if f.status is ResultStatus.OPEN]
    assert len(failed) == 31
    # not a DISA STIG: its own scope, keyed by rule id
    assert {f.scope for f in findings} == {"xccdf:generated-xccdf"}
    kernel = _one(records, "oval-com.redhat.rhsa-def-20173315")
    assert kernel.status is ResultStatus.OPEN
    assert kernel.title == "RHSA-2017:3315: kernel security and bug fix update (Moderate)"
    assert "CVE-2017-1000380" in kernel.cves
    assert kernel.asset.key == "sample.system"
    assert kernel.asset.ip == "192.168.94.166"


@SHARED
def test_it_reads_the_small_rhsa_sample():
    records = _read("one_vuln_rhsa.xml")
    failed = [f for f in _findings(records) if f.status is ResultStatus.OPEN]
    assert [(f.weakness_id, f.severity, f.cves) for f in failed] == [
        ("oval-com.redhat.rhsa-def-20060117", Severity.LOW, ("CVE-2005-1038",))]
    assert len(_one(records, "oval-com.redhat.rhsa-def-20060101").cves) > 10


@SHARED
@pytest.mark.parametrize("folder,name,expected", [
    *[("xccdf", name, True) for name in SAMPLE_NAMES],
    ("ckl", "Asset_a-multi-stig.ckl", False),
    ("nessus", "example.nessus", False),
    ("openvas", "one_vuln.xml", False),
    ("cklb", "Asset_a-multi-stig.cklb", False),
])
def test_it_recognises_xccdf_by_root_and_namespace(folder, name, expected):
    head = (SAMPLES / folder / name).read_bytes()[:65536]
    assert XccdfImporter().sniff(head, "renamed.bin") is expected


@pytest.mark.parametrize("head", [
    b"", b"<Benchmark>", b'<Benchmark xmlns="http://example.com/other">',
    bytes(range(256)), '<Benchmark xmlns="x">'.encode("utf-16")])
def test_it_declines_what_is_not_xccdf_without_raising(head):
    assert XccdfImporter().sniff(head, "x.xml") is False


# --- the fixtures -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["scc-results.xml", "openscap-rhsa.xml"])
def test_it_reads_every_rule_result_of_each_fixture(name):
    assert_results(FIXTURES / name)


def test_it_reads_the_fixtures_scc_scan_and_its_target():
    records = _read(SCC.name, FIXTURES)
    assert records[0] == ScanInfo(
        scanner="SCAP Compliance Checker", scanner_version="5.10",
        scan_time=datetime(2026, 11, 2, 8, 0),
        name="Test Browser STIG SCAP Benchmark — Contrôle ✓")
    target = records[1]
    assert target.scope == "stig:Test_Browser"
    asset = target.asset
    assert (asset.key, asset.name, asset.fqdn, asset.os) == (
        "ws01", "WS01", "ws01.corp.example", "Windows 11 23H2")
    assert (asset.ip, asset.mac) == ("10.20.0.7", "00:50:56:aa:bb:cc")  # not the loopback


def test_it_reads_every_field_of_a_fixture_rule():
    listing = _one(_read(SCC.name, FIXTURES), "V-900001")
    assert listing.status is ResultStatus.OPEN and listing.severity is Severity.HIGH
    assert listing.ccis == ("CCI-002605",)
    assert listing.controls == ("CM-6", "SI-2")  # the SP 800-53 reference, in catalog order
    assert listing.solution == "Upgrade the browser."
    assert listing.description.endswith("\n\nCheck:\nOpen Help >> About and read the version.")
    assert listing.extra["rule_id"] == "SV-900001r1_rule"
    assert listing.extra["group_title"] == "SRG-APP-000456"
    assert listing.extra["stig_release"] == "Release: 3 Benchmark Date: 01 Oct 2026"
    assert listing.last_seen == datetime(2026, 11, 2, 8, 1)  # the rule-result's own time


def test_it_keeps_hostile_text_as_data():
    listing = _one(_read(SCC.name, FIXTURES), "V-900001")
    assert listing.title == hazards.MARKUP
    assert hazards.NON_ASCII in listing.description
    assert listing.evidence == f"{hazards.FORMULA}\nAnswer : Finding {hazards.SCRIPT}"


def test_it_maps_the_fixtures_result_words():
    statuses = {f.weakness_id: f.status for f in _findings(_read(SCC.name, FIXTURES))}
    assert statuses == {"V-900001": ResultStatus.OPEN, "V-900002": ResultStatus.PASSED,
                        "V-900003": ResultStatus.NOT_APPLICABLE,
                        "V-900004": ResultStatus.NOT_REVIEWED, "V-900005": ResultStatus.ERROR,
                        "V-900006": ResultStatus.NOT_REVIEWED}


def test_it_reads_openscap_patch_results_in_their_own_scope():
    records = _read("openscap-rhsa.xml", FIXTURES)
    assert (records[0].scanner, records[0].scanner_version) == ("OpenSCAP", "1.3.10")
    failed = _one(records, "oval-com.example.patch-def-20260001")
    assert failed.scope == "xccdf:generated-xccdf" and failed.status is ResultStatus.OPEN
    assert failed.cves == ("CVE-2026-10001", "CVE-2026-10002")
    assert (failed.asset.key, failed.asset.ip) == ("db01.example.gov", hazards.IPV6)


@pytest.mark.parametrize("path,expected", [
    (SCC, True), (FIXTURES / "openscap-rhsa.xml", True),
    *[(FIXTURES.parent.parent / other, False) for other in (
        "ckl/fixtures/evaluate-stig.ckl", "nessus/fixtures/hazards.nessus",
        "openvas/fixtures/report.xml", "cklb/fixtures/hazards.cklb")],
], ids=lambda p: getattr(p, "name", str(p)))
def test_it_recognises_the_fixtures_by_root_and_namespace(path, expected):
    assert XccdfImporter().sniff(path.read_bytes()[:65536], "renamed.bin") is expected


def test_it_refuses_entity_declarations():
    hazards.assert_refuses_entities(XccdfImporter(), SCC.read_bytes())


# --- made-up results --------------------------------------------------------------

def _results(*results: str, root: str = "Benchmark", rules: str = "",
             benchmark: str = "xccdf_mil.disa.stig_benchmark_Test") -> bytes:
    rule_results = "".join(
        f'<rule-result idref="xccdf_mil.disa.stig_rule_SV-{100 + n}r1_rule" '
        f'severity="low"><result>{word}</result></rule-result>\n'
        for n, word in enumerate(results))
    test_result = (f'<TestResult id="t" start-time="2024-01-02T03:04:05Z" '
                   f'test-system="cpe:/a:example:scanner:2.0">\n'
                   f'<benchmark id="{benchmark}"/>\n'
                   f'<target>Host1</target>\n{rule_results}</TestResult>')
    ns = 'xmlns="http://checklists.nist.gov/xccdf/1.2"'
    if root == "TestResult":
        standalone = test_result.replace("<TestResult", f"<TestResult {ns}", 1)
        return f'<?xml version="1.0"?>\n{standalone}'.encode()
    return (f'<?xml version="1.0"?>\n<Benchmark {ns} id="{benchmark}">\n'
            f'<title>Test</title>\n{rules}{test_result}\n</Benchmark>').encode()


def _parse(data: bytes) -> list:
    return list(XccdfImporter().parse(io.BytesIO(data), source="made.xml"))


def test_it_maps_every_xccdf_result_word():
    words = list(RESULTS)
    findings = _findings(_parse(_results(*words)))
    assert [f.status for f in findings] == [RESULTS[w] for w in words]
    assert RESULTS["error"] is ResultStatus.ERROR
    assert RESULTS["fixed"] is ResultStatus.PASSED
    assert RESULTS["notchecked"] is ResultStatus.NOT_REVIEWED
    assert RESULTS["notselected"] is ResultStatus.NOT_APPLICABLE


def test_it_refuses_an_unknown_result_naming_its_line():
    with pytest.raises(FormatError, match="unknown XCCDF result 'maybe'") as caught:
        _parse(_results("pass", "maybe"))
    assert caught.value.line == 8  # the second rule-result


def test_it_reads_a_bare_test_result_document_with_bom_and_crlf():
    data = b"\xef\xbb\xbf" + _results("fail", root="TestResult").replace(b"\n", b"\r\n")
    records = _parse(data)
    assert records[1].scope == "stig:Test"
    finding = _findings(records)[0]
    assert (finding.weakness_id, finding.status) == ("V-100", ResultStatus.OPEN)
    assert finding.asset.key == "host1"
    assert records[0].scanner == "scanner" and records[0].scanner_version == "2.0"


def test_it_reads_sp_800_53_controls_from_rule_references():
    rules = ('<Rule id="xccdf_mil.disa.stig_rule_SV-100r1_rule" severity="high">'
             '<title>Rule</title>'
             '<reference href="https://nvlpubs.nist.gov/nistpubs/SpecialPublications/'
             'NIST.SP.800-53r4.pdf">CM-6(a),AC-17(2), ac-2</reference>'
             '<reference href="https://example.com/other">ZZ-9</reference>'
             '<ident system="http://cyber.mil/cci">CCI-000366</ident></Rule>\n')
    finding = _findings(_parse(_results("fail", rules=rules)))[0]
    # The references' controls plus CCI-000366 -> CM-6, unique, in catalog order.
    assert finding.controls == ("AC-2", "AC-17(2)", "CM-6")
    assert finding.ccis == ("CCI-000366",)
    assert finding.title == "Rule"
    assert finding.raw_severity == "low"  # the result's own severity wins


def test_it_refuses_a_benchmark_without_results():
    data = (b'<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="b">'
            b'<Rule id="r"/></Benchmark>')
    with pytest.raises(FormatError, match="no rule results"):
        _parse(data)


def test_it_refuses_a_date_it_cannot_read():
    data = _results("pass").replace(b"2024-01-02T03:04:05Z", b"02/01/2024")
    with pytest.raises(FormatError, match="unreadable date") as caught:
        _parse(data)
    assert caught.value.field == "start-time"


def test_it_refuses_another_xml_document():
    with pytest.raises(FormatError, match="XCCDF Benchmark or TestResult"):
        _parse(b"<CHECKLIST/>")
