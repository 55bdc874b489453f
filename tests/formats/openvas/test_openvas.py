"""OpenVAS / Greenbone importers: their own XML and CSV fixtures (every field, hostile text),
identity, errors; the shared sample corpus when ../shared is present."""

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.openvas import PLUGINS
from openpoam.formats.openvas.parser import parse_tags, split_port
from tests.formats import hazards
from tests.paths import SAMPLES

XML, CSV = PLUGINS
FOLDER = SAMPLES / "openvas"
FIXTURES = Path(__file__).parent / "fixtures"
SHARED = pytest.mark.shared


def records(path: Path, importer=None):
    importer = importer or (XML if path.suffix == ".xml" else CSV)
    with path.open("rb") as stream:
        return list(importer.parse(stream, source=path.name))


def findings(recs) -> list[Finding]:
    return [r for r in recs if isinstance(r, Finding)]


def report(results: str, hosts: str = "") -> bytes:
    return (f'<report id="r1" format_id="x"><name>scan</name><report id="r1">'
            f'<scan_start>2024-05-01T10:00:00Z</scan_start><results>{results}</results>'
            f'{hosts}</report></report>').encode()


def result(oid="1.3.6.1.4.1.25623.1.0.1", port="22/tcp", severity="5.0", host="10.0.0.1",
           hostname="", rid="a") -> str:
    return (f'<result id="{rid}"><name>Check</name><host>{host}<asset asset_id="u-1"/>'
            f'<hostname>{hostname}</hostname></host><port>{port}</port>'
            f'<nvt oid="{oid}"><name>Check</name><family>F</family><cvss_base>5.0</cvss_base>'
            f'<tags>summary=S|solution=Fix it|solution_type=VendorFix</tags>'
            f'<refs><ref type="cve" id="CVE-2020-1000"/></refs></nvt>'
            f'<threat>Medium</threat><severity>{severity}</severity>'
            f'<description>evidence {rid}</description></result>')


def test_it_has_two_importers_with_distinct_keys():
    assert [p.key for p in PLUGINS] == ["openvas-xml", "openvas-csv"]
    assert all(isinstance(p, ScanImporter) for p in PLUGINS)


# --- the fixtures: one report as XML and as CSV -------------------------------------

LISTING = "1.3.6.1.4.1.25623.1.0.900001"


def one(found, oid: str, port: str | None = None) -> Finding:
    hits = [f for f in found if f.weakness_id == oid and (port is None or f.port == port)]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.mark.parametrize("name,importer,hosts,total", [
    ("report.xml", XML, 3, 5), ("report.csv", CSV, 2, 3)])
def test_it_reads_its_fixtures(name, importer, hosts, total):
    path = FIXTURES / name
    assert [p.sniff(path.read_bytes(), name) for p in PLUGINS] == [p is importer for p in PLUGINS]
    recs = records(path)
    found = findings(recs)
    assert len([r for r in recs if isinstance(r, Target)]) == hosts
    assert len(found) == total == len({f.identity for f in found})
    assert all(f.scope == "openvas" for f in found)


def test_it_reads_every_field_of_an_xml_result():
    recs = records(FIXTURES / "report.xml")
    listing = one(findings(recs), LISTING, "443")
    assert (listing.asset.key, listing.asset.ip, listing.asset.fqdn) == (
        "web01.example.gov", "10.20.0.5", "web01.example.gov")
    assert listing.description.endswith("Impact:\nFiles are disclosed.\n\nDetection:\n"
                                        "Sends a request.")
    assert listing.solution == "Turn directory listing off."
    assert listing.cves == ("CVE-2026-10001", "CVE-2026-10002")
    assert listing.references == ("https://www.example.org/advisory/1",
                                  "CERT-BUND:WID-SEC-2026-0001")
    assert listing.extra["gvm_asset_id"] == "5a1b2c3d-0000-4000-8000-00000000000a"
    assert (listing.extra["qod"], listing.extra["epss_score"]) == (80.0, 0.0123)
    assert listing.extra["cvss_base_v3_score"] == 7.5
    assert listing.extra["solution_type"] == "Mitigation"
    assert listing.source_ref == "res-1"
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.name == "Monthly scan — Contrôle ✓"
    assert info.scan_time == datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)


def test_it_merges_a_repeated_result_and_keeps_each_port_apart():
    found = findings(records(FIXTURES / "report.xml"))
    merged = one(found, LISTING, "443")
    assert merged.severity == Severity.CRITICAL  # 9.1 on the repeat
    assert merged.evidence.endswith("reported again on the same port")
    assert one(found, LISTING, "8443").evidence == ""


@pytest.mark.parametrize("name", ["report.xml", "report.csv"])
def test_it_keeps_hostile_text_as_data(name):
    listing = one(findings(records(FIXTURES / name)), LISTING, "443")
    assert listing.title == hazards.MARKUP
    assert hazards.SCRIPT in listing.description and hazards.NON_ASCII in listing.description
    assert listing.evidence.startswith(hazards.FORMULA)


def test_it_reads_ipv6_older_refs_log_results_and_false_positives():
    found = findings(records(FIXTURES / "report.xml"))
    dns = one(found, "1.3.6.1.4.1.25623.1.0.900002")
    assert (dns.asset.key, dns.port, dns.protocol) == (hazards.IPV6, "53", "udp")
    assert dns.cves == ("CVE-2006-0987", "CVE-2006-0988")
    assert dns.references == ("https://www.example.org/dns", "CERT-BUND:CB-K2006/0001")
    log = one(found, "1.3.6.1.4.1.25623.1.0.105937")
    assert (log.severity, log.status, log.port) == (Severity.INFO, ResultStatus.OPEN, "")
    overridden = one(found, "1.3.6.1.4.1.25623.1.0.80091")
    assert overridden.status == ResultStatus.NOT_APPLICABLE


def test_it_yields_the_fixtures_host_without_results_as_a_target():
    targets = [r.asset for r in records(FIXTURES / "report.xml") if isinstance(r, Target)]
    assert targets[-1].key == "db01.example.gov" and targets[-1].ip == "10.20.0.9"


def test_it_gives_the_fixtures_xml_and_csv_the_same_identities():
    from_xml = {f.identity for f in findings(records(FIXTURES / "report.xml"))
                if f.status == ResultStatus.OPEN and f.port != "8443"}
    from_csv = {f.identity for f in findings(records(FIXTURES / "report.csv"))}
    assert from_xml == from_csv


def test_it_reads_every_column_of_the_csv():
    found = findings(records(FIXTURES / "report.csv"))
    listing = one(found, LISTING)
    assert listing.cves == ("CVE-2026-10001", "CVE-2026-10002")
    assert listing.solution == "Turn directory listing off."
    assert listing.last_seen == datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    assert listing.extra["epss_score"] == 0.0123 and listing.extra["qod"] == 80.0
    assert listing.source_ref == "res-1"
    assert one(found, "1.3.6.1.4.1.25623.1.0.105937").severity == Severity.INFO


# (importer, targets, findings, findings above info)
EXPECTED = {
    "many_vuln.xml": (XML, 1, 44, 44),
    "one_vuln.xml": (XML, 1, 1, 1),
    "report_detail_v2.xml": (XML, 1, 1, 1),
    "report_using_openVAS.csv": (CSV, 1, 13, 1),
    "report_detail_v2.csv": (CSV, 1, 1, 1),
}


@SHARED
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_it_reads_every_sample(name):
    importer, hosts, total, above_info = EXPECTED[name]
    path = FOLDER / name
    head = path.read_bytes()[:65536]
    assert [p.sniff(head, name) for p in PLUGINS] == [p is importer for p in PLUGINS]
    recs = records(path, importer)
    found = findings(recs)
    assert len([r for r in recs if isinstance(r, Target)]) == hosts
    assert len(found) == total
    assert sum(f.severity != Severity.INFO for f in found) == above_info
    assert len([r for r in recs if isinstance(r, ScanInfo)]) == 1
    assert all(f.scope == "openvas" and f.weakness_id.startswith("1.3.6.1.4.1.25623.")
               for f in found)
    assert len({f.identity for f in found}) == total


@SHARED
def test_it_covers_every_sample_in_the_folder():
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(EXPECTED)


@SHARED
def test_it_reads_real_values_from_a_gvm_report():
    recs = records(FOLDER / "many_vuln.xml")
    rexec = [f for f in findings(recs) if f.weakness_id == "1.3.6.1.4.1.25623.1.0.100111"][0]
    assert rexec.title == "The rexec service is running"
    assert (rexec.port, rexec.protocol) == ("512", "tcp")
    assert rexec.severity == Severity.CRITICAL and rexec.raw_severity == "High"
    assert rexec.extra["severity_score"] == 10.0 and rexec.extra["qod"] == 80.0
    assert rexec.cves == ("CVE-1999-0618",)
    assert rexec.evidence == "The rexec service was detected on the target system."
    assert rexec.source_ref == "b87d3a32-8ff8-4010-aada-4b4f578b084d"
    # The anonymised, invalid address is kept rather than dropped.
    assert rexec.asset.ip == "192.168.1.1001" and rexec.asset.key == "b6b9f466d63"
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.name == "metasploitable2-scan"
    assert info.scan_time == datetime(2023, 9, 26, 10, 50, 34, tzinfo=timezone.utc)


@SHARED
def test_it_reads_general_ports_as_host_level():
    firefox = findings(records(FOLDER / "one_vuln.xml"))[0]
    assert (firefox.port, firefox.protocol) == ("", "tcp")
    assert len(firefox.cves) == 12
    assert firefox.solution.startswith("Upgrade to version 117")
    assert firefox.description.startswith("Mozilla Firefox is prone to multiple")
    assert firefox.asset.key == "10.0.101.2"


@SHARED
def test_it_reads_newer_severities_epss_and_solution_type():
    kb = findings(records(FOLDER / "report_detail_v2.xml"))[0]
    assert len(kb.cves) == 93
    assert kb.extra["cvss_base_v3_vector"] == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert kb.extra["epss_score"] == 0.00143
    assert kb.extra["solution_type"] == "VendorFix"
    assert kb.extra["gvm_asset_id"] == "96329f0e-5bb4-4164-958f-a78f76f634da"
    assert "CERT-BUND:WID-SEC-2025-1850" in kb.references
    assert kb.severity == Severity.CRITICAL


@SHARED
def test_it_gives_the_xml_and_csv_of_one_report_the_same_identity():
    from_xml = findings(records(FOLDER / "report_detail_v2.xml"))[0]
    from_csv = findings(records(FOLDER / "report_detail_v2.csv"))[0]
    assert from_xml.identity == from_csv.identity
    assert from_xml.identity == ("openvas", "1.3.6.1.4.1.25623.1.0.836484", "server99", "42",
                                 "tcp")
    assert set(from_csv.cves) == set(from_xml.cves)


@SHARED
def test_it_reads_log_results_as_info_from_csv():
    found = findings(records(FOLDER / "report_using_openVAS.csv"))
    timestamps = [f for f in found if f.weakness_id == "1.3.6.1.4.1.25623.1.0.80091"][0]
    assert timestamps.severity == Severity.LOW and timestamps.raw_severity == "Low"
    assert timestamps.last_seen == datetime(2024, 3, 18, 12, 46, 31, tzinfo=timezone.utc)
    assert {f.status for f in found} == {ResultStatus.OPEN}
    assert sum(f.severity == Severity.INFO for f in found) == 12


def test_it_yields_a_target_for_a_scanned_host_without_results():
    hosts = "<host><ip>10.0.0.9</ip><asset asset_id=''/><start>x</start></host>"
    recs = list(XML.parse(io.BytesIO(report(result(), hosts)), source="r.xml"))
    assert [r.asset.key for r in recs if isinstance(r, Target)] == ["10.0.0.1", "10.0.0.9"]


def test_it_merges_a_repeated_result_and_keeps_identity_across_severity_changes():
    data = report(result(rid="a") + result(rid="b", severity="9.8"))
    found = findings(XML.parse(io.BytesIO(data), source="r.xml"))
    assert len(found) == 1
    assert "evidence a" in found[0].evidence and "evidence b" in found[0].evidence
    assert found[0].severity == Severity.CRITICAL
    later = findings(XML.parse(io.BytesIO(report(result(severity="2.0"))), source="r2.xml"))
    assert later[0].identity == found[0].identity


def test_it_reports_a_bad_severity_with_line_and_field():
    data = report("\n" + result(severity="severe"))
    with pytest.raises(FormatError) as error:
        list(XML.parse(io.BytesIO(data), source="bad.xml"))
    assert (error.value.source, error.value.line, error.value.field) == ("bad.xml", 2,
                                                                          "severity")


def test_it_reports_malformed_xml_with_file_and_line():
    data = report(result()).replace(b"</results>", b"\n</result>")
    with pytest.raises(FormatError) as error:
        list(XML.parse(io.BytesIO(data), source="broken.xml"))
    assert error.value.source == "broken.xml" and error.value.line == 2


def test_it_reports_a_bad_csv_timestamp_with_row_and_field():
    text = ("IP,Hostname,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID,Timestamp\n"
            "10.0.0.1,,22,tcp,5.0,Medium,n,1.3.6.1.4.1.25623.1.0.1,2024-03-18T12:46:31Z\n"
            "10.0.0.1,,23,tcp,5.0,Medium,n,1.3.6.1.4.1.25623.1.0.1,18/03/2024\n")
    with pytest.raises(FormatError) as error:
        list(CSV.parse(io.BytesIO(text.encode()), source="t.csv"))
    assert (error.value.line, error.value.field) == (3, "Timestamp")
    bad_cvss = text.replace("23,tcp,5.0", "23,tcp,high")
    with pytest.raises(FormatError) as error:
        list(CSV.parse(io.BytesIO(bad_cvss.encode()), source="t.csv"))
    assert (error.value.line, error.value.field) == (3, "CVSS")


def test_it_refuses_other_formats():
    nessus = b'<?xml version="1.0"?><NessusClientData_v2><Report name="r"/></NessusClientData_v2>'
    assert not XML.sniff(nessus, "scan.xml")
    with pytest.raises(FormatError):
        list(XML.parse(io.BytesIO(nessus), source="scan.xml"))
    qualys = b'"IP","DNS","NetBIOS","QID","Title","Severity","Port","Protocol"\n'
    assert not CSV.sniff(qualys, "qualys.csv")
    with pytest.raises(FormatError):
        list(CSV.parse(io.BytesIO(qualys), source="qualys.csv"))


def test_it_refuses_entity_declarations():
    hazards.assert_refuses_entities(XML, (FIXTURES / "report.xml").read_bytes())


@pytest.mark.parametrize("head", [b"", b"\x00\x01", b"<report>", b"IP,Port\n", b"<"])
def test_it_sniffs_garbage_without_raising(head):
    assert XML.sniff(head, "x") is False and CSV.sniff(head, "x") is False


def test_it_splits_port_strings():
    assert split_port("512/tcp") == ("512", "tcp")
    assert split_port("general/icmp") == ("", "icmp")
    assert split_port("package") == ("", "")


def test_it_splits_nvt_tags_with_multiline_values():
    tags = parse_tags("summary=One\ntwo|insight=a|b=c|solution_type=VendorFix")
    assert tags["summary"] == "One\ntwo"
    assert tags["solution_type"] == "VendorFix"


def test_it_reads_false_positive_overrides_as_not_applicable():
    data = report(result(severity="-1.0"))
    found = findings(XML.parse(io.BytesIO(data), source="fp.xml"))[0]
    assert found.status == ResultStatus.NOT_APPLICABLE
    assert found.severity == Severity.INFO
