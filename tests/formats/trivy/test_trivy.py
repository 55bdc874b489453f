"""Trivy JSON importer: its own fixtures (image, Kubernetes, legacy array; vulnerabilities,
misconfigurations, secrets, hostile text), identity, errors; the shared corpus when present."""

import io
import json
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.trivy import PLUGINS
from openpoam.formats.container_images import image_key
from tests.formats import hazards
from tests.paths import SAMPLES

TRIVY = PLUGINS[0]
FOLDER = SAMPLES / "trivy"
FIXTURES = Path(__file__).parent / "fixtures"
IMAGE = FIXTURES / "image.json"
SHARED = pytest.mark.shared
EXPECTED_FINDINGS = {
    "all_statuses.json": 8,
    "issue_9333.json": 13,
    "kubernetes.json": 20,  # 10 vulnerabilities + 10 failed checks
    "legacy_many_vulns.json": 93,
    "misconfigurations_and_secrets.json": 5,  # 2 vulns, 1 misconfiguration, 2 secrets
}


def records(name, folder=FOLDER):
    with open(folder / name, "rb") as stream:
        return list(TRIVY.parse(stream, source=name))


def findings(name, folder=FOLDER):
    return [r for r in records(name, folder) if isinstance(r, Finding)]


def parse_bytes(data: bytes, name="report.json"):
    return list(TRIVY.parse(io.BytesIO(data), source=name))


@SHARED
def test_it_reads_every_sample():
    names = sorted(p.name for p in FOLDER.glob("*.json"))
    assert names == sorted(EXPECTED_FINDINGS)
    for name in names:
        assert_reads(FOLDER, name, EXPECTED_FINDINGS[name])


@SHARED
def test_it_fills_a_language_package_vulnerability():
    by_id = {f.weakness_id: f for f in findings("misconfigurations_and_secrets.json")}
    vuln = by_id["CVE-2021-33503:urllib3:requirements.txt"]
    assert vuln.severity is Severity.HIGH and vuln.raw_severity == "HIGH"
    assert vuln.cves == ("CVE-2021-33503",)
    assert vuln.cwes == ("CWE-400",)
    assert vuln.title.startswith("CVE-2021-33503 in urllib3: python-urllib3: ReDoS")
    assert vuln.solution == "Upgrade urllib3 to 1.26.5 or later."
    assert vuln.extra["installed_version"] == "1.26.3"
    assert vuln.extra["fixed_version"] == "1.26.5"
    assert vuln.extra["cvss"]["nvd"]["V3Score"] == 7.5
    assert "https://avd.aquasec.com/nvd/cve-2021-33503" in vuln.references


@SHARED
def test_it_reads_misconfigurations_and_masked_secrets():
    by_id = {f.weakness_id: f for f in findings("misconfigurations_and_secrets.json")}
    check = by_id["DS002:Dockerfile"]
    assert check.title == "Image user should not be 'root'"
    assert check.severity is Severity.HIGH
    assert check.solution == "Add 'USER <non root user name>' line to the Dockerfile"
    assert check.status is ResultStatus.OPEN
    secret = by_id["github-pat:Dockerfile"]
    assert secret.severity is Severity.CRITICAL
    assert secret.evidence == "ENV GITHUB_PAT=*****"
    assert secret.extra["line"] == 24
    assert "github-pat:secret.txt" in by_id


@SHARED
def test_it_names_the_image_without_tag_when_artifact_name_is_empty():
    targets = [r for r in records("issue_9333.json") if isinstance(r, Target)]
    assert [t.asset.key for t in targets] == ["noppaknopsta/example-app"]
    assert targets[0].asset.name == "noppaknopsta/example-app:main-159"
    assert targets[0].asset.kind == "image"
    assert targets[0].asset.os == "debian 10.13"


@SHARED
def test_it_maps_every_vulnerability_status():
    by_status = {f.extra["status"]: f.status for f in findings("all_statuses.json")}
    assert len(by_status) == 8
    assert by_status["not_affected"] is ResultStatus.NOT_APPLICABLE
    for word in ("affected", "fixed", "will_not_fix", "fix_deferred", "end_of_life",
                 "under_investigation", "unknown"):
        assert by_status[word] is ResultStatus.OPEN, word


@SHARED
def test_it_covers_every_kubernetes_resource_even_without_findings():
    got = records("kubernetes.json")
    targets = [r.asset.name for r in got if isinstance(r, Target)]
    assert targets == ["default/Deployment/redis-follower", "default/Deployment/redis-leader",
                       "default/Service/redis-follower", "default/Service/redis-leader"]
    found = [r for r in got if isinstance(r, Finding)]
    follower = [f for f in found if f.asset.name == "default/Deployment/redis-follower"]
    assert {f.weakness_id for f in follower} >= {"KSV001", "CVE-2020-27350:apt"}
    ksv = next(f for f in follower if f.weakness_id == "KSV001")
    assert ksv.extra["line"] == 132 and ksv.severity is Severity.MODERATE
    assert ksv.asset.key.startswith("arn:aws:eks:us-east-1:576036489467:cluster/")


@SHARED
def test_it_reads_the_legacy_array():
    found = findings("legacy_many_vulns.json")
    assert {f.asset.key for f in found} == {"debian"}
    first = found[0]
    assert first.weakness_id == "CVE-2011-3374:apt" and first.severity is Severity.LOW


# --- the fixtures ----------------------------------------------------------------------

FIXTURE_FINDINGS = {"image.json": 10, "kubernetes.json": 2, "legacy.json": 2}


def assert_reads(folder: Path, name: str, count: int) -> None:
    assert TRIVY.sniff((folder / name).read_bytes()[:65536], name), name
    got = records(name, folder)
    assert isinstance(got[0], ScanInfo) and got[0].scanner == "Trivy"
    assert any(isinstance(r, Target) for r in got), name
    found = [r for r in got if isinstance(r, Finding)]
    assert len(found) == count, name
    assert all(f.scope == "trivy" for f in found)
    assert len({f.identity for f in found}) == len(found), name


@pytest.mark.parametrize("name", sorted(FIXTURE_FINDINGS))
def test_it_reads_each_fixture(name):
    assert_reads(FIXTURES, name, FIXTURE_FINDINGS[name])


def fixture_by_id():
    return {f.weakness_id: f for f in findings("image.json", FIXTURES)}


def test_it_reads_every_field_of_an_os_package_vulnerability():
    info, target = records("image.json", FIXTURES)[:2]
    assert (info.scanner_version, info.name) == ("0.57.0", "registry.example.com/team/app:1.4.2")
    assert info.scan_time.isoformat() == "2026-11-02T08:00:00.123456+00:00"
    assert (target.asset.key, target.asset.kind, target.asset.os) == (
        "registry.example.com/team/app", "image", "debian 12.7")
    ssl = fixture_by_id()["CVE-2026-10001:openssl"]
    assert ssl.severity is Severity.HIGH and ssl.cves == ("CVE-2026-10001",)
    assert ssl.cwes == ("CWE-79",) and ssl.solution == "Upgrade openssl to 3.0.15-1 or later."
    assert ssl.references == ("https://avd.aquasec.com/nvd/cve-2026-10001",
                              "https://www.example.org/advisory/1")
    assert ssl.extra["cvss"]["nvd"]["V3Score"] == 7.5
    assert ssl.extra["vendor_severity"] == {"debian": 3, "nvd": 3}
    assert (ssl.extra["published"], ssl.extra["class"]) == ("2026-01-15T10:00:00Z", "os-pkgs")
    assert "file_path" not in ssl.extra  # an OS package has no file


def test_it_keeps_hostile_text_as_data():
    ssl = fixture_by_id()["CVE-2026-10001:openssl"]
    assert ssl.title == f"CVE-2026-10001 in openssl: {hazards.MARKUP}"
    for text in (hazards.SCRIPT, hazards.NON_ASCII, hazards.FORMULA):
        assert text in ssl.description


def test_it_maps_the_fixtures_statuses_and_unknown_severity():
    by_id = fixture_by_id()
    assert by_id["CVE-2026-10005:zlib1g"].status is ResultStatus.NOT_APPLICABLE
    unknown = by_id["TEMP-0841856-B18BAF:bash"]
    assert unknown.severity is Severity.INFO and unknown.status is ResultStatus.OPEN
    assert "will_not_fix" in unknown.solution and unknown.cves == ()


def test_it_keys_language_packages_on_their_path_without_version():
    by_id = fixture_by_id()
    assert by_id["CVE-2021-33503:urllib3:app/requirements.txt"].cwes == ("CWE-400",)
    assert "GHSA-xxxx-yyyy-zzzz:requests:usr/lib/python3/dist-packages/" \
        "requests-*.dist-info/METADATA" in by_id


def test_it_reads_the_fixtures_misconfigurations_and_masked_secrets():
    by_id = fixture_by_id()
    root = by_id["DS002:Dockerfile"]
    assert root.solution == "Add 'USER <non root user name>' line to the Dockerfile"
    assert root.extra["line"] == 1 and root.extra["avd_id"] == "AVD-DS-0002"
    assert by_id["DS026:Dockerfile"].status is ResultStatus.PASSED
    assert by_id["github-pat:Dockerfile@L24"].evidence == "ENV GITHUB_PAT=*****"
    assert by_id["github-pat:Dockerfile@L30"].severity is Severity.CRITICAL


def test_it_covers_the_fixtures_kubernetes_resources_and_legacy_array():
    got = records("kubernetes.json", FIXTURES)
    assert [r.asset.name for r in got if isinstance(r, Target)] == [
        "default/Deployment/web", "default/Service/web"]
    ksv = next(r for r in got if isinstance(r, Finding) and r.weakness_id == "KSV001")
    assert ksv.extra["line"] == 132 and ksv.severity is Severity.MODERATE
    legacy = findings("legacy.json", FIXTURES)
    assert {f.asset.key for f in legacy} == {"debian"}


def test_it_keeps_identity_when_version_tag_severity_and_text_change():
    data = json.loads(IMAGE.read_bytes())
    data["ArtifactName"] = "registry.example.com/team/app:1.0"
    before = {f.identity for f in parse_bytes(json.dumps(data).encode())
              if isinstance(f, Finding)}
    data["ArtifactName"] = "registry.example.com/team/app:2.0@sha256:abcd"
    for result in data["Results"]:
        for vuln in result.get("Vulnerabilities") or []:
            old, new = vuln["InstalledVersion"], vuln["InstalledVersion"] + ".1"
            vuln["InstalledVersion"] = new
            if "PkgPath" in vuln:  # the path names the version: it moves with it
                vuln["PkgPath"] = vuln["PkgPath"].replace(old, new)
            vuln["Severity"] = "CRITICAL"
            vuln["Description"] = "reworded"
    after = {f.identity for f in parse_bytes(json.dumps(data).encode())
             if isinstance(f, Finding)}
    assert before == after
    assert {i[2] for i in after} == {"registry.example.com/team/app"}


def test_it_yields_one_finding_per_package_even_when_listed_per_layer():
    found = [f for f in findings("image.json", FIXTURES)
             if f.weakness_id.startswith("CVE-2026-10001")]
    assert len(found) == 1  # listed in two layers


def test_it_names_file_and_line_of_malformed_json():
    data = IMAGE.read_bytes()[:1500]
    with pytest.raises(FormatError) as caught:
        parse_bytes(data, "broken.json")
    assert caught.value.source == "broken.json"
    assert caught.value.line is not None and caught.value.line > 1


def test_it_refuses_a_grype_report():
    data = json.dumps({"matches": [], "source": {"type": "image", "target": {}},
                       "distro": {"name": "debian"}, "descriptor": {"name": "grype"}}).encode()
    assert not TRIVY.sniff(data, "check_all_fields.json")
    with pytest.raises(FormatError, match="not a Trivy"):
        parse_bytes(data, "check_all_fields.json")


def test_it_refuses_an_unparseable_date_naming_the_field():
    data = json.loads(IMAGE.read_bytes())
    data["CreatedAt"] = "15/01/2024 08:58"
    with pytest.raises(FormatError) as caught:
        parse_bytes(json.dumps(data).encode(), "dated.json")
    assert caught.value.field == "CreatedAt" and "dated.json" in str(caught.value)


def test_it_names_a_missing_vulnerability_id():
    data = json.loads(IMAGE.read_bytes())
    del data["Results"][0]["Vulnerabilities"][2]["VulnerabilityID"]
    with pytest.raises(FormatError) as caught:
        parse_bytes(json.dumps(data).encode())
    assert caught.value.field == "Results[0].Vulnerabilities[2].VulnerabilityID"


def test_it_sniffs_without_raising_on_other_content():
    assert not TRIVY.sniff(b"", "x.json")
    assert not TRIVY.sniff(b"\x00\xff\xfe", "x.json")
    sarif = (FIXTURES.parent.parent / "sarif" / "fixtures" / "grype.sarif").read_bytes()
    assert not TRIVY.sniff(sarif, "x")


@pytest.mark.parametrize("reference, key", [
    ("docker.io/library/redis:6.0.5", "redis"),
    ("redis", "redis"),
    ("gcr.io/google_samples/gb-redis-follower:v2", "gcr.io/google_samples/gb-redis-follower"),
    ("localhost:5000/app@sha256:abc", "localhost:5000/app"),
    ("busybox@sha256:ae39", "busybox"),
])
def test_it_keys_images_without_tag_or_digest(reference, key):
    assert image_key(reference) == key
