"""FedRAMP deadlines, lateness, vendor dependencies and deviation requests."""

from __future__ import annotations

from datetime import date

import pytest

from openpoam.domain.fedramp import (
    Basis, DeviationRequest, DeviationStatus, DeviationType, Level, check_deviation_request,
    check_vendor_dependency, deadline_risk, deadline_status, item_deadline_status,
    may_apply_deviation, remediation_deadline, required_on_poam, vendor_checkin_current,
)
from openpoam.domain.poam import PoamItemData, Risk, Status

DETECTED = date(2026, 1, 1)


def codes(issues) -> list[str]:
    return [issue.code for issue in issues]


@pytest.mark.parametrize(("risk", "due"), [
    (Risk.CRITICAL, date(2026, 1, 31)),
    (Risk.HIGH, date(2026, 1, 31)),
    (Risk.MODERATE, date(2026, 4, 1)),
    (Risk.LOW, date(2026, 6, 30)),
])
def test_it_gives_30_90_180_days_from_detection(risk, due):
    assert remediation_deadline(risk, DETECTED) == due


def test_it_caps_the_deadline_with_a_sooner_kev_due_date():
    assert remediation_deadline(Risk.HIGH, DETECTED, date(2026, 1, 15)) == date(2026, 1, 15)


def test_it_ignores_a_kev_due_date_later_than_the_fedramp_deadline():
    assert remediation_deadline(Risk.HIGH, DETECTED, date(2026, 3, 1)) == date(2026, 1, 31)


def test_it_uses_the_adjusted_risk_only_once_approved():
    assert deadline_risk(Risk.HIGH, Risk.MODERATE, adjustment_approved=False) is Risk.HIGH
    assert deadline_risk(Risk.HIGH, Risk.MODERATE, adjustment_approved=True) is Risk.MODERATE
    assert deadline_risk(Risk.HIGH, None, adjustment_approved=True) is Risk.HIGH


def test_it_reports_an_open_item_past_its_deadline_as_late():
    status = deadline_status(Risk.HIGH, DETECTED, date(2026, 2, 1))
    assert status.late and status.days_left == -1 and status.basis is Basis.STANDARD
    assert "section 3" in status.citation


def test_it_reports_an_open_item_on_its_deadline_day_as_not_late():
    status = deadline_status(Risk.HIGH, DETECTED, date(2026, 1, 31))
    assert not status.late and status.days_left == 0


def test_it_judges_a_closed_item_on_its_completion_date():
    late = deadline_status(Risk.MODERATE, DETECTED, date(2026, 9, 1), completed_on=date(2026, 4, 2))
    in_time = deadline_status(Risk.MODERATE, DETECTED, date(2026, 9, 1),
                              completed_on=date(2026, 4, 1))
    assert late.late and not in_time.late and late.days_left is None


def test_it_names_kev_as_the_basis_when_the_catalog_date_is_sooner():
    status = deadline_status(Risk.HIGH, DETECTED, date(2026, 1, 20), kev_due=date(2026, 1, 15))
    assert status.late and status.basis is Basis.KEV and "22-01" in status.citation


def test_it_does_not_count_a_pending_vendor_fix_with_a_recent_checkin_as_late():
    status = deadline_status(Risk.MODERATE, DETECTED, date(2026, 12, 1), vendor_dependency=True,
                             vendor_last_checkin=date(2026, 11, 5))
    assert not status.late and status.basis is Basis.VENDOR_PENDING


def test_it_counts_a_vendor_dependency_with_a_stale_checkin_as_late():
    status = deadline_status(Risk.MODERATE, DETECTED, date(2026, 12, 1), vendor_dependency=True,
                             vendor_last_checkin=date(2026, 10, 1))
    assert status.late and status.basis is Basis.STANDARD


def test_it_never_exempts_a_high_vendor_dependency():
    status = deadline_status(Risk.HIGH, DETECTED, date(2026, 3, 1), vendor_dependency=True,
                             vendor_last_checkin=date(2026, 2, 25))
    assert status.late


def test_it_restarts_the_clock_from_the_vendor_release_date():
    status = deadline_status(Risk.MODERATE, DETECTED, date(2026, 12, 1), vendor_dependency=True,
                             vendor_last_checkin=date(2026, 11, 5),
                             vendor_released_on=date(2026, 10, 1))
    assert status.deadline == date(2026, 12, 30) and not status.late
    assert status.basis is Basis.VENDOR_RELEASE


def test_it_gives_approved_operational_requirements_and_false_positives_no_deadline():
    operational = deadline_status(Risk.MODERATE, DETECTED, date(2027, 1, 1),
                                  operational_requirement_approved=True)
    false_positive = deadline_status(Risk.HIGH, DETECTED, date(2027, 1, 1),
                                     false_positive_approved=True)
    assert not operational.late and operational.basis is Basis.OPERATIONAL_REQUIREMENT
    assert not false_positive.late and false_positive.basis is Basis.FALSE_POSITIVE


def test_it_cannot_date_an_item_without_a_detection_date():
    status = deadline_status(Risk.LOW, None, date(2027, 1, 1))
    assert status.deadline is None and status.basis is Basis.NO_DETECTION_DATE


def test_it_reads_deadline_inputs_from_a_poam_item():
    item = PoamItemData("POAM-1", "x", original_risk=Risk.HIGH, adjusted_risk=Risk.LOW,
                        detected_on=DETECTED, status=Status.COMPLETED,
                        actual_completion=date(2026, 5, 1))
    status = item_deadline_status(item, date(2026, 9, 1))
    assert status.deadline == date(2026, 6, 30) and not status.late


def test_it_accepts_a_checkin_up_to_30_days_old():
    today = date(2026, 3, 31)
    assert vendor_checkin_current(date(2026, 3, 1), today)
    assert not vendor_checkin_current(date(2026, 2, 28), today)
    assert not vendor_checkin_current(None, today)
    assert not vendor_checkin_current(date(2026, 4, 1), today)


def test_it_requires_a_product_and_a_recent_checkin_for_a_vendor_dependency():
    today = date(2026, 3, 31)
    assert check_vendor_dependency(Risk.MODERATE, today, product="Example Firewall",
                                   last_checkin=date(2026, 3, 20)) == []
    issues = check_vendor_dependency(Risk.MODERATE, today, product=" ", last_checkin=None)
    assert codes(issues) == ["vendor-no-product", "vendor-no-checkin"]
    assert all(issue.severity is Level.ERROR for issue in issues)
    stale = check_vendor_dependency(Risk.LOW, today, product="X", last_checkin=date(2026, 1, 1))
    assert codes(stale) == ["vendor-checkin-stale"]


def test_it_rejects_a_high_or_in_house_vendor_dependency():
    issues = check_vendor_dependency(Risk.CRITICAL, date(2026, 3, 31), product="X",
                                     last_checkin=date(2026, 3, 30), in_house=True)
    assert codes(issues) == ["vendor-in-house", "vendor-high-risk"]
    assert "Deviation Request Form" in issues[1].citation


def test_it_accepts_a_complete_risk_adjustment():
    request = DeviationRequest(DeviationType.RISK_ADJUSTMENT, Risk.HIGH,
                               rationale="Reachable only from the management enclave",
                               requested_risk=Risk.MODERATE, evidence=("firewall-rules.pdf",))
    assert check_deviation_request(request) == []


@pytest.mark.parametrize(("requested", "code"), [
    (None, "dr-ra-no-risk"),
    (Risk.HIGH, "dr-ra-not-lower"),
    (Risk.CRITICAL, "dr-ra-raises-risk"),
])
def test_it_requires_a_risk_adjustment_to_lower_the_rating(requested, code):
    request = DeviationRequest(DeviationType.RISK_ADJUSTMENT, Risk.HIGH, rationale="why",
                               requested_risk=requested, evidence=("e",))
    assert codes(check_deviation_request(request)) == [code]


def test_it_requires_rationale_and_evidence_for_a_false_positive():
    request = DeviationRequest(DeviationType.FALSE_POSITIVE, Risk.HIGH)
    assert codes(check_deviation_request(request)) == ["dr-no-rationale", "dr-fp-no-evidence"]


def test_it_refuses_an_operational_requirement_for_a_high_risk():
    request = DeviationRequest(DeviationType.OPERATIONAL_REQUIREMENT, Risk.HIGH,
                               rationale="needed", operational_impact="breaks the service")
    issues = check_deviation_request(request)
    assert codes(issues) == ["dr-or-high-risk"]
    assert "will not approve an OR" in issues[0].citation


def test_it_accepts_an_or_ra_that_lowers_a_high_risk_below_high():
    request = DeviationRequest(DeviationType.OPERATIONAL_REQUIREMENT_RISK_ADJUSTED, Risk.HIGH,
                               rationale="compensating WAF rule", requested_risk=Risk.LOW,
                               evidence=("waf.png",), operational_impact="legacy client")
    assert check_deviation_request(request) == []


def test_it_requires_justification_for_a_moderate_operational_requirement():
    request = DeviationRequest(DeviationType.OPERATIONAL_REQUIREMENT, Risk.MODERATE,
                               rationale="needed", operational_impact="breaks the service")
    assert codes(check_deviation_request(request)) == ["dr-or-no-justification"]


def test_it_requires_an_ra_for_a_high_vendor_dependency_request():
    request = DeviationRequest(DeviationType.FALSE_POSITIVE, Risk.HIGH, rationale="r",
                               evidence=("e",), vendor_dependency=True)
    assert codes(check_deviation_request(request)) == ["vendor-high-risk"]


def test_it_treats_a_deviation_as_applying_only_once_approved():
    assert may_apply_deviation(DeviationStatus.APPROVED)
    assert not may_apply_deviation(DeviationStatus.PENDING)
    assert DeviationStatus.PENDING.poam_value == "Pending"
    assert DeviationStatus.APPROVED.poam_value == "Yes"
    assert DeviationStatus.REJECTED.poam_value == "No"


def test_it_requires_scanner_findings_on_the_poam_only_when_late_or_deviated():
    assert not required_on_poam(from_scanner=True, late=False, deviation_requested=False)
    assert required_on_poam(from_scanner=True, late=True, deviation_requested=False)
    assert required_on_poam(from_scanner=True, late=False, deviation_requested=True)
    assert required_on_poam(from_scanner=False, late=False, deviation_requested=False)
