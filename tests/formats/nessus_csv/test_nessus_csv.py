"""Nessus / Tenable CSV importer: each layout from its own fixture (merging, dates, hostile
text, identity with .nessus), errors; the shared sample corpus when ../shared is present."""

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.nessus import PLUGINS as NESSUS_PLUGINS
from openpoam.formats.nessus_csv import PLUGINS
from tests.formats import hazards
from tests.paths import SAMPLES

IMPORTER = PLUGINS[0]
FOLDER = SAMPLES / "nessus_csv"
FIXTURES = Path(__file__).parent / "fixtures"
SHARED = pytest.mark.shared
PRO_HEADER = ("Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Synopsis,Description,Solution,"
              "See Also,Plugin Output\n")


def records(path: Path):
    with path.open("rb") as stream:
        return list(IMPORTER.parse(stream, source=path.name))


def parse_text(text: str, name: str = "export.csv"):
    return list(IMPORTER.parse(io.BytesIO(text.encode()), source=name))


def findings(recs) -> list[Finding]:
    return [r for r in recs if isinstance(r, Finding)]


def one(recs, weakness_id: str, **match) -> Finding:
    hits = [f for f in findings(recs) if f.weakness_id == weakness_id
            and all(getattr(f, k) == v for k, v in match.items())]
    assert len(hits) == 1, hits
    return hits[0]


def test_it_is_a_scan_importer_with_a_key():
    assert isinstance(IMPORTER, ScanImporter)
    assert IMPORTER.key == "nessus-csv"


# --- the fixtures: one per layout -------------------------------------------------

TVM = "Tenable Vulnerability Management"
# (targets, findings after merging, findings above info, scanner)
LAYOUTS = {
    "pro_default.csv": (2, 4, 3, "Nessus"),
    "pro_all.csv": (1, 2, 2, "Nessus"),
    "io.csv": (2, 2, 2, TVM),
    "sc.csv": (2, 2, 1, "Tenable Security Center"),
    "workbench.csv": (1, 1, 1, TVM),
}


def assert_reads(path: Path, hosts: int, total: int, above_info: int, scanner: str) -> None:
    """Sniffed, counted (targets, findings after merging, above info), one identity each."""
    assert IMPORTER.sniff(path.read_bytes()[:65536], path.name)
    recs = records(path)
    found = findings(recs)
    assert len([r for r in recs if isinstance(r, Target)]) == hosts
    assert len(found) == total == len({f.identity for f in found})
    assert sum(f.severity != Severity.INFO for f in found) == above_info
    assert [r.scanner for r in recs if isinstance(r, ScanInfo)] == [scanner]
    assert all(f.scope == "tenable" and f.weakness_id.isdigit() for f in found)
    assert all(f.port != "0" and f.protocol in ("tcp", "udp", "icmp", "") for f in found)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_it_reads_each_layout(name):
    assert_reads(FIXTURES / name, *LAYOUTS[name])


def test_it_merges_a_duplicate_row_and_keeps_each_port_apart():
    found = findings(records(FIXTURES / "pro_default.csv"))
    listing = one(found, "142960", port="443")
    assert listing.protocol == "tcp"  # written "TCP" on one row, "tcp" on the other
    assert listing.cves == ("CVE-2026-10001", "CVE-2026-10002")
    assert listing.evidence.endswith("reported again on the same port")
    assert one(found, "142960", port="8443").evidence == "second port"


def test_it_keeps_hostile_text_as_data():
    listing = one(records(FIXTURES / "pro_default.csv"), "142960", port="443")
    assert listing.title == hazards.MARKUP
    assert hazards.SCRIPT in listing.description and hazards.NON_ASCII in listing.description
    assert listing.evidence.startswith(hazards.FORMULA)
    assert listing.references == ("https://www.example.org/advisory/1",
                                  "https://www.example.org/advisory/2")


def test_it_reads_an_ipv6_host_info_rows_and_host_level_ports():
    found = findings(records(FIXTURES / "pro_default.csv"))
    info = one(found, "10107")
    assert info.asset.key == hazards.IPV6 and info.severity == Severity.INFO
    assert info.status == ResultStatus.OPEN and info.solution == ""  # 'n/a'
    assert (one(found, "10114").port, one(found, "10114").protocol) == ("", "icmp")


def test_it_reads_every_column_of_the_nessus_pro_all_columns_export():
    recs = records(FIXTURES / "pro_all.csv")
    smb = one(recs, "97833")
    assert smb.severity == Severity.CRITICAL and smb.cwes == ("CWE-20",)
    assert smb.references == ("IAVA:2017-A-0065", "CERT:824484", "BID:96703", "MSKB:MS17-010",
                              "https://www.example.org/ms17-010")
    assert smb.extra == {"risk_factor": "Critical", "stig_severity": "I",
                         "cvss2_base_score": 10.0, "cvss3_base_score": 8.1,
                         "cvss4_base_score": 9.3, "vpr_score": 9.8, "epss_score": 0.9712,
                         "plugin_publication_date": "2017-03-14",
                         "plugin_modification_date": "2026-11-20"}
    sweet = one(recs, "42873")  # Nessus 10 wrote 50 for 5.0 and 3833 for an EPSS score
    assert (sweet.extra["cvss2_base_score"], sweet.extra["cvss3_base_score"]) == (5.0, 7.5)
    assert sweet.extra["epss_raw"] == "3833" and "epss_score" not in sweet.extra
    assert sweet.extra["plugin_publication_date"] == "2009-11-23"  # written 23/11/2009


def test_it_merges_tenable_io_rows_per_cve_and_reads_state_and_agent():
    recs = records(FIXTURES / "io.csv")
    kernel = one(recs, "176700")
    assert kernel.cves == ("CVE-2023-32233", "CVE-2023-1380")
    assert (kernel.asset.key, kernel.asset.ip, kernel.asset.netbios) == (
        "web01.example.gov", "10.20.0.5", "WEB01")
    assert kernel.port == "" and kernel.source_ref == "scan-1"
    assert kernel.first_seen == datetime(2026, 6, 8, 1, 58, 56, 166000, tzinfo=timezone.utc)
    assert kernel.extra["cvss3_vector"].startswith("CVSS:3.0/AV:L")
    fixed = one(recs, "70658")
    assert fixed.status == ResultStatus.PASSED
    assert fixed.asset.key == "6f1d8a42-0c3b-4e8f-9a7d-2b5c1e0f3a64"


def test_it_reads_tenable_sc_zoned_dates_prefixes_and_cross_references():
    recs = records(FIXTURES / "sc.csv")
    sha1 = one(recs, "35291")
    assert sha1.first_seen == datetime(2021, 1, 5, 10, 24, 8,
                                       tzinfo=timezone(timedelta(hours=-7)))
    assert sha1.last_seen == datetime(2026, 11, 2, 8, 45, 10, tzinfo=timezone.utc)
    assert sha1.evidence == "The following certificates were part of the certificate chain"
    assert sha1.cves == ("CVE-2004-2761",) and sha1.cwes == ("CWE-310",)
    assert sha1.references == ("CERT:836068", "BID:11849", "BID:33065",
                               "https://tools.ietf.org/html/rfc3279")
    assert (sha1.asset.key, sha1.asset.mac) == ("host1.corp.example", "00:50:56:aa:bb:cc")
    assert sha1.extra["cpe"] == ["cpe:/a:openssl:openssl"]


def test_it_reads_the_workbench_export_and_drops_its_formula_guard():
    cbc = findings(records(FIXTURES / "workbench.csv"))[0]
    assert cbc.asset.key == "aecb524a-c10d-4d41-89d9-fa887ae8fb00"
    assert cbc.description.endswith("Cipher Block Chaining (CBC) encryption.")  # unnamed column
    assert cbc.evidence == "=cmd|' /C calc'!A0"  # kept as data: the exporters guard it
    assert cbc.cwes == ("CWE-200", "CWE-330")
    assert cbc.references == ("RHSA:2026:0001", "BID:32319")
    assert (cbc.port, cbc.protocol, cbc.severity) == ("22", "tcp", Severity.LOW)


def test_it_caps_a_huge_cell_with_a_marker():
    text = PRO_HEADER + f'"1","","","Low","h","tcp","80","n","s","d","n/a","","{"A" * 100_000}"\n'
    evidence = findings(parse_text(text))[0].evidence
    assert evidence.startswith("A" * 100) and "truncated" in evidence
    assert len(evidence) < 70_000


# (targets, findings after merging, findings above info, scanner)
EXPECTED = {
    "issue_11102.csv": (2, 3, 3, "Tenable Security Center"),
    "nessus-template.csv": (2, 5, 5, "Nessus"),
    "nessus_many_vuln.csv": (2, 4, 4, "Tenable Security Center"),
    "nessus_many_vuln2-all.csv": (1, 29, 1, "Nessus"),
    "nessus_many_vuln2-default.csv": (1, 29, 1, "Nessus"),
    "nessus_new.csv": (97, 99, 99, "Tenable Vulnerability Management"),
    "tenable_many_vuln.csv": (2, 9, 9, "Tenable Vulnerability Management"),
}


@SHARED
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_it_reads_every_sample(name):
    assert_reads(FOLDER / name, *EXPECTED[name])


@SHARED
def test_it_covers_every_sample_in_the_folder():
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(EXPECTED)


@SHARED
def test_it_merges_one_row_per_cve_into_one_finding():
    recs = records(FOLDER / "tenable_many_vuln.csv")
    kernel = one(recs, "176703")
    assert kernel.cves == ("CVE-2021-46666", "CVE-2021-46663", "CVE-2022-31624",
                           "CVE-2021-46661", "CVE-2022-27380", "CVE-2021-46659",
                           "CVE-2021-46667", "CVE-2022-27384", "CVE-2021-46657",
                           "CVE-2021-46668")  # file order kept
    assert kernel.asset.key == "ip-127-0-0-1.us-west-2.compute.internal"
    assert kernel.asset.ip == "127.0.0.1"
    assert kernel.port == "" and kernel.protocol == "tcp"
    assert kernel.first_seen.tzinfo is not None
    assert kernel.source_ref  # Host Scan ID kept, never used for identity
    assert len(one(recs, "176705").cves) == 3


@SHARED
def test_it_merges_a_plugin_reported_twice_on_one_port():
    found = findings(records(FOLDER / "nessus_many_vuln2-default.csv"))
    service = one(found, "22964", port="443")
    assert "A TLSv1 server answered" in service.evidence
    assert "A web server is running on this port through TLSv1." in service.evidence
    assert one(found, "22964", port="80").evidence == "A web server is running on this port."


@SHARED
def test_it_reads_nessus_pro_values():
    recs = records(FOLDER / "nessus_many_vuln2-all.csv")
    tls = one(recs, "104743")
    assert tls.severity == Severity.MODERATE and tls.raw_severity == "Medium"
    assert tls.extra["cvss3_base_score"] == 6.5
    weak = one(recs, "95631")
    assert weak.severity == Severity.INFO and weak.raw_severity == "None"
    assert weak.cves == ("CVE-2004-2761",)
    assert weak.cwes == ("CWE-310",)
    assert {"CERT:836068", "BID:11849", "BID:33065"} <= set(weak.references)
    assert weak.extra["plugin_publication_date"] == "2016-12-08"
    info = one(recs, "10107", port="80")
    assert info.severity == Severity.INFO and info.status == ResultStatus.OPEN
    assert info.solution == ""  # 'n/a'


@SHARED
def test_it_reads_nessus_10_scores_that_lost_their_decimal_point():
    sweet = one(records(FOLDER / "nessus-template.csv"), "42873", port="3389")
    assert sweet.extra["cvss2_base_score"] == 5.0
    assert sweet.extra["cvss3_base_score"] == 7.5
    assert sweet.extra["vpr_score"] == 5.1
    assert sweet.extra["epss_raw"] == "3833"  # not guessed
    assert sweet.extra["plugin_publication_date"] == "2009-11-23"  # written 23/11/2009


@SHARED
def test_it_reads_tenable_sc_dates_with_zone_names():
    recs = records(FOLDER / "nessus_many_vuln.csv")
    sha1 = [f for f in findings(recs) if f.weakness_id == "35291"][0]
    mst = timezone(timedelta(hours=-7))
    assert sha1.first_seen == datetime(2021, 1, 5, 10, 24, 8, tzinfo=mst)
    assert sha1.evidence.startswith("The following certificates")  # prefix removed
    assert sha1.cwes == ("CWE-310",)


@SHARED
def test_it_reads_steps_to_remediate_and_prefers_agent_or_names():
    recs = records(FOLDER / "issue_11102.csv")
    sweet = findings(recs)[0]
    assert sweet.solution.startswith("Reconfigure the affected application")
    assert sweet.first_seen == datetime(2024, 2, 9, 10, 48, 42, tzinfo=timezone.utc)
    assert sweet.extra["cvss3_base_score"] == 7.5


@SHARED
def test_it_reads_the_semicolon_workbench_export():
    recs = records(FOLDER / "nessus_new.csv")
    cbc = [f for f in findings(recs) if f.weakness_id == "70658"][0]
    assert len(cbc.asset.key) == 36 and cbc.asset.key.count("-") == 4  # asset.id UUID
    assert cbc.cves == ("CVE-2008-5161",) and cbc.cwes == ("CWE-200",)
    assert "BID:32319" in cbc.references
    assert cbc.description.startswith("The SSH server is configured")  # empty-named column
    assert cbc.severity == Severity.LOW
    assert cbc.first_seen.year == 2022 and cbc.last_seen.year == 2023


@SHARED
def test_it_skips_the_comma_only_rows_after_the_data():
    assert len(findings(records(FOLDER / "nessus_many_vuln.csv"))) == 4


def test_it_maps_fixed_state_to_passed():
    header = "Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Vulnerability State,First Found\n"
    rows = header + "11219,,,Medium,h1,tcp,22,SSH,Fixed,2024-01-02T03:04:05Z\n"
    found = findings(parse_text(rows))
    assert found[0].status == ResultStatus.PASSED


# --- identity ------------------------------------------------------------------

@SHARED
def test_it_gives_default_and_all_columns_exports_the_same_identities():
    default = {f.identity for f in findings(records(FOLDER / "nessus_many_vuln2-default.csv"))}
    everything = {f.identity for f in findings(records(FOLDER / "nessus_many_vuln2-all.csv"))}
    assert default == everything and len(default) == 29


def test_it_reconciles_with_a_nessus_file_of_the_same_host():
    csv_finding = one(records(FIXTURES / "pro_default.csv"), "10107", port="80")
    nessus = (b'<NessusClientData_v2><Report name="r"><ReportHost name="2001:db8::10">'
              b'<HostProperties><tag name="host-ip">2001:db8::10</tag></HostProperties>'
              b'<ReportItem port="80" svc_name="www" protocol="tcp" severity="0" '
              b'pluginID="10107" pluginName="HTTP Server Type and Version" pluginFamily="Web">'
              b'</ReportItem></ReportHost></Report></NessusClientData_v2>')
    xml_finding = [r for r in NESSUS_PLUGINS[0].parse(io.BytesIO(nessus), source="n.nessus")
                   if isinstance(r, Finding)][0]
    assert csv_finding.identity == xml_finding.identity


# --- errors ----------------------------------------------------------------------

def test_it_reports_a_bad_date_with_row_and_field():
    header = "Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Plugin Publication Date\n"
    text = header + "1,,,Low,h,tcp,1,n,2000/01/04\n2,,,Low,h,tcp,1,n,13/13/2020\n"
    with pytest.raises(FormatError) as error:
        parse_text(text, "dates.csv")
    assert (error.value.source, error.value.line) == ("dates.csv", 3)
    assert error.value.field == "Plugin Publication Date"


def test_it_refuses_an_unknown_zone_name_instead_of_guessing():
    header = ("Plugin,Plugin Name,Family,Severity,IP Address,Protocol,Port,First Discovered\n")
    text = header + '1,n,f,Low,10.0.0.1,TCP,0,"Feb 9, 2024 10:48:42 XYZ"\n'
    with pytest.raises(FormatError) as error:
        parse_text(text, "zone.csv")
    assert error.value.field == "First Discovered" and error.value.line == 2


def test_it_reports_a_bad_plugin_id_with_line():
    text = PRO_HEADER + '"10107","","","None","h","tcp","80","n","s","d","n/a","",""\n' \
        '"abc","","","None","h","tcp","80","n","s","d","n/a","",""\n'
    with pytest.raises(FormatError) as error:
        parse_text(text, "bad.csv")
    assert error.value.line == 3 and error.value.field == "Plugin ID"
    assert "bad.csv, line 3" in str(error.value)


def test_it_reports_an_unknown_severity_word():
    text = PRO_HEADER + '"1","","","Severe","h","tcp","80","n","s","d","n/a","",""\n'
    with pytest.raises(FormatError) as error:
        parse_text(text, "sev.csv")
    assert error.value.field == "Risk" and error.value.line == 2


def test_it_reports_a_broken_quote_with_line():
    text = PRO_HEADER + '"1","","","Low","h","tcp","80","n","s","d\n'
    with pytest.raises(FormatError) as error:
        parse_text(text, "quote.csv")
    assert error.value.source == "quote.csv" and error.value.line is not None


def test_it_refuses_another_csv_format():
    other = '"IP","DNS","NetBIOS","QID","Title","Severity","Port","Protocol"\n'
    assert not IMPORTER.sniff(other.encode(), "qualys.csv")
    with pytest.raises(FormatError) as error:
        parse_text(other, "qualys.csv")
    assert error.value.line == 1


@pytest.mark.parametrize("head", [b"", b"\xff\xfe\x00", b'"unterminated', b"a;b;c\n",
                                  b"<NessusClientData_v2>"])
def test_it_sniffs_garbage_without_raising(head):
    assert IMPORTER.sniff(head, "x.csv") is False


def test_it_accepts_a_bom_and_crlf():
    text = "\ufeff" + PRO_HEADER.replace("\n", "\r\n") + \
        '"10107","","","None","h","tcp","80","n","s","d","n/a","","out"\r\n'
    assert IMPORTER.sniff(text.encode()[:100], "x.csv")
    found = findings(parse_text(text))
    assert found[0].weakness_id == "10107" and found[0].evidence == "out"


def test_it_warns_about_rows_with_more_or_fewer_cells_than_the_header():
    warned: list[str] = []
    path = FIXTURES / "uneven_rows.csv"
    with path.open("rb") as stream:
        recs = list(IMPORTER.parse(stream, source=path.name, warn=warned.append))
    assert warned == [
        "uneven_rows.csv, line 3: the row has 9 cells but the header has 13; read by position, "
        "check its values",
        "uneven_rows.csv, line 4: the row has 14 cells but the header has 13; read by "
        "position, check its values",
        "uneven_rows.csv, line 5: the row has 3 cells but the header has 13 and no plugin id "
        "or host; the row was skipped"]
    short = one(recs, "57582")  # kept: its identity is there
    assert (short.asset.key, short.port, short.severity) == ("web01.example.gov", "443",
                                                              Severity.MODERATE)
    assert one(recs, "51192").evidence == "issuer: Example CA"
    assert sorted(f.weakness_id for f in findings(recs)) == ["10107", "51192", "57582"]


def test_it_issues_a_python_warning_without_a_warn_callable():
    from openpoam.formats.base import FormatWarning

    with pytest.warns(FormatWarning) as caught:
        records(FIXTURES / "uneven_rows.csv")
    assert [str(w.message)[:36] for w in caught] == [
        f"uneven_rows.csv, line {n}: the row has" for n in (3, 4, 5)]


def test_it_counts_the_uneven_rows_past_the_first_twenty():
    rows = "".join(f'"{n}","","","Low","h{n}","tcp","80","N"\n' for n in range(10, 35))
    warned: list[str] = []
    list(IMPORTER.parse(io.BytesIO((PRO_HEADER + rows).encode()), source="e.csv",
                        warn=warned.append))
    assert len(warned) == 21 and warned[-1] == ("e.csv: 5 more rows had problems like the "
                                                 "20 above")
