import io
from datetime import datetime, timezone

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.generic_csv import PLUGINS, GenericCsvImporter, Mapping
from tests.paths import SAMPLES

CSV = PLUGINS[0]

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
    # CSV exports with importers of their own are left alone
    for folder in ("nessus_csv", "qualys", "openvas"):
        for path in (SAMPLES / folder).glob("*.csv"):
            assert not CSV.sniff(path.read_bytes()[:65536], path.name), path.name


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
