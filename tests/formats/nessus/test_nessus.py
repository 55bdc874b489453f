"""Tenable Nessus .nessus importer: every sample, compliance results, errors, identity."""

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.nessus import PLUGINS
from openpoam.formats.scan_common import TEXT_LIMIT
from tests.paths import SAMPLES

IMPORTER = PLUGINS[0]
FOLDER = SAMPLES / "nessus"
FIXTURES = Path(__file__).parent / "fixtures"


def records(path: Path):
    with path.open("rb") as stream:
        return list(IMPORTER.parse(stream, source=path.name))


def parse_bytes(data: bytes, name: str = "test.nessus"):
    return list(IMPORTER.parse(io.BytesIO(data), source=name))


def findings(recs) -> list[Finding]:
    return [r for r in recs if isinstance(r, Finding)]


def by_id(recs, weakness_id: str, key: str | None = None) -> Finding:
    hits = [f for f in findings(recs) if f.weakness_id == weakness_id
            and (key is None or f.asset.key == key)]
    assert len(hits) == 1, hits
    return hits[0]


def small_report(items: str, tags: str = '<tag name="host-ip">10.1.1.1</tag>',
                 host: str = "10.1.1.1") -> bytes:
    return (f'<?xml version="1.0" ?>\n<NessusClientData_v2><Report name="r">'
            f'<ReportHost name="{host}"><HostProperties>{tags}</HostProperties>'
            f'{items}</ReportHost></Report></NessusClientData_v2>').encode()


def item(plugin="10001", port="443", severity="2", output="out", extra="") -> str:
    return (f'<ReportItem port="{port}" svc_name="www" protocol="tcp" severity="{severity}" '
            f'pluginID="{plugin}" pluginName="Plugin {plugin}" pluginFamily="General">'
            f'<plugin_output>{output}</plugin_output>{extra}</ReportItem>')


def test_it_is_a_scan_importer_with_a_key():
    assert isinstance(IMPORTER, ScanImporter)
    assert IMPORTER.key == "nessus"


# Counts read from the samples: (targets, findings, findings above info, scanner version).
EXPECTED = {
    "example.nessus": (1, 230, 95, "7.1.1"),
    "nessus_report_local_3.nessus": (3, 106, 35, "5.2.4"),
    "nessus_v_unknown.xml": (7, 296, 30, "5.2.1"),
    "nessus_was_many_vuln.xml": (1, 5, 4, ""),
    "nessus_with_cwe-.nessus": (1, 1, 1, ""),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_it_reads_every_sample(name):
    path = FOLDER / name
    assert IMPORTER.sniff(path.read_bytes()[:65536], name)
    recs = records(path)
    targets = [r for r in recs if isinstance(r, Target)]
    infos = [r for r in recs if isinstance(r, ScanInfo)]
    found = findings(recs)
    hosts, total, above_info, version = EXPECTED[name]
    assert len(targets) == hosts
    assert len(found) == total
    assert sum(f.severity != Severity.INFO for f in found) == above_info
    assert len(infos) == 1 and infos[0].scanner_version == version
    assert all(f.scope == "tenable" and f.weakness_id.isdigit() for f in found)
    assert all(f.port != "0" and f.protocol == f.protocol.lower() for f in found)
    assert len({f.identity for f in found}) == total


def test_it_covers_every_sample_in_the_folder():
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(EXPECTED)


def test_it_reads_an_agent_scan_with_host_uuid_key_and_real_values():
    recs = records(FOLDER / "example.nessus")
    flash = by_id(recs, "105175")
    assert flash.asset.key == "22633c46-e142-4c6c-912c-271b15810d47"
    assert flash.asset.fqdn == "adam.ad.demo.io" and flash.asset.ip == "192.168.16.133"
    assert flash.title == "Adobe Flash Player <= 27.0.0.187 (APSB17-42)"
    assert (flash.port, flash.protocol) == ("445", "tcp")
    assert flash.severity == Severity.MODERATE and flash.raw_severity == "2"
    assert flash.cves == ("CVE-2017-11305",)
    assert "BID:102139" in flash.references
    assert flash.extra["cvss3_base_score"] == 5.3
    assert flash.extra["cvss3_vector"] == "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N"
    assert flash.extra["plugin_publication_date"] == "2017-12-12"
    assert flash.last_seen == datetime(2018, 9, 14, 3, 41, 35)
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.scan_time == datetime(2018, 9, 14, 3, 33, 11)
    assert info.name == "Test Agent Scan"


def test_it_yields_info_items_as_open_info_findings():
    found = findings(records(FOLDER / "nessus_v_unknown.xml"))
    info = [f for f in found if f.severity == Severity.INFO]
    assert len(info) == 266
    assert {f.status for f in info} == {ResultStatus.OPEN}


def test_it_reads_cwe_in_both_spellings_and_epoch_host_times():
    recs = records(FOLDER / "nessus_with_cwe-.nessus")
    php = by_id(recs, "31649")
    assert php.cwes == ("CWE-94", "CWE-119", "CWE-399")
    assert len(php.cves) == 15 and "CVE-2006-1015" in php.cves
    assert php.extra["vpr_score"] == 6.7
    assert php.severity == Severity.HIGH
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.scan_time == datetime(2022, 3, 23, 13, 31, 51, tzinfo=timezone.utc)
    ssh = [f for f in findings(records(FOLDER / "nessus_report_local_3.nessus"))
           if f.weakness_id == "70658" and f.asset.key == "192.168.2.101"]
    assert sorted(f.port for f in ssh) == ["22", "2222"]
    assert {f.cwes for f in ssh} == {("CWE-200",)}


def test_it_reads_tenable_was_urls_and_upper_case_protocol():
    recs = records(FOLDER / "nessus_was_many_vuln.xml")
    xss = by_id(recs, "98104")
    assert xss.asset.key == "http://google.com/" and xss.asset.kind == "url"
    assert (xss.port, xss.protocol) == ("80", "tcp")
    assert xss.severity == Severity.HIGH
    assert xss.cwes == ("CWE-79",)
    assert xss.extra["cvss3_base_score"] == 7.1
    assert "<xss_9676200>" in xss.evidence  # entity-decoded text, never rendered
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.scanner == "Tenable Web App Scanning"


def test_it_keys_hosts_on_netbios_then_ip():
    keys = {r.asset.key for r in records(FOLDER / "nessus_report_local_3.nessus")
            if isinstance(r, Target)}
    assert keys == {"192.168.2.104", "192.168.2.101", "mike-macbook"}


def test_it_maps_port_zero_to_host_level():
    found = findings(records(FOLDER / "nessus_v_unknown.xml"))
    assert any(f.port == "" for f in found)
    assert not any(f.port == "0" for f in found)


# --- compliance ------------------------------------------------------------

def test_it_keeps_compliance_checks_apart_and_maps_results():
    recs = records(FIXTURES / "compliance.nessus")
    found = findings(recs)
    assert len(found) == 5
    checks = {f.weakness_id: f for f in found if f.weakness_id.startswith("21156:")}
    assert len(checks) == 4
    failed = checks["21156:8c3fd4e2f1b6f0e21c1a7a0f3a9e6a55"]
    assert failed.status == ResultStatus.OPEN
    assert failed.severity == Severity.MODERATE  # CAT|II, though Nessus wrote severity 3
    assert failed.raw_severity == "3 FAILED"
    assert failed.title.startswith("WN10-AC-000005")
    assert failed.controls == ("AC-7", "AC-7(1)")
    assert failed.ccis == ("CCI-002238",)
    assert "Actual value:\n5" in failed.evidence and "[15..MAX]" in failed.evidence
    assert failed.description.startswith("The account lockout feature")
    assert failed.extra["compliance_references"]["STIG-ID"] == ["WN10-AC-000005"]
    assert failed.extra["compliance_audit_file"] == "DISA_STIG_Windows_10_v2r8.audit"
    statuses = {f.extra["compliance_result"]: f.status for f in checks.values()}
    assert statuses == {"FAILED": ResultStatus.OPEN, "PASSED": ResultStatus.PASSED,
                        "WARNING": ResultStatus.NOT_REVIEWED, "ERROR": ResultStatus.ERROR}
    passed = checks["21156:1f0e3dad99908345f7439f8ffabdffc4"]
    assert passed.ccis == ("CCI-000044",)  # bare number gets its prefix
    assert by_id(recs, "57608").status == ResultStatus.OPEN


def test_it_refuses_an_unknown_compliance_result():
    data = small_report(item(plugin="21156", extra=(
        '<cm:compliance-check-id xmlns:cm="http://www.nessus.org/cm">x1</cm:compliance-check-id>'
        '<cm:compliance-result xmlns:cm="http://www.nessus.org/cm">MAYBE</cm:compliance-result>')))
    with pytest.raises(FormatError) as error:
        parse_bytes(data, "audit.nessus")
    assert error.value.field == "cm:compliance-result" and error.value.source == "audit.nessus"


# --- merging, capping --------------------------------------------------------

def test_it_merges_the_same_plugin_twice_on_one_port():
    data = small_report(item(output="first", extra="<cve>CVE-2020-0001</cve>")
                        + item(output="second", severity="3", extra="<cve>CVE-2020-0002</cve>"))
    found = findings(parse_bytes(data))
    assert len(found) == 1
    merged = found[0]
    assert merged.cves == ("CVE-2020-0001", "CVE-2020-0002")
    assert "first" in merged.evidence and "second" in merged.evidence
    assert merged.severity == Severity.HIGH


def test_it_caps_long_plugin_output_with_a_marker():
    data = small_report(item(output="A" * (TEXT_LIMIT + 500)))
    evidence = findings(parse_bytes(data))[0].evidence
    assert evidence.startswith("A" * 100)
    assert "truncated" in evidence and "500 more characters" in evidence
    assert len(evidence) < TEXT_LIMIT + 100


def test_it_yields_a_target_for_a_host_without_findings():
    recs = parse_bytes(small_report(""))
    assert [r.asset.key for r in recs if isinstance(r, Target)] == ["10.1.1.1"]
    assert findings(recs) == []


# --- identity ----------------------------------------------------------------

def test_it_gives_the_same_identity_when_severity_and_text_change():
    before = findings(parse_bytes(small_report(item(severity="2", output="v1"))))[0]
    after = findings(parse_bytes(small_report(item(severity="4", output="v2 changed"))))[0]
    assert before.identity == after.identity
    assert before.severity != after.severity


def test_it_prefers_fqdn_to_ip_so_dhcp_moves_do_not_split_items():
    tags_a = '<tag name="host-ip">10.0.0.1</tag><tag name="host-fqdn">WS1.Corp</tag>'
    tags_b = '<tag name="host-ip">10.0.0.99</tag><tag name="host-fqdn">ws1.corp</tag>'
    a = findings(parse_bytes(small_report(item(), tags_a)))[0]
    b = findings(parse_bytes(small_report(item(), tags_b)))[0]
    assert a.identity == b.identity == ("tenable", "10001", "ws1.corp", "443", "tcp")


def test_it_reads_the_same_file_twice_to_the_same_identities():
    first = {f.identity for f in findings(records(FOLDER / "nessus_v_unknown.xml"))}
    again = {f.identity for f in findings(records(FOLDER / "nessus_v_unknown.xml"))}
    assert first == again and len(first) == 296


# --- errors and sniffing -------------------------------------------------------

def test_it_reports_malformed_xml_with_file_and_line():
    data = small_report(item()).replace(b"</ReportItem>", b"</ReportItm>")
    with pytest.raises(FormatError) as error:
        parse_bytes(data, "broken.nessus")
    assert error.value.source == "broken.nessus"
    assert error.value.line == 2
    assert "broken.nessus, line 2" in str(error.value)


def test_it_reports_a_bad_severity_with_line_and_field():
    data = small_report("\n" + item(severity="9"))
    with pytest.raises(FormatError) as error:
        parse_bytes(data, "sev.nessus")
    assert (error.value.source, error.value.line, error.value.field) == ("sev.nessus", 3,
                                                                          "severity")


def test_it_reports_an_unparseable_host_date():
    data = small_report(item(), '<tag name="HOST_START">31/12/2024 10:00</tag>')
    with pytest.raises(FormatError) as error:
        parse_bytes(data, "date.nessus")
    assert error.value.field == "HOST_START" and error.value.line == 2


def test_it_refuses_another_xml_format():
    other = SAMPLES / "openvas" / "one_vuln.xml"
    assert not IMPORTER.sniff(other.read_bytes()[:65536], other.name)
    with pytest.raises(FormatError) as error:
        records(other)
    assert "NessusClientData_v2" in str(error.value)


def test_it_refuses_entity_declarations():
    data = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<NessusClientData_v2><Report/></NessusClientData_v2>')
    with pytest.raises(FormatError):
        parse_bytes(data)


@pytest.mark.parametrize("head", [b"", b"\x00\xff\xfe garbage", b"<", b"Plugin ID,CVE\n",
                                  b"<?xml version='1.0'?><NessusClientData_v1>"])
def test_it_sniffs_garbage_without_raising(head):
    assert IMPORTER.sniff(head, "x") is False


def test_it_sniffs_by_content_not_name():
    head = (FOLDER / "nessus_v_unknown.xml").read_bytes()[:65536]
    assert IMPORTER.sniff(head, "whatever.bin")


def test_it_yields_a_target_for_a_host_without_properties():
    data = (b'<NessusClientData_v2><Report name="r"><ReportHost name="Web01">'
            + item().encode() + b'</ReportHost></Report></NessusClientData_v2>')
    recs = parse_bytes(data)
    assert [r.asset.key for r in recs if isinstance(r, Target)] == ["web01"]
    assert findings(recs)[0].asset.key == "web01"


def test_it_keeps_only_identity_for_findings_below_the_brief_threshold():
    from openpoam.formats.nessus.parser import NessusImporter
    from tests.paths import SAMPLES

    path = SAMPLES / "nessus" / "example.nessus"
    full = [r for r in NessusImporter().parse(path.open("rb"), source=path.name)
            if isinstance(r, Finding)]
    brief = [r for r in NessusImporter().parse(path.open("rb"), source=path.name,
                                                brief_below=Severity.LOW)
             if isinstance(r, Finding)]
    assert [f.identity for f in brief] == [f.identity for f in full]
    info = [f for f in brief if f.severity is Severity.INFO and f.weakness_id != "19506"]
    assert info and all(not f.description and not f.extra for f in info)
    kept = [f for f in brief if f.severity is not Severity.INFO]
    assert kept and all(f.description for f in kept)
