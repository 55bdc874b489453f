"""Grype JSON importer: its own fixtures (current and 0.7 schema; OS and language packages,
duplicates, hostile text), identity, errors; the shared corpus when present."""

import io
import json
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.grype import PLUGINS
from tests.formats import hazards
from tests.paths import SAMPLES

GRYPE = PLUGINS[0]
FOLDER = SAMPLES / "grype"
FIXTURES = Path(__file__).parent / "fixtures"
IMAGE = FIXTURES / "image.json"
SHARED = pytest.mark.shared
EXPECTED_FINDINGS = {
    "check_all_fields.json": 5,  # 6 matches; GHSA-v6rh-hp5x-86rv on Django is listed twice
    "issue_9618.json": 35,
    "many_vulns3.json": 327,
    "many_vulns_with_epss_values.json": 15,
}
EXPECTED_ASSETS = {
    "check_all_fields.json": "vulnerable-image",
    "issue_9618.json": "quay.io/cloudservices/xjoin-kafka-connect-strimzi",
    "many_vulns3.json": "defectdojo/defectdojo-django",
    "many_vulns_with_epss_values.json": "busybox",
}


def records(name, folder=FOLDER):
    with open(folder / name, "rb") as stream:
        return list(GRYPE.parse(stream, source=name))


def findings(name, folder=FOLDER):
    return [r for r in records(name, folder) if isinstance(r, Finding)]


def parse_bytes(data: bytes, name="report.json"):
    return list(GRYPE.parse(io.BytesIO(data), source=name))


@SHARED
def test_it_reads_every_sample():
    names = sorted(p.name for p in FOLDER.glob("*.json"))
    assert names == sorted(EXPECTED_FINDINGS)
    for name in names:
        assert_reads(FOLDER, name, EXPECTED_FINDINGS[name], EXPECTED_ASSETS[name])


@SHARED
def test_it_reads_scanner_version_and_time():
    info = records("issue_9618.json")[0]
    assert info.scanner_version == "0.96.0"
    assert info.scan_time.isoformat() == "2024-02-22T19:46:26.372724+01:00"
    assert records("many_vulns3.json")[0].scanner_version == "0.7.0"


@SHARED
def test_it_keeps_one_cve_on_two_jar_paths_as_two_findings():
    avro = [f for f in findings("issue_9618.json") if f.weakness_id.startswith("CVE-2023-39410:")]
    assert sorted(f.weakness_id for f in avro) == [
        "CVE-2023-39410:avro:/opt/kafka/libs/avro/avro-*.jar",
        "CVE-2023-39410:avro:/opt/kafka/plugins/apicurio/avro-*.jar",
    ]


@SHARED
def test_it_grades_a_match_without_severity_from_its_cvss():
    match = next(f for f in findings("issue_9618.json") if f.raw_severity == "")
    assert match.weakness_id.startswith("CVE-2024-26308:commons-compress:")
    assert match.severity is Severity.HIGH  # CVSS 3.1 base score 7.5
    assert match.solution == "Upgrade commons-compress to 1.26.0 or later."


@SHARED
def test_it_fills_os_package_fields():
    first = findings("issue_9618.json")[0]
    assert first.weakness_id == "CVE-2023-38473:avahi-libs"
    assert first.severity is Severity.MODERATE and first.raw_severity == "Medium"
    assert first.cves == ("CVE-2023-38473",)
    assert first.extra["installed_version"] == "0.7-20.el8"
    assert first.extra["fixed_version"] == "0:0.7-21.el8_9.1"
    assert first.extra["fix_state"] == "fixed"
    assert {c["score"] for c in first.extra["cvss"]} == {6.2, 5.5}
    assert "https://access.redhat.com/errata/RHSA-2023:7836" in first.references
    assert first.description.startswith("A vulnerability was found in Avahi")


@SHARED
def test_it_reads_epss_and_risk():
    first = findings("many_vulns_with_epss_values.json")[0]
    assert first.weakness_id == "CVE-2022-28391:busybox:/bin/["
    assert first.extra["epss"] == 0.0719
    assert first.extra["epss_percentile"] == 0.91123
    assert first.extra["risk"] == pytest.approx(5.62, abs=0.01)


@SHARED
def test_it_reads_the_old_schema():
    bash = findings("many_vulns3.json")[0]
    assert bash.weakness_id == "CVE-2019-18276:bash"
    assert bash.severity is Severity.INFO and bash.raw_severity == "Negligible"
    assert bash.extra["cvss"] == [{"version": "2", "vector": "AV:L/AC:L/Au:N/C:C/I:C/A:C",
                                   "score": 7.2, "source": ""}]


# --- the fixtures ----------------------------------------------------------------------

def assert_reads(folder: Path, name: str, count: int, asset: str) -> None:
    assert GRYPE.sniff((folder / name).read_bytes()[:65536], name), name
    got = records(name, folder)
    assert isinstance(got[0], ScanInfo) and got[0].scanner == "Grype"
    assert [r.asset.key for r in got if isinstance(r, Target)] == [asset]
    found = [r for r in got if isinstance(r, Finding)]
    assert len(found) == count == len({f.identity for f in found}), name
    assert all(f.scope == "grype" and f.asset.key == asset for f in found)


@pytest.mark.parametrize("name,count,asset", [
    ("image.json", 5, "registry.example.com/team/app"),  # 6 matches, Django listed twice
    ("old_schema.json", 2, "/srv/app")])
def test_it_reads_each_fixture(name, count, asset):
    assert_reads(FIXTURES, name, count, asset)


def fixture_by_id(name="image.json"):
    return {f.weakness_id: f for f in findings(name, FIXTURES)}


def test_it_reads_every_field_of_an_os_package_match():
    info, target = records("image.json", FIXTURES)[:2]
    assert info.scanner_version == "0.84.0"
    assert info.scan_time.isoformat() == "2026-11-02T08:00:00.372724+01:00"
    assert (target.asset.name, target.asset.kind, target.asset.os) == (
        "registry.example.com/team/app:1.4.2", "image", "redhat 8.10")
    ssl = fixture_by_id()["CVE-2026-10001:openssl-libs"]
    assert ssl.severity is Severity.HIGH and ssl.raw_severity == "High"
    assert ssl.solution == "Upgrade openssl-libs to 0:3.0.15-1.el8 or later."
    assert ssl.references[:2] == ("https://access.redhat.com/security/cve/CVE-2026-10001",
                                  "https://www.example.org/advisory/1")
    assert "https://access.redhat.com/errata/RHSA-2026:0001" in ssl.references
    assert {c["score"] for c in ssl.extra["cvss"]} == {7.5}
    assert (ssl.extra["epss"], ssl.extra["epss_percentile"]) == (0.0719, 0.91123)
    assert ssl.extra["risk"] == pytest.approx(5.62)
    assert ssl.extra["purl"] == "pkg:rpm/redhat/openssl-libs@3.0.14-1.el8"
    assert "file_path" not in ssl.extra  # an OS package has no file


def test_it_keeps_hostile_text_as_data():
    ssl = fixture_by_id()["CVE-2026-10001:openssl-libs"]
    for text in (hazards.MARKUP, hazards.SCRIPT, hazards.NON_ASCII, hazards.FORMULA):
        assert text in ssl.description


def test_it_keeps_one_cve_on_two_paths_apart_and_grades_it_by_cvss():
    by_id = fixture_by_id()
    jars = [f for key, f in by_id.items() if key.startswith("CVE-2026-10003:")]
    assert sorted(f.weakness_id for f in jars) == [
        "CVE-2026-10003:commons-compress:/opt/app/libs/commons-compress-*.jar",
        "CVE-2026-10003:commons-compress:/opt/app/plugins/commons-compress-*.jar"]
    assert {f.severity for f in jars} == {Severity.HIGH}  # no severity word: CVSS 7.5


def test_it_reads_related_cves_wont_fix_and_negligible():
    by_id = fixture_by_id()
    django = by_id["GHSA-v6rh-hp5x-86rv:Django:/usr/lib/python3/site-packages/"
                   "Django-*.dist-info/METADATA"]
    assert django.cves == ("CVE-2021-33203",)
    assert django.description == "Django admindocs path traversal."
    bash = by_id["CVE-2019-18276:bash"]
    assert bash.severity is Severity.INFO and "will not fix" in bash.solution


def test_it_reads_the_fixtures_old_schema():
    by_id = fixture_by_id("old_schema.json")
    bash = by_id["CVE-2019-18276:bash"]
    assert bash.extra["cvss"] == [{"version": "2", "vector": "AV:L/AC:L/Au:N/C:C/I:C/A:C",
                                   "score": 7.2, "source": ""}]
    assert bash.references == ("https://security-tracker.debian.org/tracker/CVE-2019-18276",)
    assert by_id["CVE-2026-10004:zlib"].solution == "Upgrade zlib to 1.2.3 or later."


def test_it_keeps_identity_when_the_package_is_bumped_but_still_vulnerable():
    data = json.loads(IMAGE.read_bytes())
    before = {f.identity for f in parse_bytes(json.dumps(data).encode())
              if isinstance(f, Finding)}
    data["source"]["target"]["userInput"] = "registry.example.com/team/app:1.5.0"
    for match in data["matches"]:
        artifact = match["artifact"]
        old, new = artifact["version"], artifact["version"] + ".1"
        artifact["version"] = new
        for loc in artifact["locations"]:
            loc["path"] = loc["path"].replace(old, new)
        match["vulnerability"]["severity"] = "Critical"
    after = {f.identity for f in parse_bytes(json.dumps(data).encode())
             if isinstance(f, Finding)}
    assert before == after


def test_it_names_file_and_line_of_malformed_json():
    data = IMAGE.read_bytes()[:3000]
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "cut.json")
    assert caught.value.source == "cut.json" and caught.value.line > 1


def test_it_refuses_a_trivy_report():
    data = (FIXTURES.parent.parent / "trivy" / "fixtures" / "image.json").read_bytes()
    assert not GRYPE.sniff(data[:65536], "issue_9333.json")
    with pytest.raises(FormatError, match="not a Grype"):
        parse_bytes(data, "issue_9333.json")


def test_it_refuses_an_unknown_severity_naming_the_match():
    data = json.loads(IMAGE.read_bytes())
    data["matches"][1]["vulnerability"]["severity"] = "Severe"
    with pytest.raises(FormatError) as caught:
        parse_bytes(json.dumps(data).encode())
    assert caught.value.field == "matches[1].vulnerability.severity"


def test_it_refuses_an_unparseable_timestamp():
    data = json.loads(IMAGE.read_bytes())
    data["descriptor"]["timestamp"] = "Feb 22 2024"
    with pytest.raises(FormatError) as caught:
        parse_bytes(json.dumps(data).encode())
    assert caught.value.field == "descriptor.timestamp"
