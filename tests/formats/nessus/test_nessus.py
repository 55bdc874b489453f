"""Tenable Nessus .nessus importer: its own fixtures (every field, compliance results, hostile
text), errors, identity; and the shared sample corpus when ../shared is present."""

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import (Finding, ResultStatus, ScanInfo, Severity, Skipped,
                                      Target)
from openpoam.domain.reconcile import Digester
from openpoam.formats.base import FormatError, ScanImporter, Skip
from openpoam.formats.nessus import PLUGINS
from openpoam.formats.nessus import parser as nessus_parser
from openpoam.formats.scan_common import TEXT_LIMIT
from tests.formats import hazards
from tests.paths import SAMPLES

IMPORTER = PLUGINS[0]
FOLDER = SAMPLES / "nessus"
FIXTURES = Path(__file__).parent / "fixtures"
HAZARDS = FIXTURES / "hazards.nessus"
SHARED = pytest.mark.shared


def records(path: Path):
    with path.open("rb") as stream:
        return list(IMPORTER.parse(stream, source=path.name))


def parse_bytes(data: bytes, name: str = "test.nessus"):
    return list(IMPORTER.parse(io.BytesIO(data), source=name))


def findings(recs) -> list[Finding]:
    return [r for r in recs if isinstance(r, Finding)]


def by_id(recs, weakness_id: str, key: str | None = None, port: str | None = None) -> Finding:
    hits = [f for f in findings(recs) if f.weakness_id == weakness_id
            and (key is None or f.asset.key == key) and (port is None or f.port == port)]
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


# --- the fixture: every field, three kinds of host, hostile text -----------------

def test_it_reads_the_fixtures_hosts_and_scan():
    recs = records(HAZARDS)
    keys = [r.asset.key for r in recs if isinstance(r, Target)]
    assert keys == ["web01.example.gov", hazards.IPV6, "6f1d8a42-0c3b-4e8f-9a7d-2b5c1e0f3a64"]
    web = [r.asset for r in recs if isinstance(r, Target)][0]
    assert (web.ip, web.fqdn, web.netbios, web.mac, web.os) == (
        "10.20.0.5", "Web01.Example.gov", "WEB01", "00:50:56:aa:bb:cc",
        "Linux Kernel 6.1 on Debian 12")
    info = [r for r in recs if isinstance(r, ScanInfo)]
    assert info == [ScanInfo(scanner="Nessus", scanner_version="10.7.1",
                             scan_time=datetime(2026, 11, 2, 8, 0),
                             name="Monthly scan — Contrôle ✓")]
    assert len(findings(recs)) == 8


def test_it_reads_every_field_of_a_report_item():
    listing = by_id(records(HAZARDS), "142960", port="443")
    assert listing.port == "443" and listing.protocol == "tcp"  # written "TCP"
    assert listing.cves == ("CVE-2026-10001", "CVE-2026-10002", "CVE-2026-10003")
    assert listing.cwes == ("CWE-548", "CWE-200")
    assert listing.references == ("IAVA:2026-A-0001", "BID:123456",
                                  "https://www.example.org/advisory/1",
                                  "https://www.example.org/advisory/2")
    assert listing.solution == "Turn directory listing off."
    assert listing.description.startswith("The web server lists a directory.\n\nBrowsing")
    assert listing.last_seen == datetime(2026, 11, 2, 8, 45, 10)
    assert listing.extra == {
        "plugin_family": "Web Servers", "service": "www", "risk_factor": "High",
        "cvss3_base_score": 7.5, "cvss3_vector": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        "cvss2_base_score": 5.0, "cvss2_vector": "CVSS2#AV:N/AC:L/Au:N/C:P/I:N/A:N",
        "vpr_score": 5.9, "epss_score": 0.0123, "exploit_available": "true",
        "plugin_publication_date": "2026-01-15", "plugin_modification_date": "2026-10-01",
        "cpe": ["cpe:/a:apache:http_server", "cpe:/o:debian:debian_linux"]}


def test_it_merges_a_duplicate_item_and_keeps_each_port_apart():
    found = [f for f in findings(records(HAZARDS)) if f.weakness_id == "142960"]
    assert sorted(f.port for f in found) == ["443", "8443"]
    merged = by_id(found, "142960", port="443")
    assert merged.severity == Severity.CRITICAL and merged.raw_severity == "4"
    assert merged.evidence.endswith("reported again on the same port")


def test_it_keeps_hostile_text_as_data():
    listing = by_id(records(HAZARDS), "142960", port="443")
    assert listing.title == hazards.MARKUP
    assert hazards.SCRIPT in listing.description and hazards.NON_ASCII in listing.description
    assert listing.evidence.startswith(hazards.FORMULA)


def test_it_reads_empty_and_missing_fields_as_empty():
    ssh = by_id(records(HAZARDS), "70658")
    assert (ssh.description, ssh.solution, ssh.evidence, ssh.cves) == ("", "", "", ())
    assert ssh.severity == Severity.LOW


def test_it_reads_an_ipv6_host_udp_and_host_level_items():
    recs = records(HAZARDS)
    dns = by_id(recs, "35450")
    assert (dns.asset.key, dns.asset.ip, dns.port, dns.protocol) == (
        hazards.IPV6, hazards.IPV6, "53", "udp")
    assert dns.last_seen == datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)  # epoch stamp
    icmp = by_id(recs, "10114")
    assert (icmp.port, icmp.protocol) == ("", "icmp")


def test_it_keys_an_agent_on_its_uuid_and_reads_msft_references():
    patch = by_id(records(HAZARDS), "97833")
    assert patch.asset.key == "6f1d8a42-0c3b-4e8f-9a7d-2b5c1e0f3a64"
    assert patch.asset.fqdn == "laptop-17.corp.example"
    assert patch.references == ("MSFT:MS17-010",) and patch.cves == ("CVE-2017-0143",)


def test_it_yields_informational_items_as_open_info_findings():
    info = [f for f in findings(records(HAZARDS)) if f.severity == Severity.INFO]
    assert sorted(f.weakness_id for f in info) == ["11936", "19506"]
    assert {f.status for f in info} == {ResultStatus.OPEN}


# Counts read from the samples: (targets, findings, findings above info, scanner version).
EXPECTED = {
    "example.nessus": (1, 230, 95, "7.1.1"),
    "nessus_report_local_3.nessus": (3, 106, 35, "5.2.4"),
    "nessus_v_unknown.xml": (7, 296, 30, "5.2.1"),
    "nessus_was_many_vuln.xml": (1, 5, 4, ""),
    "nessus_with_cwe-.nessus": (1, 1, 1, ""),
}


@SHARED
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


@SHARED
def test_it_covers_every_sample_in_the_folder():
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(EXPECTED)


@SHARED
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


@SHARED
def test_it_yields_info_items_as_open_info_findings():
    found = findings(records(FOLDER / "nessus_v_unknown.xml"))
    info = [f for f in found if f.severity == Severity.INFO]
    assert len(info) == 266
    assert {f.status for f in info} == {ResultStatus.OPEN}


@SHARED
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


@SHARED
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


@SHARED
def test_it_keys_hosts_on_netbios_then_ip():
    keys = {r.asset.key for r in records(FOLDER / "nessus_report_local_3.nessus")
            if isinstance(r, Target)}
    assert keys == {"192.168.2.104", "192.168.2.101", "mike-macbook"}


@SHARED
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


def test_a_plugin_found_on_many_ports_reads_the_same_each_time_and_its_own_output():
    # The plugin's text is worked out once per distinct content; each finding still gets
    # its own output, its own copy of the extras, and a text that differs is read anew.
    plugin = ("<description>Weak TLS.</description><solution>Upgrade.</solution>"
              "<cvss3_base_score>7.5</cvss3_base_score><cpe>cpe:/a:x:y</cpe>"
              "<cve>CVE-2020-0001</cve>")
    other = plugin.replace("Weak TLS.", "Weak SSH.")
    data = small_report(item(port="443", output="one", extra=plugin)
                        + item(port="8443", output="two", extra=plugin)
                        + item(port="22", output="three", extra=other))
    first, second, third = findings(parse_bytes(data))
    assert (first.evidence, second.evidence, third.evidence) == ("one", "two", "three")
    assert first.description == second.description == "Weak TLS."
    assert third.description == "Weak SSH."
    assert first.extra == second.extra and first.extra is not second.extra
    assert first.extra["cpe"] is not second.extra["cpe"]
    assert first.cves == third.cves == ("CVE-2020-0001",)


def test_a_plugin_text_past_the_memo_limit_is_read_in_full_and_not_kept():
    text = "B" * (nessus_parser.MEMO_TEXT_LIMIT + 10)
    data = small_report(item(extra=f"<description>{text}</description>")
                        + item(port="80", extra=f"<description>{text}</description>"))
    reader = nessus_parser._Reader("test.nessus")
    found = findings(reader.read(io.BytesIO(data)))
    assert [f.description for f in found] == [text, text]
    assert not reader._plugins


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


@SHARED
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
    other = b'<?xml version="1.0"?><report id="r1"><report><results/></report></report>'
    assert not IMPORTER.sniff(other, "one_vuln.xml")
    with pytest.raises(FormatError) as error:
        parse_bytes(other, "one_vuln.xml")
    assert "NessusClientData_v2" in str(error.value)


def test_it_refuses_entity_declarations():
    hazards.assert_refuses_entities(IMPORTER, HAZARDS.read_bytes(), "hostile.nessus")


@pytest.mark.parametrize("head", [b"", b"\x00\xff\xfe garbage", b"<", b"Plugin ID,CVE\n",
                                  b"<?xml version='1.0'?><NessusClientData_v1>"])
def test_it_sniffs_garbage_without_raising(head):
    assert IMPORTER.sniff(head, "x") is False


def test_it_sniffs_by_content_not_name():
    assert IMPORTER.sniff(HAZARDS.read_bytes()[:65536], "whatever.bin")


def test_it_yields_a_target_for_a_host_without_properties():
    data = (b'<NessusClientData_v2><Report name="r"><ReportHost name="Web01">'
            + item().encode() + b'</ReportHost></Report></NessusClientData_v2>')
    recs = parse_bytes(data)
    assert [r.asset.key for r in recs if isinstance(r, Target)] == ["web01"]
    assert findings(recs)[0].asset.key == "web01"


def test_it_keeps_only_identity_for_findings_below_the_brief_threshold():
    full = findings(records(HAZARDS))
    with HAZARDS.open("rb") as stream:
        brief = findings(IMPORTER.parse(stream, source=HAZARDS.name, brief_below=Severity.LOW))
    assert [f.identity for f in brief] == [f.identity for f in full]
    info = [f for f in brief if f.severity is Severity.INFO and f.weakness_id != "19506"]
    assert info and all(not f.evidence and not f.extra for f in info)
    assert by_id(brief, "19506").evidence  # it carries the scanner version
    kept = [f for f in brief if f.severity is not Severity.INFO]
    assert kept and all(f.extra["plugin_family"] for f in kept)
    assert by_id(brief, "142960", port="443").description


def _skipping(data: bytes, tracked=frozenset()):
    skip = Skip(Severity.LOW, lambda scope, weakness_id: (scope, weakness_id) in tracked)
    return list(IMPORTER.parse(io.BytesIO(data), source="t.nessus", brief_below=Severity.LOW,
                               skip=skip))


def _digest_of(recs, tracked=frozenset()):
    digest = Digester(min_severity=Severity.LOW, track=tracked).add_all(recs).result()
    return (digest.findings, digest.dropped, sorted(digest.below_threshold),
            {key: (w.severity, sorted(w.open), w.title, w.description)
             for key, w in digest.weaknesses.items()}, sorted(digest.covered), digest.info)


@pytest.mark.parametrize("tracked", [frozenset(), frozenset({("tenable", "11936")})])
def test_findings_left_out_are_counted_and_digest_as_the_brief_ones(tracked):
    """Left out (under the bar, untracked), a finding is only counted: the digest is the
    one the brief findings give, and a tracked weakness keeps its minor findings."""
    data = HAZARDS.read_bytes()
    with HAZARDS.open("rb") as stream:
        brief = list(IMPORTER.parse(stream, source="t.nessus", brief_below=Severity.LOW))
    skipping = _skipping(data, tracked)
    assert _digest_of(skipping, tracked) == _digest_of(brief, tracked)
    left = [key for r in skipping if isinstance(r, Skipped) for key in r.keys]
    assert ("tenable", "19506") not in left  # it carries the scanner version
    assert (("tenable", "11936") in left) is not bool(tracked)
    assert sum(f.severity is Severity.INFO for f in findings(brief)) == \
        len(left) + sum(f.severity is Severity.INFO for f in findings(skipping))


def test_a_finding_left_out_merges_with_one_of_its_identity_at_another_severity():
    """A plugin reported twice on a host and port, informational then medium (or the other
    way round): one finding, kept at the higher severity, as without skipping."""
    for first, second in (("0", "2"), ("2", "0"), ("0", "0")):
        data = (b'<NessusClientData_v2><Report name="r"><ReportHost name="web01">'
                + item(severity=first, output="a").encode()
                + item(severity=second, output="b").encode()
                + b'</ReportHost></Report></NessusClientData_v2>')
        brief = list(IMPORTER.parse(io.BytesIO(data), source="t.nessus",
                                    brief_below=Severity.LOW))
        assert _digest_of(_skipping(data)) == _digest_of(brief)
        assert _digest_of(brief)[:2] == (1, 1 if first == second == "0" else 0)


def test_the_digester_refuses_a_tracked_weakness_left_out():
    data = HAZARDS.read_bytes()
    with pytest.raises(ValueError, match="tracked"):
        Digester(track={("tenable", "11936")}).add_all(_skipping(data))
