"""Progress metrics: counts, remediation times, milestone punctuality, burn-down, forecast."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from openpoam.domain import metrics
from openpoam.domain.poam import DueDateChange, MilestoneData, PoamItemData, Risk, Status

TODAY = date(2026, 11, 29)


def item(n: int, **changes) -> PoamItemData:
    return replace(PoamItemData(poam_id=f"POAM-2026-{n:04d}", title=f"Weakness {n}",
                                owner="Dana Reyes", detected_on=date(2026, 9, 1),
                                original_risk=Risk.HIGH), **changes)


def done(n: int, detected: date, completed: date, risk=Risk.HIGH) -> PoamItemData:
    return item(n, detected_on=detected, actual_completion=completed, original_risk=risk,
                status=Status.COMPLETED, status_date=completed)


def test_it_counts_open_items_by_effective_risk_and_age():
    items = [item(1), item(2, adjusted_risk=Risk.LOW, risk_adjustment_rationale="WAF"),
             item(3, detected_on=date(2026, 11, 20)), item(4, detected_on=date(2025, 6, 1)),
             done(5, date(2026, 1, 1), date(2026, 2, 1))]
    result = metrics.compute(items, TODAY)
    assert result.open_total == 4
    assert result.open_by_risk == {"critical": 0, "high": 3, "moderate": 0, "low": 1}
    assert result.open_by_age == {"0-30 days": 1, "31-90 days": 2, "91-180 days": 0,
                                  "181-365 days": 0, "over 365 days": 1}


def test_days_to_remediate_are_mean_and_median_per_risk():
    items = [done(1, date(2026, 1, 1), date(2026, 1, 11)),
             done(2, date(2026, 1, 1), date(2026, 1, 21)),
             done(3, date(2026, 1, 1), date(2026, 3, 2)),
             done(4, date(2026, 1, 1), date(2026, 1, 31), Risk.LOW)]
    result = metrics.days_to_remediate(items)
    assert result["high"] == {"count": 3, "mean": 30.0, "median": 20}
    assert result["low"] == {"count": 1, "mean": 30.0, "median": 30}
    assert result["critical"] == {"count": 0, "mean": None, "median": None}


def test_milestones_met_on_their_original_date_and_slipped_dates():
    change = DueDateChange(datetime(2026, 10, 1, tzinfo=UTC), date(2026, 10, 5),
                           date(2026, 11, 5), "vendor backorder", "dana")
    milestones = [
        MilestoneData(1, "a", original_due=date(2026, 10, 1), current_due=date(2026, 10, 1),
                      completed_on=date(2026, 9, 30)),  # met
        MilestoneData(2, "b", original_due=date(2026, 10, 5), current_due=date(2026, 11, 5),
                      completed_on=date(2026, 11, 4), changes=[change]),  # done late
        MilestoneData(3, "c", original_due=date(2026, 11, 1), current_due=date(2026, 11, 1)),
        MilestoneData(4, "d", original_due=date(2026, 12, 20), current_due=date(2026, 12, 20)),
    ]
    result = metrics.compute([item(1, milestones=milestones)], TODAY)
    assert (result.milestones_due, result.milestones_met_on_time) == (3, 1)
    assert round(result.on_time_share, 3) == 0.333
    assert [(s.milestone, s.days, s.justifications) for s in result.slipped] == [
        (2, 31, ("vendor backorder",))]


def test_the_burn_down_counts_items_open_at_each_week_end():
    items = [item(1, detected_on=date(2026, 11, 1)),
             done(2, date(2026, 10, 1), date(2026, 11, 25))]
    weeks = dict(metrics.burndown(items, TODAY, weeks=3))
    assert weeks == {date(2026, 11, 15): 2, date(2026, 11, 22): 2, TODAY: 1}


def test_the_forecast_projects_the_recent_pace_against_the_closeout_deadline():
    closed = [done(n, date(2026, 6, 1), date(2026, 11, 1)) for n in range(1, 10)]  # 9 in 90 days
    still_open = [item(n) for n in range(10, 16)]  # 6 open: 60 days at 0.1 a day
    result = metrics.forecast(closed + still_open, TODAY, closeout_deadline=date(2027, 1, 1))
    assert result.expected_done == date(2027, 1, 28)
    assert result.on_track is False
    assert "after the CMMC closeout deadline 2027-01-01" in result.message
    on_time = metrics.forecast(closed + still_open, TODAY, closeout_deadline=date(2027, 3, 1))
    assert on_time.on_track is True


def test_without_recent_closures_there_is_no_pace():
    result = metrics.forecast([item(1)], TODAY, closeout_deadline=date(2027, 1, 1))
    assert result.expected_done is None and result.on_track is None
    assert "never be closed" in result.message


def test_fedramp_forecast_counts_items_whose_deadline_comes_first():
    closed = [done(n, date(2026, 6, 1), date(2026, 11, 1)) for n in range(1, 10)]
    high = item(20, detected_on=date(2026, 11, 20))  # due 30 days after detection
    result = metrics.forecast(closed + [high], TODAY, fedramp_system=True)
    assert result.deadline == date(2026, 12, 20)
    assert result.late_items == 0 and result.on_track is True


def test_metrics_serialise_to_plain_json():
    import json
    result = metrics.compute([item(1), done(2, date(2026, 1, 1), date(2026, 2, 1))], TODAY,
                             scores=[(date(2026, 6, 1), 88), (date(2026, 3, 1), 70)])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["score_trend"] == [{"assessed_on": "2026-03-01", "score": 70},
                                   {"assessed_on": "2026-06-01", "score": 88}]
    assert data["forecast"]["message"]
