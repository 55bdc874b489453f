"""Generic CSV importer: its own fixtures (default mapping with every field and hostile
text; a tool export with its JSON mapping), mapping rules and row errors."""

import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.generic_csv import PLUGINS, GenericCsvImporter, Mapping
from openpoam.formats.scan_common import TEXT_LIMIT, cap
from tests.formats import hazards
from tests.paths import SAMPLES, shared_files

CSV = PLUGINS[0]
FIXTURES = Path(__file__).parent / "fixtures"
OWN_IMPORTERS = ("nessus_csv", "qualys", "openvas")  # CSV exports with importers of their own

SIMPLE = (
    "Asset,Title,Weakness ID,Severity,Port,CVE,CWE,Description,Solution,References,"
    "First Seen,Status,Scanner\r\n"
    "web01.example.com,Outdated OpenSSL,OPENSSL-1,High,443/tcp,"
    "\"CVE-2023-0286, CVE-2023-0215\",CWE-295,\"multi\nline\",Upgrade,"
    "https://a.example/1 https://a.example/2,2026-01-05,open,Acme\r\n"
    "WEB01.example.com,Weak TLS,TLS-1,Medium,443,,,d,s,,2026-01-05T10:00:00Z,,Acme\r\n"
    "db01,,,,,,,,,,,,Acme\r\n"
    "db02,SSH banner,SSH-1,7.5,0,,79,,,,,fixed,Acme\r\n"
)


def parse_text(text: str, importer=CSV, name="findings.csv"):
    return list(importer.parse(io.BytesIO(text.encode("utf-8")), source=name))


def test_it_reads_rows_with_the_default_mapping():
    got = parse_text(SIMPLE)
    assert isinstance(got[0], ScanInfo)
    targets = [r.asset.key for r in got if isinstance(r, Target)]
    assert targets == ["web01.example.com", "db01", "db02"]
    found = [r for r in got if isinstance(r, Finding)]
    assert [f.weakness_id for f in found] == ["OPENSSL-1", "TLS-1", "SSH-1"]
    ssl = found[0]
    assert ssl.scope == "csv:acme" and ssl.title == "Outdated OpenSSL"
    assert ssl.severity is Severity.HIGH and ssl.raw_severity == "High"
    assert (ssl.port, ssl.protocol) == ("443", "tcp")
    assert ssl.cves == ("CVE-2023-0286", "CVE-2023-0215")
    assert ssl.cwes == ("CWE-295",)
    assert ssl.description == "multi\nline"
    assert ssl.references == ("https://a.example/1", "https://a.example/2")
    assert ssl.first_seen == datetime(2026, 1, 5)
    tls = found[1]
    assert tls.asset.key == "web01.example.com"  # host names compare in lower case
    assert tls.first_seen == datetime(2026, 1, 5, 10, tzinfo=timezone.utc)
    assert tls.extra["line"] == 4  # the quoted description spans lines 2-3
    ssh = found[2]
    assert ssh.severity is Severity.HIGH  # CVSS 7.5
    assert ssh.port == "" and ssh.status is ResultStatus.PASSED and ssh.cwes == ("CWE-79",)


def fixture(name: str, importer=CSV) -> list:
    with (FIXTURES / name).open("rb") as stream:
        return list(importer.parse(stream, source=name))


def test_it_reads_every_default_column_of_the_fixture():
    got = fixture("findings.csv")
    assert CSV.sniff((FIXTURES / "findings.csv").read_bytes(), "findings.csv")
    assert [r.asset.key for r in got if isinstance(r, Target)] == [
        "web01", hazards.IPV6, "db01", "db02"]  # db01: scanned, nothing found
    found = [r for r in got if isinstance(r, Finding)]
    assert len(found) == 5 == len({f.identity for f in found})
    listing = found[0]
    assert listing.scope == "csv:acme scanner" and listing.scanner == "Acme Scanner"
    assert (listing.asset.ip, listing.asset.fqdn, listing.asset.os) == (
        "10.20.0.5", "web01.example.gov", "Debian 12")
    assert (listing.port, listing.protocol, listing.severity) == ("443", "tcp", Severity.HIGH)
    assert listing.cves == ("CVE-2026-10001", "CVE-2026-10002")
    assert listing.cwes == ("CWE-548",) and listing.extra["cvss"] == "7.5"
    assert listing.references == ("https://www.example.org/advisory/1",
                                  "https://www.example.org/advisory/2")
    assert listing.first_seen == datetime(2026, 10, 1)
    assert listing.last_seen == datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    assert found[1].port == "8443" and found[1].cwes == ("CWE-548",)  # 'tcp/8443', '548'


def test_it_keeps_hostile_text_as_data():
    listing = [r for r in fixture("findings.csv") if isinstance(r, Finding)][0]
    assert listing.title == hazards.MARKUP
    assert listing.description == (f"Browsing /admin shows every file. {hazards.SCRIPT}\n"
                                   f"{hazards.NON_ASCII}")
    assert listing.evidence == hazards.FORMULA


def test_it_reads_the_fixtures_statuses_scores_and_ipv6_assets():
    found = {f.weakness_id: f for f in fixture("findings.csv") if isinstance(f, Finding)}
    dns = found["DNS-AMP"]
    assert (dns.asset.key, dns.port, dns.protocol) == (hazards.IPV6, "53", "udp")
    assert dns.severity is Severity.MODERATE  # CVSS 5.3
    assert found["SSH-1"].status is ResultStatus.NOT_APPLICABLE  # false positive
    assert found["SSH-1"].severity is Severity.INFO and found["SSH-1"].port == ""
    assert found["TLS-1"].status is ResultStatus.PASSED


def test_it_reads_a_tool_export_through_its_json_mapping():
    mapping = Mapping.from_dict(json.loads((FIXTURES / "acme-mapping.json").read_text()))
    importer = GenericCsvImporter(mapping)
    found = [r for r in fixture("acme-export.csv", importer) if isinstance(r, Finding)]
    bad, other = found
    assert bad.identity == ("csv:acme-scanner", "C-9", "srv1", "", "")
    assert (bad.severity, bad.status) == (Severity.CRITICAL, ResultStatus.OPEN)
    assert bad.first_seen == datetime(2026, 4, 3)  # day first, as the mapping says
    assert bad.evidence == "=1+1"  # kept as data: the exporters guard it
    assert (other.severity, other.status) == (Severity.INFO, ResultStatus.PASSED)
    assert other.first_seen == datetime(2026, 4, 3, 10, 30)


@pytest.mark.parametrize("column", ["Description", "Solution", "Evidence"])
def test_it_caps_a_huge_text_cell_as_the_scanner_importers_do(column):
    text = f"Host,Title,{column}\nh,t," + "A" * 200_000 + "\n"
    found = [r for r in parse_text(text) if isinstance(r, Finding)][0]
    value = getattr(found, column.lower())
    assert value == cap("A" * 200_000) and len(value) < TEXT_LIMIT + 100
    assert value.startswith("A" * TEXT_LIMIT) and "truncated" in value


def test_it_falls_back_to_cve_then_title_for_the_weakness_id():
    text = "Host,Name,CVE,Risk\nh1,Thing one,CVE-2020-1234,Low\nh1,Thing two,,Low\n"
    found = [r for r in parse_text(text) if isinstance(r, Finding)]
    assert [f.weakness_id for f in found] == ["CVE-2020-1234", "Thing two"]
    assert found[0].scope == "csv:generic"


def test_it_reads_a_custom_mapping():
    mapping = Mapping.from_dict({
        "columns": {"asset": "Server", "title": "Finding Name", "weakness_id": "Check",
                    "severity": "Sev", "first_seen": "Opened"},
        "scope": "csv:acme-scanner", "delimiter": ";",
        "date_formats": ["%d/%m/%Y"],
        "severity_map": {"5": "critical", "1": "info"},
    })
    text = "Server;Finding Name;Check;Sev;Opened\nsrv1;Bad thing;C-9;5;03/04/2026\n"
    found = [r for r in parse_text(text, GenericCsvImporter(mapping)) if isinstance(r, Finding)]
    assert found[0].identity == ("csv:acme-scanner", "C-9", "srv1", "", "")
    assert found[0].severity is Severity.CRITICAL
    assert found[0].first_seen == datetime(2026, 4, 3)  # day first, as the mapping says


def test_it_names_missing_required_columns():
    with pytest.raises(FormatError) as caught:
        parse_text("Severity,Description\nHigh,x\n", name="cols.csv")
    message = str(caught.value)
    assert "cols.csv" in message and "required columns missing" in message
    assert "asset" in message and "title" in message
    mapping = Mapping.from_dict({"columns": {"asset": "Server"}})
    with pytest.raises(FormatError, match=r"asset \('Server'\)"):
        parse_text("Host,Title\nh,t\n", GenericCsvImporter(mapping))


@pytest.mark.parametrize("row, field", [
    (",Title,High,2026-01-01", "asset"),
    ("h,Title,Severe,2026-01-01", "severity"),
    ("h,Title,3,2026-01-01", "severity"),  # integer scales differ per tool
    ("h,Title,High,03/04/2026", "first_seen"),  # day/month order is never guessed
])
def test_it_names_the_line_and_field_of_a_bad_row(row, field):
    text = "Host,Title,Severity,First Seen\nh,ok,Low,2026-01-01\n" + row + "\n"
    with pytest.raises(FormatError) as caught:
        parse_text(text, name="rows.csv")
    assert (caught.value.source, caught.value.line, caught.value.field) == (
        "rows.csv", 3, field)


def test_it_refuses_a_row_longer_than_the_header():
    with pytest.raises(FormatError) as caught:
        parse_text("Host,Title\nh,t\nh,t,extra\n")
    assert caught.value.line == 3


def test_it_refuses_an_invalid_mapping():
    with pytest.raises(ValueError, match="unknown fields"):
        Mapping.from_dict({"columns": {"hostname": "Host"}})
    with pytest.raises(ValueError, match="severity_map"):
        Mapping.from_dict({"severity_map": {"5": "urgent"}})


def test_it_sniffs_only_generic_files():
    assert CSV.sniff(SIMPLE.encode(), "findings.csv")
    assert not CSV.sniff(SIMPLE.encode(), "findings.txt")
    assert not CSV.sniff(b"Host,Description\nh,d\n", "x.csv")
    assert not CSV.sniff(b"\xff\xfe\x00", "x.csv")
    assert not CSV.sniff(b"poam_id,title,system_name,asset,severity\n", "plan.csv")


@pytest.mark.parametrize("path", [
    *(p for folder in OWN_IMPORTERS for p in sorted((FIXTURES.parent.parent / folder /
                                                     "fixtures").glob("*.csv"))),
    *(pytest.param(p, marks=pytest.mark.shared) for folder in OWN_IMPORTERS
      for p in shared_files(SAMPLES / folder, "*.csv"))], ids=lambda p: p.name)
def test_it_leaves_csv_exports_with_importers_of_their_own_alone(path):
    assert not CSV.sniff(path.read_bytes()[:65536], path.name)


def test_it_keeps_identity_when_severity_and_text_change():
    changed = SIMPLE.replace("High,443/tcp", "Critical,443/tcp").replace("Upgrade", "Patch")
    ids = lambda text: [f.identity for f in parse_text(text) if isinstance(f, Finding)]
    assert ids(SIMPLE) == ids(changed)


def test_it_accepts_a_bom_and_cp1252():
    text = "\ufeffHost,Title,Severity\nh,Caf\u00e9,Low\n"
    found = [r for r in parse_text(text) if isinstance(r, Finding)]
    assert found[0].title == "Caf\u00e9"
    raw = "Host,Title,Severity\nh,Caf\u00e9,Low\n".encode("cp1252")
    found = [r for r in CSV.parse(io.BytesIO(raw), source="x.csv") if isinstance(r, Finding)]
    assert found[0].title == "Caf\u00e9"
