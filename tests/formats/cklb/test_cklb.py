"""DISA STIG Viewer 3 .cklb importer: its own fixture (the CKL fixture's checklist as CKLB),
made-up variations of it; the shared corpus when present."""

import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.ckl import CklImporter
from openpoam.formats.cklb import PLUGINS, CklbImporter
from openpoam.formats.registry import build
from tests.formats import hazards
from tests.paths import SAMPLES, shared_files

CKLB = SAMPLES / "cklb"
SAMPLE_NAMES = [p.name for p in shared_files(CKLB, "*.cklb")]
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "hazards.cklb"
CKL_FIXTURE = FIXTURES.parent.parent / "ckl" / "fixtures" / "evaluate-stig.ckl"
SHARED = pytest.mark.shared
WORDS = {"open": ResultStatus.OPEN, "not_a_finding": ResultStatus.PASSED,
         "not_applicable": ResultStatus.NOT_APPLICABLE,
         "not_reviewed": ResultStatus.NOT_REVIEWED}
EASTERN = timezone(timedelta(hours=-5))


def _read(name: str, folder: Path = CKLB) -> list:
    with open(folder / name, "rb") as stream:
        return list(CklbImporter().parse(stream, source=name))


def _findings(records) -> list[Finding]:
    return [r for r in records if isinstance(r, Finding)]


def _parse(document: dict | bytes) -> list:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return list(CklbImporter().parse(io.BytesIO(data), source="made.cklb"))


def test_it_is_registered_as_cklb():
    assert [p.key for p in PLUGINS] == ["cklb"]
    assert isinstance(PLUGINS[0], ScanImporter)
    assert build(("openpoam.formats.cklb",)).importer("cklb") is PLUGINS[0]


@SHARED
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_it_reads_every_rule_of_every_sample(name):
    assert_rules(CKLB / name)


def assert_rules(path: Path) -> None:
    """Every rule a finding with its group id, title, CCIs, severity and status."""
    document = json.loads(path.read_text(encoding="utf-8-sig"))
    records = _read(path.name, path.parent)
    findings = _findings(records)
    rules = [rule for entry in document["stigs"] for rule in entry["rules"]]
    assert len(findings) == len(rules)
    assert Counter(f.status for f in findings) == Counter(WORDS[r["status"]] for r in rules)
    targets = [r for r in records if isinstance(r, Target)]
    assert [t.scope for t in targets] == [f"stig:{s['stig_id']}" for s in document["stigs"]]
    assert sum(isinstance(r, ScanInfo) for r in records) == 1
    for finding, rule in zip(findings, rules):
        assert finding.weakness_id == rule["group_id"]
        assert re.fullmatch(r"V-\d+", finding.weakness_id)
        assert finding.title == rule["rule_title"]
        assert finding.ccis == tuple(rule["ccis"])
        assert finding.raw_severity == rule["severity"]
        assert finding.source_ref == rule["uuid"]
        assert finding.asset.key == document["target_data"]["host_name"].lower()


@SHARED
def test_it_reads_an_evaluate_stig_checklist():
    records = _read("CA1294WK16078_COMBINED_20231211-125654.cklb")
    assert records[0] == ScanInfo(
        scanner="Evaluate-STIG", scanner_version="1.2310.1",
        scan_time=datetime(2023, 12, 11, 12, 56, 14, 357627, tzinfo=EASTERN),
        name="Evaluate-STIG_COMBINED")
    chrome, edge = _findings(records)
    assert chrome.scope == "stig:Google_Chrome_Current_Windows"
    assert edge.scope == "stig:MS_Edge_STIG"
    assert edge.last_seen == datetime(2023, 12, 11, 12, 56, 34, 915515, tzinfo=EASTERN)
    assert chrome.weakness_id == "V-221558"
    assert chrome.status is ResultStatus.PASSED
    assert chrome.severity is Severity.MODERATE
    assert chrome.evidence == "test"
    assert chrome.extra["rule_id"] == "SV-221558r769351_rule"
    assert chrome.extra["rule_version"] == "DTBC-0001"
    assert chrome.extra["group_title"] == "SRG-APP-000039"  # not the rule title
    assert chrome.extra["legacy_ids"] == ["SV-57545", "V-44711"]
    assert chrome.asset.fqdn == "ca1294wk16078.cranrdte.navy.mil"
    assert chrome.solution.startswith("Windows group policy:")


@SHARED
def test_it_maps_every_status_of_the_all_results_sample():
    findings = _findings(_read("all-possible-results.cklb"))
    assert sorted(f.status for f in findings) == sorted(WORDS.values())
    first = findings[0]
    assert first.evidence == "xyz\n\nComments:\nxyz"
    assert first.asset.ip == "1.1.1.1" and first.asset.fqdn == "asset.com"
    assert first.description.startswith("Unrestricted traffic may contain")
    assert "\n\nCheck:\nVerify the VPN Gateway" in first.description


@SHARED
def test_it_gives_the_same_identities_as_the_ckl_of_the_same_asset():
    # STIG Manager exported Asset_a as CKL and as CKLB: re-importing either must
    # update the same POA&M items.
    cklb = _findings(_read("Asset_a-multi-stig.cklb"))
    with open(SAMPLES / "ckl" / "Asset_a-multi-stig.ckl", "rb") as stream:
        ckl = _findings(CklImporter().parse(stream, source="Asset_a-multi-stig.ckl"))
    assert {f.identity: f.status for f in cklb} == {f.identity: f.status for f in ckl}
    assert {f.identity: f.severity for f in cklb} == {f.identity: f.severity for f in ckl}


@SHARED
def test_it_tells_two_assets_apart():
    a = {f.identity for f in _findings(_read("Asset_a-multi-stig.cklb"))}
    b = {f.identity for f in _findings(_read("Asset_b-multi-stig.cklb"))}
    assert len(a) == len(b) == 30
    assert not a & b
    assert {i[:2] for i in a} == {i[:2] for i in b}  # same STIGs and rules


@SHARED
@pytest.mark.parametrize("folder,name,expected", [
    *[("cklb", name, True) for name in SAMPLE_NAMES],
    ("ckl", "Asset_a-multi-stig.ckl", False),
    ("trivy", None, False),
    ("grype", None, False),
    ("sarif", None, False),
])
def test_it_recognises_checklists_by_content(folder, name, expected):
    path = SAMPLES / folder / name if name else sorted((SAMPLES / folder).iterdir())[0]
    assert CklbImporter().sniff(path.read_bytes()[:65536], "renamed.json") is expected


@pytest.mark.parametrize("head", [b"", b"{", b"\xff\xfe{\x00", b"[1,2]", bytes(range(256))])
def test_it_sniffs_without_raising(head):
    assert CklbImporter().sniff(head, "x.cklb") is False


# --- the fixture ------------------------------------------------------------------------

def test_it_reads_every_rule_of_the_fixture():
    assert_rules(FIXTURE)


def test_it_reads_the_fixtures_evaluate_stig_header_and_times():
    records = _read(FIXTURE.name, FIXTURES)
    assert records[0] == ScanInfo(
        scanner="Evaluate-STIG", scanner_version="1.2410.0",
        scan_time=datetime(2026, 11, 2, 8, 0, 0, 123456, tzinfo=EASTERN),
        name="WS01 — Contrôle ✓")
    chrome = _findings(records)[-1]
    assert chrome.last_seen == datetime(2026, 11, 2, 8, 5, tzinfo=EASTERN)
    assert (chrome.asset.ip, chrome.asset.fqdn) == (hazards.IPV6, "ws01.corp.example")


def test_it_keeps_hostile_text_as_data():
    listing = _findings(_read(FIXTURE.name, FIXTURES))[0]
    assert listing.title == hazards.MARKUP
    assert listing.evidence.startswith(f"{hazards.FORMULA}\n{hazards.MARKUP} {hazards.SCRIPT}\n"
                                       f"{hazards.NON_ASCII}")
    assert listing.extra["comments"] == "Ticket <b>42</b>"


def test_it_reads_the_same_findings_as_the_ckl_of_the_same_checklist():
    # The fixture is the CKL fixture's checklist written by STIG Viewer 3: re-importing
    # either must update the same POA&M items with the same facts.
    def facts(findings):
        return {f.identity: (f.status, f.severity, f.raw_severity, f.title, f.description,
                             f.solution, f.evidence, f.ccis, f.controls, f.extra, f.last_seen)
                for f in findings}
    with CKL_FIXTURE.open("rb") as stream:
        ckl = _findings(CklImporter().parse(stream, source=CKL_FIXTURE.name))
    assert facts(_findings(_read(FIXTURE.name, FIXTURES))) == facts(ckl)


@pytest.mark.parametrize("path,expected", [
    (FIXTURE, True), (CKL_FIXTURE, False),
    *[(FIXTURES.parent.parent / other, False) for other in (
        "trivy/fixtures/image.json", "grype/fixtures/image.json", "sarif/fixtures/codeql.sarif")],
], ids=lambda p: getattr(p, "name", str(p)))
def test_it_recognises_the_fixture_by_content(path, expected):
    assert CklbImporter().sniff(path.read_bytes()[:65536], "renamed.json") is expected


# --- made-up checklists -----------------------------------------------------------

def _document() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_it_accepts_a_bom_and_crlf():
    data = b"\xef\xbb\xbf" + json.dumps(_document(), indent=1).replace(
        "\n", "\r\n").encode()
    assert len(_findings(_parse(data))) == 5


def test_it_applies_a_severity_override():
    document = _document()
    rule = document["stigs"][0]["rules"][0]
    rule["overrides"] = {"severity": {"severity": "low", "reason": "compensating control"}}
    finding = _findings(_parse(document))[0]  # written medium
    assert finding.severity is Severity.LOW and finding.raw_severity == "medium"
    assert finding.extra["severity_justification"] == "compensating control"


def test_it_makes_a_web_or_database_instance_a_separate_asset():
    document = _document()
    document["target_data"].update(is_web_database=True, web_db_site="Site",
                                   web_db_instance="DB1")
    assert _findings(_parse(document))[0].asset.key == "ws01/site/db1"


def test_it_refuses_an_unknown_status_naming_the_rule():
    document = _document()
    document["stigs"][0]["rules"][2]["status"] = "fixed"
    with pytest.raises(FormatError, match="unknown checklist status") as caught:
        _parse(document)
    assert caught.value.field == "stigs[0].rules[2].status"


def test_it_refuses_malformed_json_with_the_line():
    with pytest.raises(FormatError, match="malformed JSON") as caught:
        _parse(b'{\n"target_data": {},\n"stigs": [,]\n}')
    assert caught.value.line == 3
    assert str(caught.value).startswith("made.cklb, line 3:")


@pytest.mark.parametrize("change,message", [
    (lambda d: d.pop("target_data"), "target_data"),
    (lambda d: d.update(stigs=[]), "no STIG"),
    (lambda d: d["stigs"][0].update(stig_id=None), "stig_id"),
    (lambda d: d["stigs"][0]["rules"][0].update(group_id=""), "group_id"),
    (lambda d: d["target_data"].update(host_name="", fqdn="", ip_address=""), "no asset"),
])
def test_it_refuses_checklists_missing_what_identity_needs(change, message):
    document = _document()
    change(document)
    with pytest.raises(FormatError, match=message):
        _parse(document)


def test_it_refuses_a_file_that_is_not_utf8():
    with pytest.raises(FormatError, match="UTF-8"):
        _parse(b'{"target_data": {"host_name": "caf\xe9"}, "stigs": []}')
