"""Qualys importers: asset data report and scan XML, scan/VMDR/PCI CSV, each from its own
fixture (every field, hostile text); the shared sample corpus when ../shared is present."""

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.qualys import PLUGINS
from tests.formats import hazards
from tests.paths import SAMPLES

XML, CSV = PLUGINS
FOLDER = SAMPLES / "qualys"
FIXTURES = Path(__file__).parent / "fixtures"
SHARED = pytest.mark.shared


def records(path: Path, importer=None):
    importer = importer or (XML if path.suffix == ".xml" else CSV)
    with path.open("rb") as stream:
        return list(importer.parse(stream, source=path.name))


def findings(recs) -> list[Finding]:
    return [r for r in recs if isinstance(r, Finding)]


def one(recs, qid: str, **match) -> Finding:
    hits = [f for f in findings(recs) if f.weakness_id == qid
            and all(getattr(f, k) == v for k, v in match.items())]
    assert len(hits) == 1, hits
    return hits[0]


class OneWay(io.RawIOBase):
    """A stream that cannot seek, like an upload."""

    def __init__(self, data: bytes):
        self.inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_it_has_two_importers_with_distinct_keys():
    assert [p.key for p in PLUGINS] == ["qualys-xml", "qualys-csv"]
    assert all(isinstance(p, ScanImporter) for p in PLUGINS)


# --- the fixtures: every variant -----------------------------------------------------

LISTING = "150004"
# (importer, targets, findings, findings above info)
VARIANTS = {
    "asset_data_report.xml": (XML, 5, 4, 3),
    "scan_report.xml": (XML, 2, 3, 2),
    "scan_report.csv": (CSV, 2, 3, 2),
    "vmdr_qid.csv": (CSV, 2, 3, 3),
    "vmdr_cve.csv": (CSV, 2, 2, 2),
    "pci.csv": (CSV, 1, 1, 1),
}


def assert_reads(path: Path, importer, hosts: int, total: int, above_info: int) -> None:
    """Sniffed by its importer only, counted, one identity per finding."""
    head = path.read_bytes()[:65536]
    assert [p.sniff(head, path.name) for p in PLUGINS] == [p is importer for p in PLUGINS]
    recs = records(path, importer)
    found = findings(recs)
    assert len([r for r in recs if isinstance(r, Target)]) == hosts
    assert len(found) == total == len({f.identity for f in found})
    assert sum(f.severity != Severity.INFO for f in found) == above_info
    assert len([r for r in recs if isinstance(r, ScanInfo)]) == 1
    assert all(f.scope == "qualys" and f.weakness_id.isdigit() for f in found)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_it_reads_each_variant(name):
    assert_reads(FIXTURES / name, *VARIANTS[name])


@pytest.mark.parametrize("name", ["asset_data_report.xml", "scan_report.xml", "scan_report.csv",
                                  "vmdr_qid.csv", "pci.csv"])
def test_it_keeps_hostile_text_as_data(name):
    listing = [f for f in findings(records(FIXTURES / name)) if f.weakness_id == LISTING][0]
    assert listing.title == hazards.MARKUP
    # The VMDR guard quote is taken off; a virtual host heads the result it was found on.
    assert hazards.FORMULA in listing.evidence.splitlines()
    if name != "vmdr_qid.csv":  # the VMDR list has no description
        assert hazards.SCRIPT in listing.description and hazards.NON_ASCII in listing.description


def test_it_joins_the_fixtures_host_results_with_the_glossary():
    recs = records(FIXTURES / "asset_data_report.xml")
    portal = one(recs, LISTING, port="443")
    assert (portal.asset.key, portal.asset.ip, portal.asset.fqdn, portal.asset.netbios) == (
        "7300001", "10.20.0.5", "web01.example.gov", "WEB01")
    assert portal.severity == Severity.HIGH and portal.raw_severity == "4"
    assert portal.cves == ("CVE-2026-10001", "CVE-2026-10002")
    assert portal.references == ("BID:123456", "https://www.example.org/advisory/1")
    assert portal.description.endswith("Impact:\nFiles are disclosed.")
    assert portal.solution == "Turn directory listing off."
    assert portal.first_seen == datetime(2026, 7, 31, 22, 15, 32, tzinfo=timezone.utc)
    assert portal.extra["cvss3_final"] == 7.5 and portal.extra["pci_flag"] == "1"
    assert portal.extra["times_found"] == "4" and portal.extra["vuln_status"] == "Active"
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.name == "Monthly — Contrôle ✓"
    assert info.scan_time == datetime(2026, 11, 2, 20, 3, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("name", ["asset_data_report.xml", "scan_report.xml", "scan_report.csv"])
def test_it_keeps_the_port_alone_and_the_virtual_host_in_the_evidence(name):
    listing = one(records(FIXTURES / name), LISTING)
    assert (listing.port, listing.protocol) == ("443", "tcp")
    assert listing.evidence.startswith("Virtual host: portal.example.gov\n")
    assert listing.asset.key in ("7300001", "web01.example.gov")  # the host, not the site


def test_it_merges_two_sites_on_one_port_naming_each():
    listing = one(records(FIXTURES / "asset_data_report.xml"), LISTING)
    assert "Virtual host: portal.example.gov\n=HYPERLINK" in listing.evidence
    assert "Virtual host: admin.example.gov\nsecond site on the same port" in listing.evidence


def test_it_keeps_every_result_of_a_repeated_vuln_in_the_scan_report():
    listing = one(records(FIXTURES / "scan_report.xml"), LISTING)
    assert hazards.FORMULA in listing.evidence and "reported again" in listing.evidence


def test_it_bounds_the_joined_results_of_a_repeated_vuln():
    data = (FIXTURES / "scan_report.xml").read_bytes().replace(
        b"reported again", b"x" * 70_000)
    listing = one(findings(XML.parse(io.BytesIO(data), source="s.xml")), LISTING)
    assert len(listing.evidence) < 66_000 and "truncated by OpenPOAM" in listing.evidence


def test_it_reads_the_vmdr_ipv6_address():
    dns = one(records(FIXTURES / "vmdr_qid.csv"), "15034")
    assert (dns.asset.key, dns.asset.ip) == ("100000002", hazards.IPV6)


def test_it_reads_a_guarded_dash_result_as_no_result():
    assert one(records(FIXTURES / "vmdr_qid.csv"), "15034").evidence == ""


def test_it_drops_a_not_applicable_solution_in_csv_as_in_xml():
    csv_banner = one(records(FIXTURES / "scan_report.csv"), "38047")
    xml_banner = one(records(FIXTURES / "asset_data_report.xml"), "38047")
    assert csv_banner.solution == xml_banner.solution == ""
    assert csv_banner.description == xml_banner.description == "The SSH banner is shown."


def test_it_reads_info_fixed_potential_and_ipv6_results():
    recs = records(FIXTURES / "asset_data_report.xml")
    banner = one(recs, "38047")
    assert banner.severity == Severity.INFO and banner.extra["type"] == "information"
    assert (banner.description, banner.solution) == ("The SSH banner is shown.", "")  # N/A
    assert one(recs, "38173").status == ResultStatus.PASSED
    dns = one(recs, "15034")
    assert (dns.asset.key, dns.port, dns.protocol) == (hazards.IPV6, "53", "udp")
    assert dns.extra["type"] == "potential" and dns.severity == Severity.MODERATE
    keys = [r.asset.key for r in recs if isinstance(r, Target)]
    assert keys[2:] == ["10.20.0.8", "10.20.0.9", "10.20.0.30"]  # NO_RESULTS


def test_it_reads_the_fixtures_scan_report_inline_details():
    recs = records(FIXTURES / "scan_report.xml")
    listing = one(recs, LISTING)
    assert listing.port == "443" and listing.cves == ("CVE-2026-10001",)
    assert listing.extra["cvss3_vector"] == "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
    assert listing.extra["category"] == "Web server"
    assert one(recs, "15034").asset.key == hazards.IPV6  # "No registered hostname"
    assert [r.name for r in recs if isinstance(r, ScanInfo)] == ["Monthly — Contrôle ✓"]


def test_it_reads_the_csv_variants_dates():
    scan = one(records(FIXTURES / "scan_report.csv"), LISTING)
    assert scan.first_seen == datetime(2026, 5, 13, 7, 8, 28)  # month first
    assert scan.references == ("BID:123456", "ADV-1")
    vmdr = one(records(FIXTURES / "vmdr_qid.csv"), LISTING)
    assert vmdr.last_seen == datetime(2026, 11, 2, 7, 0)
    assert (vmdr.extra["qds"], vmdr.extra["trurisk"]) == (70.0, 650.0)
    pci = one(records(FIXTURES / "pci.csv"), LISTING)
    assert pci.last_seen == datetime(2026, 11, 2, 13, 1)  # day first
    assert pci.extra["severity_word"] == "Medium" and pci.severity == Severity.MODERATE
    assert "<BR>" in pci.description  # kept verbatim, escaped at display


def test_it_merges_the_cve_view_and_reads_guarded_empty_cells():
    recs = records(FIXTURES / "vmdr_cve.csv")
    assert one(recs, LISTING).cves == ("CVE-2026-10001", "CVE-2026-10002")
    assert (one(recs, "15034").port, one(recs, "15034").protocol) == ("", "")  # "'-"
    assert one(records(FIXTURES / "vmdr_qid.csv"), "38173").status == ResultStatus.PASSED


def test_it_reads_the_fixtures_naming_an_external_dtd_without_fetching_it():
    assert len(findings(records(FIXTURES / "scan_report.xml"))) == 3


# (importer, targets, findings, findings above info)
EXPECTED = {
    "Qualys_Sample_Report.xml": (XML, 8, 301, 92),
    "qualys_infrascan_webgui_multiple.xml": (XML, 2, 24, 8),
    "Qualys_Sample_Report.csv": (CSV, 4, 6, 6),
    "many_vulns_qid.csv": (CSV, 5, 5, 5),
    "many_vulns_cve.csv": (CSV, 5, 5, 5),
    "monthly_pci_issue6932.csv": (CSV, 1, 1, 1),
}


@SHARED
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_it_reads_every_sample(name):
    assert_reads(FOLDER / name, *EXPECTED[name])


@SHARED
def test_it_covers_every_sample_in_the_folder():
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(EXPECTED)


@SHARED
def test_it_joins_host_results_with_the_glossary():
    recs = records(FOLDER / "Qualys_Sample_Report.xml")
    libxml = one(recs, "11803")
    assert libxml.title == "libxml2 Multiple Vulnerabilities"
    assert libxml.asset.key == "demo20.s02.sjc01.qualys.com"
    assert libxml.severity == Severity.MODERATE and libxml.raw_severity == "3"
    assert "CVE-2015-8806" in libxml.cves and "BID:90865" in libxml.references
    assert libxml.description.startswith("libxml2 is prone to multiple vulnerabilities")
    assert libxml.solution.startswith("Refer to libxml2 repository")
    assert libxml.first_seen == datetime(2019, 7, 31, 22, 15, 32, tzinfo=timezone.utc)
    assert libxml.extra["vuln_status"] == "New" and libxml.status == ResultStatus.OPEN
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.scan_time == datetime(2019, 8, 1, 20, 3, 10, tzinfo=timezone.utc)


@SHARED
def test_it_reads_information_gathered_qids_as_info():
    recs = records(FOLDER / "Qualys_Sample_Report.xml")
    dns = [f for f in findings(recs) if f.weakness_id == "6"]
    assert len(dns) == 7 and {f.severity for f in dns} == {Severity.INFO}
    assert {f.extra["type"] for f in dns} == {"information"}
    ssh = one(recs, "38047", asset=dns[0].asset)
    assert (ssh.port, ssh.protocol) == ("22", "tcp")
    assert ssh.extra["service"] == "ssh"


@SHARED
def test_it_yields_targets_for_addresses_without_results():
    recs = records(FOLDER / "Qualys_Sample_Report.xml")
    keys = {r.asset.key for r in recs if isinstance(r, Target)}
    assert "64.41.200.248" in keys  # APPENDICES/NO_RESULTS


def test_it_reads_a_stream_that_cannot_seek():
    data = (FIXTURES / "asset_data_report.xml").read_bytes()
    recs = list(XML.parse(io.BufferedReader(OneWay(data)), source="upload.xml"))
    assert len(findings(recs)) == 4


@SHARED
def test_it_reads_the_web_gui_scan_report():
    recs = records(FOLDER / "qualys_infrascan_webgui_multiple.xml")
    host1 = [r.asset for r in recs if isinstance(r, Target)][0]
    assert host1.key == "host1.example.com" and host1.ip == "10.1.10.1"
    java = one(recs, "124848", asset=host1)
    assert java.severity == Severity.CRITICAL and java.extra["type"] == "potential"
    assert "CVE-2016-0636" in java.cves
    assert java.extra["cvss3_base_score"] == 8.1
    udp = [f for f in findings(recs) if f.weakness_id == "82024"]
    assert len(udp) == 2 and udp[0].cves == ("CVE-2002-0510",)
    assert {f.asset.key for f in udp} == {"host1.example.com", "host2.example.com"}
    info = [r for r in recs if isinstance(r, ScanInfo)][0]
    assert info.name == "Report Title"


@SHARED
def test_it_reads_the_scan_report_csv_with_us_dates():
    recs = records(FOLDER / "Qualys_Sample_Report.csv")
    eol = [f for f in findings(recs) if f.weakness_id == "105971"][0]
    assert eol.first_seen == datetime(2021, 5, 13, 7, 8, 28)
    assert eol.last_seen == datetime(2021, 5, 25, 7, 36, 58)
    assert eol.severity == Severity.CRITICAL and eol.raw_severity == "5"
    assert eol.asset.key == "ip-10-98-57-180.eu-west-1.compute.internal"
    assert eol.asset.netbios == "EC2AMAZ-IU0C43L"
    assert eol.extra["cvss3_base_score"] == 8.1
    assert eol.extra["cvss3_vector"] == "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"


@SHARED
def test_it_reads_vmdr_exports_after_the_preamble_rows():
    qid_view = records(FOLDER / "many_vulns_qid.csv")
    first = one(qid_view, "100001")
    assert first.asset.key == "100000001" and first.asset.name == "WEBSERVER01"
    assert first.asset.ip == "10.0.0.10"
    assert first.last_seen == datetime(2026, 2, 3, 7, 0)
    statuses = {f.status for f in findings(qid_view)}
    assert statuses == {ResultStatus.OPEN, ResultStatus.PASSED}
    cve_view = records(FOLDER / "many_vulns_cve.csv")
    assert one(cve_view, "800001").cves == ("CVE-2023-0001",)
    assert all(f.protocol in ("tcp", "udp", "") for f in findings(cve_view))  # "'-" is empty


def test_it_merges_rows_of_the_cve_view():
    header = ('"CVE","QID","Title","Severity","Type Detected","Last Detected","First Detected",'
              '"Protocol","Port","Status","Asset Id","Asset Name","Asset IPV4"\n')
    row = '"{cve}","800001","T","4","Confirmed","Feb 03, 2026 07:00 AM","","TCP","80","ACTIVE",' \
          '"9","N","10.0.0.1"\n'
    text = "a,b\nc\nd\n" + header + row.format(cve="CVE-2023-0001") + \
        row.format(cve="CVE-2023-0002")
    found = findings(CSV.parse(io.BytesIO(text.encode()), source="cve.csv"))
    assert len(found) == 1 and found[0].cves == ("CVE-2023-0001", "CVE-2023-0002")


@SHARED
def test_it_reads_pci_day_first_dates_and_html_as_text():
    found = findings(records(FOLDER / "monthly_pci_issue6932.csv"))[0]
    assert found.last_seen == datetime(2022, 9, 22, 13, 1)
    assert found.severity == Severity.MODERATE
    assert found.extra["severity_word"] == "Medium" and found.extra["type"] == "potential"
    assert "<BR>" in found.description  # kept verbatim, escaped at display
    assert found.asset.key == "abv.xyw.com.fj"


@SHARED
def test_it_gives_xml_and_csv_the_same_identity_for_the_same_host():
    recs = records(FOLDER / "Qualys_Sample_Report.xml")
    first_host = [r.asset for r in recs if isinstance(r, Target)][0]
    xml_dns = one(recs, "38047", asset=first_host)
    header = '"IP","DNS","NetBIOS","QID","Title","Vuln Status","Type","Severity","Port",' \
             '"Protocol","First Detected","Tracking Method"\n'
    row = f'"64.41.200.243","{xml_dns.asset.key}","","38047","SSH","Active","Ig","1","22",' \
          '"tcp","05/13/2021 07:08:28","DNS"\n'
    csv_found = findings(CSV.parse(io.BytesIO((header + row).encode()), source="s.csv"))[0]
    assert csv_found.identity == xml_dns.identity


def test_it_reports_a_month_first_date_in_a_day_first_export():
    header = "IP,HOSTNAME,LAST SCAN,QID,VULN TITLE,TYPE,SEVERITY,PORT,PROTOCOL,Q_SEVERITY\n"
    text = header + "10.0.0.1,h,22/09/2022 13:01,1,t,POTENTIAL,Medium,80,tcp,3\n" \
        "10.0.0.1,h,09/22/2022 13:01,2,t,POTENTIAL,Medium,80,tcp,3\n"
    with pytest.raises(FormatError) as error:
        list(CSV.parse(io.BytesIO(text.encode()), source="pci.csv"))
    assert (error.value.source, error.value.line, error.value.field) == ("pci.csv", 3,
                                                                          "LAST SCAN")


def test_it_reports_a_bad_qid_in_xml_with_line():
    data = (FIXTURES / "scan_report.xml").read_bytes().replace(
        b'number="15034"', b'number="x15034"', 1)
    with pytest.raises(FormatError) as error:
        list(XML.parse(io.BytesIO(data), source="scan.xml"))
    assert error.value.source == "scan.xml" and error.value.line == 38


def test_it_reports_malformed_xml_with_file_and_line():
    data = (FIXTURES / "asset_data_report.xml").read_bytes().replace(b"</HOST>", b"</HOTS>", 1)
    with pytest.raises(FormatError) as error:
        list(XML.parse(io.BytesIO(data), source="adr.xml"))
    assert error.value.source == "adr.xml" and error.value.line is not None


@SHARED
def test_it_does_not_load_the_external_dtd():
    # The samples name https DTDs; a parse that tried the network would fail here.
    assert len(findings(records(FOLDER / "qualys_infrascan_webgui_multiple.xml"))) == 24


def test_it_refuses_other_formats():
    nessus = b'<?xml version="1.0"?><NessusClientData_v2><Report name="r"/></NessusClientData_v2>'
    assert not XML.sniff(nessus, "scan.xml")
    with pytest.raises(FormatError):
        list(XML.parse(io.BytesIO(nessus), source="scan.xml"))
    tenable = b"Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name\n10107,,,None,h,tcp,80,n\n"
    assert not CSV.sniff(tenable, "tenable.csv")
    with pytest.raises(FormatError):
        list(CSV.parse(io.BytesIO(tenable), source="tenable.csv"))


@pytest.mark.parametrize("name", ["asset_data_report.xml", "scan_report.xml"])
def test_it_refuses_entity_declarations(name):
    data = (FIXTURES / name).read_bytes()
    data = data.replace(data[data.index(b"<!DOCTYPE"):data.index(b"<!--")], b"")
    hazards.assert_refuses_entities(XML, data)


@pytest.mark.parametrize("head", [b"", b"\xff\x00", b"<SCAN>", b"QID,IP\n", b'"a"\n"b'])
def test_it_sniffs_garbage_without_raising(head):
    assert XML.sniff(head, "x") is False and CSV.sniff(head, "x") is False


def test_it_refuses_a_result_whose_qid_is_missing_from_the_glossary():
    data = (FIXTURES / "asset_data_report.xml").read_bytes().replace(
        b'<QID id="qid_15034">15034</QID>\n      <TITLE>', b'<QID>0</QID>\n      <TITLE>', 1)
    with pytest.raises(FormatError) as error:
        list(XML.parse(io.BytesIO(data), source="adr.xml"))
    assert "QID 15034" in str(error.value) and error.value.line is not None
