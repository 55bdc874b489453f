"""SARIF 2.1.0 importer: its own fixtures (CodeQL, Grype, dependency-check shapes, hostile
text), identity, errors; the shared sample corpus when ../shared is present."""

import io
import json
from pathlib import Path

import pytest

from openpoam.domain.findings import Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.formats.base import FormatError
from openpoam.formats.sarif import PLUGINS
from openpoam.formats.sarif.parser import repository_key
from tests.formats import hazards
from tests.paths import SAMPLES

SARIF = PLUGINS[0]
FOLDER = SAMPLES / "sarif"
FIXTURES = Path(__file__).parent / "fixtures"
SHARED = pytest.mark.shared
# findings = distinct rules with results (results in the file)
EXPECTED = {
    "codeQL-output.sarif": ("sarif:codeql", 13, 72),
    "cxf-3.4.6.sarif": ("sarif:grype", 22, 22),
    "dependency_check.sarif": ("sarif:dependency-check", 9, 13),
}


def records(name, folder=FOLDER):
    with open(folder / name, "rb") as stream:
        return list(SARIF.parse(stream, source=name))


def findings(name, folder=FOLDER):
    return {f.weakness_id: f for f in records(name, folder) if isinstance(f, Finding)}


def parse_dict(data, name="log.sarif", **kwargs):
    return list(SARIF.parse(io.BytesIO(json.dumps(data).encode()), source=name, **kwargs))


def small_log(results, **run):
    return {"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "Semgrep", "version": "1.50.0", "rules": [
            {"id": "python.sqli", "shortDescription": {"text": "SQL injection"},
             "properties": {"security-severity": "8.1", "tags": ["CWE-89"]}}]}},
        "results": results, **run}]}


def result(line, **extra):
    return {"ruleId": "python.sqli", "message": {"text": "tainted query"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"},
                                                "region": {"startLine": line}}}], **extra}


@SHARED
def test_it_reads_every_sample():
    names = sorted(p.name for p in FOLDER.glob("*.sarif"))
    assert names == sorted(EXPECTED)
    for name in names:
        assert_reads(FOLDER, name, *EXPECTED[name])


@SHARED
def test_it_reads_codeql_rules_locations_and_cwes():
    info = records("codeQL-output.sarif")[0]
    assert (info.scanner, info.scanner_version) == ("CodeQL", "2.5.4")
    empty = findings("codeQL-output.sarif")["py/empty-except"]
    assert empty.title == "Empty except"
    assert empty.severity is Severity.LOW and empty.raw_severity == "note"  # rule default
    assert empty.cwes == ("CWE-390",)
    assert empty.extra["result_count"] == 7
    first = empty.extra["locations"][0]
    assert first["uri"] == "good/db_init.py" and first["line"] == 39
    assert "primaryLocationLineHash=9cbc869fbfffeb60:1" in first["fingerprint"]
    assert "good/db_init.py:39: 'except' clause does nothing" in empty.evidence
    xss = findings("codeQL-output.sarif")["py/reflective-xss"]
    assert xss.severity is Severity.HIGH and xss.cwes == ("CWE-79", "CWE-116")


@SHARED
def test_it_grades_by_security_severity():
    found = findings("cxf-3.4.6.sarif")
    low = found["CVE-2008-0732-geronimo-j2ee-management_1.1_spec"]
    assert low.severity is Severity.LOW
    assert low.raw_severity == "warning (security-severity 2.1)"
    assert low.cves == ("CVE-2008-0732",)
    assert low.references == ("https://github.com/anchore/grype",)
    assert sum(f.severity is Severity.CRITICAL for f in found.values()) == 1


@SHARED
def test_it_reads_dependency_check_without_rules():
    found = findings("dependency_check.sarif")
    jquery = found["CVE-2015-9251"]
    assert jquery.extra["result_count"] == 2  # two copies of jquery
    assert jquery.severity is Severity.MODERATE
    assert jquery.raw_severity == "error (cvssv3_baseSeverity MEDIUM)"
    assert jquery.cves == ("CVE-2015-9251",)
    assert jquery.extra["cvss"]["cvssv3_baseScore"] == 6.1
    handlebars = found["Disallow calling helperMissing and blockHelperMissing directly"]
    assert handlebars.title == "Disallow calling helperMissing and blockHelperMissing directly"
    assert handlebars.severity is Severity.LOW


# --- the fixtures ---------------------------------------------------------------------

# name: (scope, findings, results)
FIXTURE_RUNS = {
    "codeql.sarif": ("sarif:codeql", 3, 5),
    "grype.sarif": ("sarif:grype", 2, 2),
    "dependency_check.sarif": ("sarif:dependency-check", 2, 3),
}


def assert_reads(folder: Path, name: str, scope: str, count: int, results: int) -> None:
    assert SARIF.sniff((folder / name).read_bytes()[:65536], name), name
    got = records(name, folder)
    assert isinstance(got[0], ScanInfo)
    assert [(t.scope, t.asset.kind) for t in got if isinstance(t, Target)] == [
        (scope, "repository")]
    found = [r for r in got if isinstance(r, Finding)]
    assert len(found) == count, name
    assert sum(f.extra["result_count"] for f in found) == results, name
    assert all(f.scope == scope for f in found)


@pytest.mark.parametrize("name", sorted(FIXTURE_RUNS))
def test_it_reads_each_fixture(name):
    assert_reads(FIXTURES, name, *FIXTURE_RUNS[name])


def test_it_reads_every_field_of_a_codeql_rule_and_its_results():
    info = records("codeql.sarif", FIXTURES)[0]
    assert (info.scanner, info.scanner_version) == ("CodeQL", "2.19.3")
    assert info.scan_time.isoformat() == "2026-11-02T08:00:00+00:00"
    xss = findings("codeql.sarif", FIXTURES)["py/reflective-xss"]
    assert xss.asset.key == "https://github.com/Example/Shop"
    assert xss.severity is Severity.MODERATE
    assert xss.raw_severity == "error (security-severity 6.1)"
    assert xss.cwes == ("CWE-79", "CWE-116")
    assert xss.solution == "Escape the input before writing it."
    assert xss.references == ("https://codeql.github.com/codeql-query-help/python/"
                              "py-reflective-xss/",)
    assert xss.source_ref == "8b0d5c1e-0000-4000-8000-000000000001"
    assert xss.extra["locations"] == [
        {"uri": "app/views.py", "line": 12,  # from the artifacts table
         "fingerprint": "primaryLocationLineHash=9cbc869fbfffeb60:1"},
        {"uri": "app/search.py", "uri_base": "%SRCROOT%", "line": 40}]
    assert xss.extra["precision"] == "high"


def test_it_keeps_hostile_text_as_data():
    xss = findings("codeql.sarif", FIXTURES)["py/reflective-xss"]
    assert xss.title == hazards.MARKUP
    assert hazards.SCRIPT in xss.description and hazards.NON_ASCII in xss.description
    assert f"app/views.py:12: {hazards.FORMULA}" in xss.evidence


def test_it_grades_rule_defaults_suppressions_and_none_levels():
    found = findings("codeql.sarif", FIXTURES)
    empty = found["py/empty-except"]
    assert empty.severity is Severity.LOW and empty.raw_severity == "note"
    assert empty.status is ResultStatus.OPEN  # one of its two results is suppressed
    assert empty.extra["locations"][1]["status"] == "not_applicable"
    assert found["py/unused-import"].severity is Severity.INFO


def test_it_reads_grype_scores_and_dependency_check_words():
    grype = findings("grype.sarif", FIXTURES)
    assert grype["CVE-2026-10001-libexample"].severity is Severity.LOW
    assert grype["CVE-2026-10002-libexample"].severity is Severity.CRITICAL
    assert grype["CVE-2026-10002-libexample"].cves == ("CVE-2026-10002",)
    check = findings("dependency_check.sarif", FIXTURES)
    jquery = check["CVE-2015-9251"]
    assert jquery.raw_severity == "error (cvssv3_baseSeverity MEDIUM)"
    assert jquery.extra["cvss"]["cvssv3_baseScore"] == 6.1
    assert [loc["uri"] for loc in jquery.extra["locations"]] == [
        "web/static/jquery-1.7.min.js", "docs/jquery-1.7.min.js"]
    helper = check["Disallow calling helperMissing directly"]
    assert helper.severity is Severity.LOW and "file_path" not in helper.extra


def test_it_keeps_identity_when_lines_and_fingerprints_move():
    first = parse_dict(small_log([result(10, partialFingerprints={"h": "a"})]))
    second = parse_dict(small_log([result(42, partialFingerprints={"h": "b"}),
                                   result(50)]))
    ids = lambda recs: {r.identity for r in recs if isinstance(r, Finding)}
    assert ids(first) == ids(second) == {("sarif:semgrep", "python.sqli", "log", "", "")}
    found = next(r for r in second if isinstance(r, Finding))
    assert found.severity is Severity.HIGH and found.cwes == ("CWE-89",)
    assert found.scanner_version == "1.50.0"


def test_it_keys_the_asset_on_the_repository():
    log = small_log([result(1)], versionControlProvenance=[
        {"repositoryUri": "https://GitHub.com/Acme/shop.git", "revisionId": "abc"}])
    target = next(r for r in parse_dict(log) if isinstance(r, Target))
    assert target.asset.key == "https://github.com/Acme/shop"
    override = next(r for r in parse_dict(log, asset="shop") if isinstance(r, Target))
    assert override.asset.key == "shop"
    assert repository_key("git@github.com:acme/shop.git") == "git@github.com:acme/shop"


def test_it_does_not_open_suppressed_or_passing_results():
    log = small_log([result(1, suppressions=[{"kind": "inSource"}]),
                     result(2, kind="pass")])
    found = next(r for r in parse_dict(log) if isinstance(r, Finding))
    assert found.status is ResultStatus.PASSED
    log = small_log([result(1, suppressions=[{"kind": "inSource"}]), result(2)])
    found = next(r for r in parse_dict(log) if isinstance(r, Finding))
    assert found.status is ResultStatus.OPEN


def test_it_claims_no_coverage_when_the_tool_did_not_run():
    log = small_log(None)
    assert not any(isinstance(r, Target) for r in parse_dict(log))
    log = small_log([], invocations=[{"executionSuccessful": False}])
    assert not any(isinstance(r, Target) for r in parse_dict(log))
    assert any(isinstance(r, Target) for r in parse_dict(small_log([])))


def test_it_gives_each_tool_its_own_scope():
    log = small_log([result(1)])
    log["runs"].append({"tool": {"driver": {"name": "CodeQL"}},
                        "results": [{"ruleId": "python.sqli", "level": "error",
                                     "message": {"text": "x"}}]})
    got = parse_dict(log)
    assert got[0].scanner == "Semgrep, CodeQL"
    assert {r.scope for r in got if isinstance(r, Finding)} == {"sarif:semgrep", "sarif:codeql"}


def test_it_names_file_and_line_of_malformed_json():
    data = (FIXTURES / "codeql.sarif").read_bytes()[:2000]
    with pytest.raises(FormatError) as caught:
        list(SARIF.parse(io.BytesIO(data), source="cut.sarif"))
    assert caught.value.source == "cut.sarif" and caught.value.line > 1


def test_it_refuses_other_versions_and_formats():
    with pytest.raises(FormatError, match="unsupported SARIF version"):
        parse_dict({"version": "2.0.0", "runs": []})
    with pytest.raises(FormatError, match="not a SARIF"):
        parse_dict({"matches": [], "source": {"type": "image"}, "descriptor": {"name": "grype"}},
                   "grype.json")
    trivy = json.dumps({"SchemaVersion": 2, "ArtifactName": "x", "Results": []}).encode()
    assert not SARIF.sniff(trivy, "x")
    assert not SARIF.sniff(b"\xff\xfe", "x.sarif")


def test_it_refuses_a_bad_invocation_date():
    log = small_log([result(1)], invocations=[{"startTimeUtc": "03/04/2026 10:00"}])
    with pytest.raises(FormatError) as caught:
        parse_dict(log)
    assert caught.value.field == "runs[0].invocations[0].startTimeUtc"


def test_it_reads_the_invocation_time():
    log = small_log([result(1)], invocations=[{"startTimeUtc": "2026-03-04T10:00:00Z",
                                               "executionSuccessful": True}])
    info = parse_dict(log)[0]
    assert info.scan_time.isoformat() == "2026-03-04T10:00:00+00:00"
