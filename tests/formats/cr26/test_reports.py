"""CR26 reports: VDT, AVI, MRH validate against FedRAMP's vendored schemas on every export;
the monthly summary (VER-TFR-MHR) escapes stored text."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from importlib import resources

import pytest

from openpoam.formats import registry
from openpoam.formats.base import FormatError
from openpoam.formats.cr26 import validation
from openpoam.formats.cr26.document import Cr26Report, RatingEntry, VulnerabilityRecord
from tests.paths import REFERENCE

SHARED_SCHEMAS = REFERENCE / "fedramp" / "cr26" / "schemas"
HASHES = {  # sha256 of FedRAMP/schemas@ae0dc43 (see schemas/README.md)
    "fedramp-vulnerability-detail-report-schema-2026-06-24.json":
        "07bd49ac5d83e45aeb99306cf9bc18b9c499ff9405729c822dd704e6ef065ec7",
    "fedramp-accepted-vulnerability-info-schema-2026-06-24.json":
        "173181d49cba35bd00984448361e9259ff9ec66afcee2d3c48b6021e24fca19a",
    "fedramp-historical-ver-activity-schema-2026-06-24.json":
        "146597fc1468afb6b05a8b35e1ac4abb9f537b4e90f4ea46cc934051bc927666",
    "fedramp-common-definitions-schema-2026-06-24.json":
        "b6cffd3632ba524cc5a5e44f6c62e6fdcae7993221e558d32761f15d212117c1",
}


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def record(**kw) -> VulnerabilityRecord:
    history = [RatingEntry(t("2026-12-11T10:00:00"), "evaluation", 4, True, True, "alice",
                           "public login page"),
               RatingEntry(t("2026-12-13T10:00:00"), "reduction", 2, True, False, "alice",
                           "WAF rule blocks the payload")]
    base = dict(tracking_id="V-2026-0001", description="<script>alert(1)</script> in login",
                detected_at=t("2026-12-10T14:00:00"), detection_source="Nessus scan",
                evaluated_at=t("2026-12-11T10:00:00"), irv=False, lev=True, rating=2,
                history=history, evaluation_due=t("2026-12-17T14:00:00"),
                reduction_due=t("2027-05-22T10:00:00"), reduction_rule="VDR-TFR-PVR")
    return VulnerabilityRecord(**{**base, **kw})


def report(**kw) -> Cr26Report:
    base = dict(kind="vdt", system_name="Cloud <b>One</b>", cert_class="C",
                package_uri="https://example.com/cpo", period_from=t("2026-12-01T00:00:00"),
                period_to=t("2027-01-01T00:00:00"), generated_at=t("2027-01-01T00:00:00"),
                active=[record(), record(tracking_id="V-2", overdue=True,
                                         overdue_explanation="vendor patch pending",
                                         disposition="Remediated",
                                         disposition_at=t("2026-12-20T00:00:00"))],
                accepted=[record(tracking_id="V-3", acceptance_rationale="no fix exists",
                                 accepted_at=t("2026-12-15T00:00:00"))],
                counts={"detected": 3})
    return Cr26Report(**{**base, **kw})


def write(key: str, data: Cr26Report) -> bytes:
    stream = io.BytesIO()
    registry.default().report_exporter(key).write_report(data, stream)
    return stream.getvalue()


def test_vendored_schemas_are_unmodified():
    folder = resources.files("openpoam.formats.cr26").joinpath("schemas")
    for name, digest in HASHES.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest


def test_vendored_schemas_equal_the_shared_reference():
    if not SHARED_SCHEMAS.is_dir():
        pytest.skip("the shared reference folder is absent")
    folder = resources.files("openpoam.formats.cr26").joinpath("schemas")
    for name in HASHES:
        assert folder.joinpath(name).read_bytes() == (SHARED_SCHEMAS / name).read_bytes()


@pytest.mark.parametrize(("key", "kind"), [("cr26-vdt", "vdt"), ("cr26-avi", "avi"),
                                           ("cr26-mrh", "mrh")])
def test_each_report_validates_against_its_schema(key, kind):
    document = json.loads(write(key, report()))
    assert validation.validate(kind, document) == []


def test_vdt_carries_reductions_and_history_where_the_schema_has_no_field():
    vuln = json.loads(write("cr26-vdt", report()))["vulnerabilities"][0]
    assert vuln["painReductionEvents"] == [{"reducedAt": "2026-12-13T10:00:00Z", "rating": 2}]
    assert [h["rating"] for h in vuln["ratingHistory"]] == [4, 2]
    assert vuln["ratingHistory"][1]["note"] == "WAF rule blocks the payload"
    assert vuln["currentRating"] == 2 and vuln["overdueStatus"] == {"isOverdue": False}


def test_remediated_has_no_schema_value_and_is_carried_beside_it():
    vuln = json.loads(write("cr26-vdt", report()))["vulnerabilities"][1]
    assert "finalDisposition" not in vuln
    assert vuln["openpoamDisposition"] == {"value": "Remediated", "at": "2026-12-20T00:00:00Z"}
    assert vuln["overdueStatus"] == {"isOverdue": True, "explanation": "vendor patch pending"}


def test_avi_carries_the_rationale():
    info = json.loads(write("cr26-avi", report()))["acceptedVulnerabilities"][0]
    assert info["acceptanceRationale"] == "no fix exists"
    assert info["vulnerabilityDetail"]["providerTrackingId"] == "V-3"


def test_an_invalid_report_is_refused_before_writing():
    bad = report(active=[record(rating=7)])
    stream = io.BytesIO()
    with pytest.raises(FormatError, match="currentRating"):
        registry.default().report_exporter("cr26-vdt").write_report(bad, stream)
    assert stream.getvalue() == b""
    with pytest.raises(FormatError, match="uri"):
        write("cr26-avi", report(package_uri="not a uri"))


def test_bad_reduction_events_are_caught_by_the_schema_definition():
    bad = record(history=[RatingEntry(t("2026-12-13T10:00:00"), "reduction", 0, True, False)])
    with pytest.raises(FormatError, match="painReductionEvents"):
        write("cr26-mrh", report(active=[bad]))


def test_cross_file_references_need_the_alias_resources_and_no_network():
    # The references lack '#': with the common schema alone they cannot be resolved.
    import jsonschema_rs

    common = validation.load(validation.COMMON)
    bare = jsonschema_rs.Registry([(common["$id"], common)], retriever=validation._no_network)
    schema = validation.load(validation.SCHEMA_FILES["vdt"])
    with pytest.raises(Exception, match="nRating|certificationPackageOverviewUri|vendored"):
        jsonschema_rs.validator_for(schema, registry=bare, retriever=validation._no_network
                                    ).is_valid({})
    assert validation.validate("vdt", json.loads(write("cr26-vdt", report()))) == []


def test_monthly_summary_escapes_stored_text():
    html = write("cr26-mhr", report()).decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Cloud &lt;b&gt;One&lt;/b&gt;" in html
    assert "WAF rule blocks the payload" in html  # the reduction in the period
    assert "no fix exists" in html
