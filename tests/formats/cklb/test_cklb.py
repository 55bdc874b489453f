"""DISA STIG Viewer 3 .cklb importer, on the sample checklists and made-up ones."""

import copy
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.ckl import CklImporter
from openpoam.formats.cklb import PLUGINS, CklbImporter
from openpoam.formats.registry import build
from tests.paths import SAMPLES

CKLB = SAMPLES / "cklb"
SAMPLE_NAMES = sorted(p.name for p in CKLB.glob("*.cklb"))
WORDS = {"open": ResultStatus.OPEN, "not_a_finding": ResultStatus.PASSED,
         "not_applicable": ResultStatus.NOT_APPLICABLE,
         "not_reviewed": ResultStatus.NOT_REVIEWED}
EASTERN = timezone(timedelta(hours=-5))


def _read(name: str) -> list:
    with open(CKLB / name, "rb") as stream:
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


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_it_reads_every_rule_of_every_sample(name):
    document = json.loads((CKLB / name).read_text(encoding="utf-8-sig"))
    records = _read(name)
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


def test_it_maps_every_status_of_the_all_results_sample():
    findings = _findings(_read("all-possible-results.cklb"))
    assert sorted(f.status for f in findings) == sorted(WORDS.values())
    first = findings[0]
    assert first.evidence == "xyz\n\nComments:\nxyz"
    assert first.asset.ip == "1.1.1.1" and first.asset.fqdn == "asset.com"
    assert first.description.startswith("Unrestricted traffic may contain")
    assert "\n\nCheck:\nVerify the VPN Gateway" in first.description


def test_it_gives_the_same_identities_as_the_ckl_of_the_same_asset():
    # STIG Manager exported Asset_a as CKL and as CKLB: re-importing either must
    # update the same POA&M items.
    cklb = _findings(_read("Asset_a-multi-stig.cklb"))
    with open(SAMPLES / "ckl" / "Asset_a-multi-stig.ckl", "rb") as stream:
        ckl = _findings(CklImporter().parse(stream, source="Asset_a-multi-stig.ckl"))
    assert {f.identity: f.status for f in cklb} == {f.identity: f.status for f in ckl}
    assert {f.identity: f.severity for f in cklb} == {f.identity: f.severity for f in ckl}


def test_it_tells_two_assets_apart():
    a = {f.identity for f in _findings(_read("Asset_a-multi-stig.cklb"))}
    b = {f.identity for f in _findings(_read("Asset_b-multi-stig.cklb"))}
    assert len(a) == len(b) == 30
    assert not a & b
    assert {i[:2] for i in a} == {i[:2] for i in b}  # same STIGs and rules


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


# --- made-up checklists -----------------------------------------------------------

def _document() -> dict:
    base = json.loads((CKLB / "all-possible-results.cklb").read_text(encoding="utf-8-sig"))
    return copy.deepcopy(base)


def test_it_accepts_a_bom_and_crlf():
    data = b"\xef\xbb\xbf" + json.dumps(_document(), indent=1).replace(
        "\n", "\r\n").encode()
    assert len(_findings(_parse(data))) == 4


def test_it_applies_a_severity_override():
    document = _document()
    rule = document["stigs"][0]["rules"][0]
    rule["overrides"] = {"severity": {"severity": "low", "reason": "compensating control"}}
    finding = _findings(_parse(document))[0]
    assert finding.severity is Severity.LOW and finding.raw_severity == "medium"
    assert finding.extra["severity_justification"] == "compensating control"


def test_it_makes_a_web_or_database_instance_a_separate_asset():
    document = _document()
    document["target_data"].update(is_web_database=True, web_db_site="Site",
                                   web_db_instance="DB1")
    assert _findings(_parse(document))[0].asset.key == "asset/site/db1"


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
