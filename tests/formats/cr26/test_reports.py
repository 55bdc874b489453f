"""CR26 reports: VDT, AVI, MRH validate against FedRAMP's vendored schemas (reports 0.1.1,
common definitions 0.2.1) on every export; the monthly summary (VER-TFR-MHR) escapes stored
text. N0 (VER-EVA-EPA, rules 2026.10.05.01) and the three defects of issue 22 have tests here."""

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

SHARED_SCHEMAS = REFERENCE / "fedramp" / "cr26" / "schemas-0.1.1"
HASHES = {  # sha256 published for FedRAMP/schemas at ae43ae29 (see schemas/README.md)
    "0.1.1": {
        "fedramp-vulnerability-detail-report-schema-2026-06-24.json":
            "5e9499e8cb9d0367c888ce41040175270fc9f007ae4f61d0ced34cca81cfe497",
        "fedramp-accepted-vulnerability-info-schema-2026-06-24.json":
            "2b0b758205b7cae4695a758a6a1b0a98d128972913aad2afdb9bc2e2207192d0",
        "fedramp-historical-ver-activity-schema-2026-06-24.json":
            "dbbddb51ee25bfe9568c1dcfe1047ea206539dc91dad1fd2658f1a5accf2a6fb",
        "fedramp-common-definitions-schema-2026-06-24.json":
            "13bed0a781e5e75c5cb923fc2b7d9e10330c06e0f21260a738dc8ed4d3349455",
    },
}
KINDS = [("cr26-vdt", "vdt"), ("cr26-avi", "avi"), ("cr26-mrh", "mrh")]


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


def _folder(version: str):
    return resources.files("openpoam.formats.cr26.schemas").joinpath(
        validation.SCHEMA_VERSIONS[version][0])


def test_every_shipped_release_has_its_hashes_and_is_unmodified():
    assert set(HASHES) == set(validation.SCHEMA_VERSIONS)
    for version, files in HASHES.items():
        for name, digest in files.items():
            data = _folder(version).joinpath(name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, (version, name)
    assert validation.load(validation.COMMON, "0.1.1")["$schemaVersion"] == "0.2.1"
    assert validation.load(validation.SCHEMA_FILES["vdt"], "0.1.1")["$schemaVersion"] == "0.1.1"


def test_vendored_schemas_equal_the_shared_reference():
    if not SHARED_SCHEMAS.is_dir():
        pytest.skip("the shared reference folder is absent")
    for name in HASHES["0.1.1"]:
        assert _folder("0.1.1").joinpath(name).read_bytes() == (SHARED_SCHEMAS / name).read_bytes()


@pytest.mark.parametrize("version", list(validation.SCHEMA_VERSIONS))
@pytest.mark.parametrize(("key", "kind"), KINDS)
def test_each_report_validates_against_each_shipped_release(key, kind, version):
    data = report(active=[*report().active, n0_record(), never_evaluated()],
                  schema_version=version)
    document = json.loads(write(key, data))
    assert validation.validate(kind, document, version) == []


def test_an_unknown_schema_release_is_refused_naming_the_setting():
    with pytest.raises(FormatError, match="OPENPOAM_CR26_SCHEMA_VERSION '0.9.9'.*0.1.1"):
        write("cr26-vdt", report(schema_version="0.9.9"))


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
    bad = record(history=[RatingEntry(t("2026-12-13T10:00:00"), "reduction", 7, True, False)])
    with pytest.raises(FormatError, match="painReductionEvents"):
        write("cr26-mrh", report(active=[bad]))


def test_cross_file_references_resolve_with_the_common_schema_alone_and_no_network():
    # 0.1.1 fixed the `$ref`s (`.json#/$defs/`): no alias resources, nothing fetched.
    schema = validation.load(validation.SCHEMA_FILES["vdt"])
    refs = json.dumps(schema)
    assert ".json#/$defs/" in refs and ".json/$defs/" not in refs
    assert validation.validate("vdt", json.loads(write("cr26-vdt", report()))) == []
    bad = json.loads(write("cr26-vdt", report()))
    bad["vulnerabilities"][0]["currentRating"] = 0  # nRating is 1-5 in common 0.2.1
    assert any("currentRating" in e for e in validation.validate("vdt", bad))


# ---- N0 (VER-EVA-EPA, rules 2026.10.05.01) ---------------------------------------------------

def n0_record(**kw) -> VulnerabilityRecord:
    history = [RatingEntry(t("2026-12-11T10:00:00"), "evaluation", 3, True, False),
               RatingEntry(t("2026-12-14T10:00:00"), "reduction", 0, False, False, "alice",
                           "feature removed from the build")]
    return record(**{"tracking_id": "V-N0", "rating": 0, "lev": False, "history": history,
                     **kw})


def test_an_n0_item_validates_with_n0_in_the_documented_extension():
    vuln = json.loads(write("cr26-vdt", report(active=[n0_record()])))["vulnerabilities"][0]
    assert "currentRating" not in vuln and vuln["openpoamCurrentRating"] == "N0"
    assert vuln["painReductionEvents"] == []
    assert vuln["openpoamN0Reductions"] == [{"reducedAt": "2026-12-14T10:00:00Z",
                                             "rating": "N0"}]
    assert [h["rating"] for h in vuln["ratingHistory"]] == [3, 0]


def test_a_planned_reduction_to_n0_is_carried_beside_the_official_field():
    planned = record(next_reduction_at=t("2027-01-05T00:00:00"), next_reduction_rating=0)
    vuln = json.loads(write("cr26-vdt", report(active=[planned])))["vulnerabilities"][0]
    assert "projectedNextReduction" not in vuln
    assert vuln["openpoamProjectedNextReduction"] == {"estimatedAt": "2027-01-05T00:00:00Z",
                                                      "targetRating": "N0"}


def test_the_monthly_summary_shows_n0_not_as_unevaluated():
    html = write("cr26-mhr", report(active=[n0_record()])).decode()
    assert ">N0<" in html


# ---- the three defects of issue 22 -------------------------------------------------------------

def test_defect_partially_mitigated_keeps_the_planned_next_reduction():
    partial = record(disposition="Partially Mitigated", disposition_at=t("2026-12-13T10:00:00"),
                     next_reduction_at=t("2027-01-05T00:00:00"), next_reduction_rating=1)
    vuln = json.loads(write("cr26-vdt", report(active=[partial])))["vulnerabilities"][0]
    assert vuln["finalDisposition"] == "Partially Mitigated"
    assert vuln["projectedNextReduction"] == {"estimatedAt": "2027-01-05T00:00:00Z",
                                              "targetRating": 1}
    done = record(disposition="Fully Mitigated", next_reduction_at=t("2027-01-05T00:00:00"),
                  next_reduction_rating=1)
    vuln = json.loads(write("cr26-vdt", report(active=[done])))["vulnerabilities"][0]
    assert "projectedNextReduction" not in vuln  # "Omit if fully mitigated"


def never_evaluated() -> VulnerabilityRecord:
    return record(tracking_id="V-NEW", evaluated_at=None, irv=None, lev=None, rating=None,
                  history=[], evaluation_late=True, reduction_due=None, reduction_rule="")


def test_defect_a_missed_evaluation_deadline_is_reported_in_overdue_status():
    vuln = json.loads(write("cr26-vdt", report(active=[never_evaluated()])))["vulnerabilities"][0]
    status = vuln["overdueStatus"]
    assert status["isOverdue"] is True
    assert "VER-TFR-EVU" in status["explanation"] and "2026-12-17T14:00:00Z" in status["explanation"]
    on_time = record(tracking_id="V-NEW", evaluated_at=None, rating=None, history=[])
    assert json.loads(write("cr26-vdt", report(active=[on_time])))["vulnerabilities"][0][
        "overdueStatus"] == {"isOverdue": False}


# ---- common definitions 0.3.0: the official fields, once its bytes ship ---------------------

def _common_0_3_0() -> dict:
    """0.3.0 as its changelog describes it, applied to the shipped 0.2.1 (the bytes are not
    available): "Remediated" in finalDisposition, painReductionEvents wired in."""
    import copy

    common = copy.deepcopy(validation.load(validation.COMMON, "0.1.1"))
    common["$schemaVersion"] = "0.3.0"
    props = common["$defs"]["vulnerabilityDetail"]["properties"]
    props["finalDisposition"]["enum"].append("Remediated")
    props["painReductionEvents"] = {"type": "array",
                                    "items": {"$ref": "#/$defs/painReductionEvent"}}
    return common


def test_reports_written_today_validate_against_the_0_3_0_shape(monkeypatch):
    import jsonschema_rs

    common = _common_0_3_0()
    registry_ = jsonschema_rs.Registry([(common["$id"], common)],
                                       retriever=validation._no_network)
    schema = validation.load(validation.SCHEMA_FILES["vdt"], "0.1.1")
    check = jsonschema_rs.validator_for(schema, registry=registry_, validate_formats=True)
    data = report(active=[*report().active, n0_record(), never_evaluated()])
    assert check.is_valid(json.loads(write("cr26-vdt", data)))
    # With a release whose enum has "Remediated", it is written as the official value.
    from openpoam.formats.cr26 import details

    monkeypatch.setattr(details, "dispositions",
                        lambda version: tuple(common["$defs"]["vulnerabilityDetail"]
                                              ["properties"]["finalDisposition"]["enum"]))
    vuln = details.detail(report().active[1])
    assert vuln["finalDisposition"] == "Remediated" and "openpoamDisposition" not in vuln
    assert check.is_valid({"certificationPackageOverviewUri": "https://example.com/cpo",
                           "reportPeriod": {"from": "2026-12-01T00:00:00Z",
                                            "to": "2027-01-01T00:00:00Z"},
                           "vulnerabilities": [vuln]})


def test_monthly_summary_escapes_stored_text():
    html = write("cr26-mhr", report()).decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Cloud &lt;b&gt;One&lt;/b&gt;" in html
    assert "WAF rule blocks the payload" in html  # the reduction in the period
    assert "no fix exists" in html
