from datetime import date

from openpoam.tracker.models import PoamItem
from openpoam.tracker.services import assessments

from .conftest import ROOT

PAYLOAD = {"level": 2, "assessment_type": "Self", "status_date": "2026-03-02",
           "results": {"3.1.3": "not_met", "3.13.11": "partial", "3.3.5": "not_met"}}


def test_it_keeps_each_assessments_score_for_the_trend(system):
    assessments.record_assessment(ROOT, system, {"level": 2, "assessment_type": "Self"},
                                  assessed_on=date(2026, 1, 5))
    assessments.record_assessment(ROOT, system, PAYLOAD, assessed_on=date(2026, 3, 1))
    summary = assessments.summary(system, today=date(2026, 3, 10))
    assert [h["score"] for h in summary["history"]] == [110, 101]
    assert summary["evaluation"]["status"] == "No CMMC Status"  # 3.3.5 (5 points) not met


def test_it_turns_gaps_into_items_flagging_the_ineligible_and_never_twice(system):
    row = assessments.record_assessment(ROOT, system, PAYLOAD, assessed_on=date(2026, 3, 1))
    created = assessments.create_poam_items(ROOT, row)
    assert len(created) == 3
    must_fix = PoamItem.objects.get(controls__control_id="AU.L2-3.3.5")
    assert "Not eligible for a POA&M" in must_fix.comments and must_fix.original_risk == "high"
    assert {c.control_id for c in must_fix.controls.all()} == {"AU.L2-3.3.5", "3.3.5"}
    assert assessments.create_poam_items(ROOT, row) == []


def test_an_eligible_items_deadline_is_the_closeout_deadline(system):
    payload = dict(PAYLOAD, results={"3.1.3": "not_met"})
    row = assessments.record_assessment(ROOT, system, payload, assessed_on=date(2026, 3, 1))
    (item,) = assessments.create_poam_items(ROOT, row)
    assert item.scheduled_completion == date(2026, 8, 29)  # 2026-03-02 + 180 days
