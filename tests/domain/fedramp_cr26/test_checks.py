"""The quality checks read the FedRAMP regime: on a CR26 system the CR26 deadlines
(VER-TFR-EVU, VDR-TFR-PVR, VDR-TFR-KEV) replace the classic 30/90/180-day checks
(rulebook section 9); a classic system is checked exactly as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from openpoam.domain.checks import CheckSettings, Cr26Tracking, Level, check_item
from openpoam.domain.fedramp.cr26 import (CertClass, Disposition, EventKind, RatingEvent,
                                          Vulnerability)
from openpoam.domain.poam import Framework, MilestoneData, PoamItemData, Risk, Status

TODAY = date(2026, 12, 31)
NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
DETECTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 41 days before: past every 30-day line
CLASSIC_CODES = {"fedramp-deadline-exceeded", "fedramp-scheduled-after-deadline",
                 "fedramp-remediated-late", "operational-requirement-high"}


def high_item(**changes) -> PoamItemData:
    """A High item detected 41 days ago, scheduled in the future: classic FedRAMP says late."""
    item = PoamItemData(
        poam_id="V-1", title="OpenSSL out of date", owner="Dana Reyes",
        planned_remediation="Upgrade OpenSSL to 3.0.14 on web01 and rescan",
        resources_required="4 staff hours", detected_on=DETECTED.date(),
        scheduled_completion=date(2027, 2, 1), original_risk=Risk.HIGH,
        milestones=[MilestoneData(1, "Patch web01 in the maintenance window",
                                  original_due=date(2027, 1, 20),
                                  current_due=date(2027, 1, 20))])
    return replace(item, **changes)


def vuln(*ratings: RatingEvent, kev_due: date | None = None) -> Vulnerability:
    return Vulnerability(CertClass.C, DETECTED, tuple(ratings), kev_due=kev_due)


def cr26(tracking: Cr26Tracking | None, poam_id: str = "V-1") -> CheckSettings:
    return CheckSettings(cr26_now=NOW, cr26={} if tracking is None else {poam_id: tracking})


def codes(item: PoamItemData, settings: CheckSettings | None = None) -> set[str]:
    return {i.code for i in check_item(item, TODAY, Framework.FEDRAMP_HIGH, settings)}


def test_a_classic_system_keeps_the_classic_deadline_check():
    assert "fedramp-deadline-exceeded" in codes(high_item())
    assert "fedramp-deadline-exceeded" in codes(high_item(), CheckSettings())


def test_cr26_overdue_evaluation_replaces_the_classic_deadline():
    # VER-TFR-EVU, Class C: evaluate within 5 days of detection; 41 days have passed.
    issues = check_item(high_item(), TODAY, Framework.FEDRAMP_HIGH, cr26(Cr26Tracking(vuln())))
    found = {i.code: i for i in issues}
    assert not CLASSIC_CODES & set(found)
    overdue = found["cr26-evaluation-overdue"]
    assert overdue.severity is Level.ERROR and overdue.poam_id == "V-1"
    assert "2026-11-25T09:00:00Z" in overdue.message and "VER-TFR-EVU" in overdue.citation


def test_an_evaluated_cr26_item_in_time_has_no_deadline_issue():
    # Evaluated on time, N3 NLEV Class C: 128 days from evaluation (VDR-TFR-PVR).
    evaluated = RatingEvent(datetime(2026, 11, 22, tzinfo=UTC), 3, False, False)
    assert not {c for c in codes(high_item(), cr26(Cr26Tracking(vuln(evaluated))))
                if c.startswith(("cr26-", "fedramp-"))}


def test_a_cr26_reduction_past_its_pvr_cell_is_overdue():
    # Class C N5 LEV+IRV: reduce within 2 days of evaluation (VDR-TFR-PVR).
    evaluated = RatingEvent(datetime(2026, 11, 22, tzinfo=UTC), 5, True, True)
    issues = check_item(high_item(), TODAY, Framework.FEDRAMP_HIGH,
                        cr26(Cr26Tracking(vuln(evaluated))))
    overdue = next(i for i in issues if i.code == "cr26-reduction-overdue")
    assert "2026-11-24T00:00:00Z" in overdue.message and "VDR-TFR-PVR" in overdue.citation
    assert "cr26-evaluation-overdue" not in {i.code for i in issues}


def test_a_kev_date_past_after_a_reduction_to_n1_is_overdue():
    # N1 has no PVR timeframe (VDR-TFR-RMN) but the KEV date still caps it (VDR-TFR-KEV).
    events = (RatingEvent(datetime(2026, 11, 22, tzinfo=UTC), 2, False, False),
              RatingEvent(datetime(2026, 11, 30, tzinfo=UTC), 1, False, False,
                          EventKind.REDUCTION))
    found = codes(high_item(), cr26(Cr26Tracking(vuln(*events, kev_due=date(2026, 12, 10)))))
    assert "cr26-reduction-overdue" in found


def test_a_fully_mitigated_kev_past_its_date_still_awaits_remediation():
    # VDR-TFR-KEV: remediate by the catalog date "even if fully mitigated".
    evaluated = RatingEvent(datetime(2026, 11, 22, tzinfo=UTC), 4, True, False)
    mitigated = replace(vuln(evaluated, kev_due=date(2026, 12, 10)),
                        disposition=Disposition.FULLY_MITIGATED,
                        disposition_at=datetime(2026, 11, 25, tzinfo=UTC))
    found = codes(high_item(), cr26(Cr26Tracking(mitigated)))
    assert "cr26-kev-overdue" in found and "cr26-reduction-overdue" not in found
    remediated = replace(mitigated, disposition=Disposition.REMEDIATED)
    assert not {c for c in codes(high_item(), cr26(Cr26Tracking(remediated)))
                if c.startswith("cr26-")}


def test_an_accepted_or_grouped_cr26_item_raises_no_deadline_issue():
    late = datetime(2026, 11, 22, tzinfo=UTC)
    accepted = Vulnerability(CertClass.C, DETECTED, (RatingEvent(late, 5, True, True),),
                             accepted_at=datetime(2026, 11, 23, tzinfo=UTC))
    assert "cr26-reduction-overdue" not in codes(high_item(), cr26(Cr26Tracking(accepted)))
    member = Cr26Tracking(vuln(), group_lead="V-0")
    assert not {c for c in codes(high_item(), cr26(member)) if c.startswith("cr26-")}


def test_an_untracked_open_item_on_a_cr26_system_is_named():
    found = codes(high_item(), cr26(None))
    assert "cr26-not-tracked" in found and not CLASSIC_CODES & found
    assert "cr26-not-tracked" not in codes(high_item(status=Status.COMPLETED,
                                                     actual_completion=TODAY), cr26(None))


def test_operational_requirements_and_vendor_rules_are_not_cr26_rules():
    # Rulebook 9.5: no deviation requests and no vendor-dependency rule under CR26.
    item = high_item(operational_requirement=True, deviation_rationale="Needed by the app",
                     vendor_dependency=True, vendor_product="Acme DB",
                     vendor_last_checkin=date(2026, 12, 20))
    classic = codes(item)
    assert {"operational-requirement-high", "vendor-high-risk"} <= classic
    found = codes(item, cr26(Cr26Tracking(vuln())))
    assert not {"operational-requirement-high", "vendor-high-risk"} & found


def test_a_tracked_cr26_item_needs_no_scheduled_completion():
    item = high_item(scheduled_completion=None)
    assert "no-scheduled-completion" in codes(item)
    assert "no-scheduled-completion" not in codes(item, cr26(Cr26Tracking(vuln())))
