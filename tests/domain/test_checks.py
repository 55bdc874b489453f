"""POA&M quality checks: each rule fires on a bad item and stays quiet on a good one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from openpoam.domain.checks import (
    Level, check_document, check_item, find_cycle, is_delayed,
)
from openpoam.domain.poam import (
    DueDateChange, EvidenceData, Framework, MilestoneData, PoamItemData, Risk, Status,
)

TODAY = date(2026, 3, 1)


def good_item(**changes) -> PoamItemData:
    item = PoamItemData(
        poam_id="POAM-2026-0001", title="OpenSSL out of date",
        owner="Dana Reyes", planned_remediation="Upgrade OpenSSL to 3.0.14 on web01 and rescan",
        resources_required="4 staff hours",
        detected_on=date(2026, 2, 10), scheduled_completion=date(2026, 3, 10),
        original_risk=Risk.HIGH,
        milestones=[MilestoneData(1, "Patch web01 in the maintenance window",
                                  original_due=date(2026, 3, 5), current_due=date(2026, 3, 5))])
    return replace(item, **changes)


def codes(issues) -> list[str]:
    return [issue.code for issue in issues]


def test_it_finds_nothing_wrong_with_a_complete_item():
    assert check_item(good_item(), TODAY, Framework.FEDRAMP_MODERATE) == []


@pytest.mark.parametrize(("changes", "code", "level"), [
    ({"owner": ""}, "no-owner", Level.ERROR),
    ({"owner": "TBD"}, "no-owner", Level.ERROR),
    ({"owner": "IT Team"}, "owner-not-a-person", Level.WARNING),
    ({"planned_remediation": ""}, "no-remediation-plan", Level.ERROR),
    ({"planned_remediation": "Will fix."}, "vague-remediation", Level.WARNING),
    ({"planned_remediation": "Remediate the finding"}, "vague-remediation", Level.WARNING),
    ({"detected_on": None, "scheduled_completion": date(2026, 3, 10)}, "no-detection-date",
     Level.ERROR),
    ({"detected_on": date(2026, 4, 1), "scheduled_completion": date(2026, 5, 1)},
     "detection-in-future", Level.ERROR),
    ({"scheduled_completion": None}, "no-scheduled-completion", Level.ERROR),
    ({"milestones": []}, "no-milestones", Level.ERROR),
])
def test_it_reports_a_missing_or_weak_field(changes, code, level):
    issues = check_item(good_item(**changes), TODAY)
    assert code in codes(issues)
    assert next(i for i in issues if i.code == code).severity is level


def test_it_gives_every_issue_a_citation_and_the_item_id():
    issues = check_item(good_item(owner="", milestones=[]), TODAY)
    assert issues and all(i.citation and i.poam_id == "POAM-2026-0001" for i in issues)


def test_it_flags_an_open_milestone_past_due_as_delayed():
    item = good_item(milestones=[MilestoneData(1, "Patch", original_due=date(2026, 2, 20),
                                               current_due=date(2026, 2, 20))])
    assert "milestone-past-due" in codes(check_item(item, TODAY))
    assert is_delayed(item, TODAY)


def test_it_flags_a_scheduled_completion_in_the_past():
    item = good_item(scheduled_completion=date(2026, 2, 28))
    assert "scheduled-completion-past" in codes(check_item(item, TODAY))
    assert is_delayed(item, TODAY)


def test_it_is_not_delayed_when_dates_are_ahead_or_milestones_done():
    done = MilestoneData(1, "Patch", original_due=date(2026, 2, 1), completed_on=date(2026, 2, 1))
    assert not is_delayed(good_item(), TODAY)
    assert not is_delayed(good_item(milestones=[done]), TODAY)
    assert not is_delayed(good_item(status=Status.COMPLETED,
                                    scheduled_completion=date(2026, 1, 1)), TODAY)


def test_it_uses_the_original_due_date_when_there_is_no_current_one():
    item = good_item(milestones=[MilestoneData(1, "Patch", original_due=date(2026, 2, 1))])
    assert is_delayed(item, TODAY)


def test_it_flags_a_milestone_moved_without_a_recorded_change():
    moved = MilestoneData(1, "Patch", original_due=date(2026, 3, 2), current_due=date(2026, 3, 9))
    assert "milestone-change-unrecorded" in codes(check_item(good_item(milestones=[moved]), TODAY))
    moved.changes.append(DueDateChange(datetime(2026, 3, 1, tzinfo=UTC), date(2026, 3, 2),
                                       date(2026, 3, 9), "vendor patch slipped"))
    assert "milestone-change-unrecorded" not in codes(check_item(good_item(milestones=[moved]),
                                                                 TODAY))


def test_it_requires_a_completion_date_and_evidence_to_complete():
    item = good_item(status=Status.COMPLETED)
    found = check_item(item, TODAY)
    assert {"completed-no-date", "completed-no-evidence"} <= set(codes(found))
    closed = good_item(status=Status.COMPLETED, actual_completion=date(2026, 2, 27),
                       evidence=[EvidenceData("rescan.nessus")])
    assert check_item(closed, TODAY, Framework.FEDRAMP_HIGH) == []


def test_it_wants_a_review_date_on_accepted_risk():
    accepted = good_item(status=Status.RISK_ACCEPTED, scheduled_completion=date(2026, 1, 1),
                         milestones=[MilestoneData(1, "Accepted", original_due=date(2026, 1, 1),
                                                   completed_on=date(2026, 1, 1))])
    assert "accepted-no-review-date" in codes(check_item(accepted, TODAY))
    accepted.milestones.append(MilestoneData(2, "Annual review", original_due=date(2027, 1, 1)))
    assert "accepted-no-review-date" not in codes(check_item(accepted, TODAY))


def test_it_wants_a_rationale_for_a_lowered_risk():
    item = good_item(adjusted_risk=Risk.LOW)
    assert "risk-adjusted-no-rationale" in codes(check_item(item, TODAY))
    item = good_item(adjusted_risk=Risk.LOW, risk_adjustment_rationale="internal only")
    assert "risk-adjusted-no-rationale" not in codes(check_item(item, TODAY))


def test_it_wants_a_rationale_for_a_false_positive():
    assert "deviation-no-rationale" in codes(check_item(good_item(false_positive=True), TODAY))


def test_it_refuses_a_high_operational_requirement_on_fedramp_only():
    item = good_item(operational_requirement=True, deviation_rationale="needed for login")
    assert "operational-requirement-high" in codes(check_item(item, TODAY, Framework.FEDRAMP_LOW))
    assert "operational-requirement-high" not in codes(check_item(item, TODAY, Framework.RMF))


def test_it_reports_an_exceeded_fedramp_deadline_only_for_fedramp():
    late = good_item(detected_on=date(2026, 1, 1), scheduled_completion=date(2026, 3, 10))
    fedramp = check_item(late, TODAY, Framework.FEDRAMP_MODERATE)
    assert "fedramp-deadline-exceeded" in codes(fedramp)
    assert "fedramp-deadline-exceeded" not in codes(check_item(late, TODAY, Framework.CMMC_L2))


def test_it_warns_when_the_schedule_runs_past_the_fedramp_deadline():
    item = good_item(scheduled_completion=date(2026, 4, 30))
    assert "fedramp-scheduled-after-deadline" in codes(
        check_item(item, TODAY, Framework.FEDRAMP_HIGH))


def test_it_reports_a_vendor_dependency_without_a_recent_checkin():
    item = good_item(original_risk=Risk.MODERATE, vendor_dependency=True,
                     vendor_product="Example Firewall", vendor_last_checkin=date(2026, 1, 2))
    fedramp = check_item(item, TODAY, Framework.FEDRAMP_MODERATE)
    assert "vendor-checkin-stale" in codes(fedramp)
    assert next(i for i in fedramp if i.code == "vendor-checkin-stale").severity is Level.ERROR
    other = check_item(item, TODAY, Framework.NIST_800_171)
    assert next(i for i in other if i.code == "vendor-checkin-stale").severity is Level.WARNING
    fresh = replace(item, vendor_last_checkin=date(2026, 2, 20))
    assert check_item(fresh, TODAY, Framework.FEDRAMP_MODERATE) == []


def test_it_reports_duplicate_ids_unknown_dependencies_and_cycles():
    a = good_item(poam_id="A", depends_on=["B"])
    b = good_item(poam_id="B", depends_on=["C", "Z"])
    c = good_item(poam_id="C", depends_on=["A"])
    twin = good_item(poam_id="C")
    issues = check_document([a, b, c, twin], Framework.RMF, TODAY)
    assert codes(issues) == ["duplicate-poam-id", "unknown-dependency", "dependency-cycle"]
    assert "A -> B -> C -> A" in issues[-1].message


def test_it_finds_no_cycle_in_a_chain():
    assert find_cycle({"A": ["B"], "B": ["C"], "C": []}) is None
    assert find_cycle({}) is None


def test_it_names_the_cycle_and_only_the_cycle():
    assert find_cycle({"A": ["B"], "B": ["C"], "C": ["B"]}) == ["B", "C", "B"]
    assert find_cycle({"A": ["A"]}) == ["A", "A"]


def test_it_survives_a_very_long_chain():
    edges = {str(n): [str(n + 1)] for n in range(5000)}
    assert find_cycle(edges) is None
    edges["5000"] = ["0"]
    cycle = find_cycle(edges)
    assert cycle[0] == cycle[-1] == "0" and len(cycle) == 5002
