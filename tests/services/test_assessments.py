from datetime import date

import pytest

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


def test_recording_with_items_is_one_transaction(system, monkeypatch):
    from openpoam.tracker.models import Assessment, ChangeEvent
    from openpoam.tracker.services import ServiceError
    from openpoam.tracker.services import items as item_services

    real, calls = item_services.create_item, []

    def fail_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ServiceError("simulated")
        return real(*args, **kwargs)

    monkeypatch.setattr(item_services, "create_item", fail_on_the_third)
    with pytest.raises(ServiceError):
        assessments.record_with_items(ROOT, system, PAYLOAD)
    assert not Assessment.objects.exists() and not PoamItem.objects.exists()
    assert not ChangeEvent.objects.filter(entity="item").exists()


def test_a_past_window_gives_overdue_items_dated_by_the_assessment(system):
    # The status date is months before today: the closeout deadline has passed.
    row, created = assessments.record_with_items(
        ROOT, system, dict(PAYLOAD, results={"3.1.3": "not_met"}))
    assert row.assessed_on == date(2026, 3, 2)  # the file's status date, not today
    (item,) = created
    assert (item.detected_on, item.scheduled_completion) == (date(2026, 3, 2), date(2026, 8, 29))
    from openpoam.tracker.documents import build_document

    (data,) = build_document(system, today=date(2026, 11, 29)).items
    assert data.delayed  # overdue, shown as Delayed everywhere


def test_it_refuses_impossible_assessment_dates(system):
    from openpoam.tracker.models import Assessment
    from openpoam.tracker.services import ServiceError

    with pytest.raises(ServiceError, match="after its CMMC status date"):
        assessments.record_assessment(ROOT, system, PAYLOAD, assessed_on=date(2026, 9, 1))
    with pytest.raises(ServiceError, match="give --assessed-on"):
        assessments.record_assessment(ROOT, system, {"level": 2, "assessment_type": "Self"})
    assert not Assessment.objects.exists()
