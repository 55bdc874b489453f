"""Stored check results: ``item_findings`` gives, for every day, exactly what ``check_item``
gives that day (a tracker stores the findings and reads those that hold today)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from openpoam.domain import checks
from openpoam.domain.checks import CheckSettings, Finding, check_item, item_findings
from openpoam.domain.poam import Framework, MilestoneData, PoamItemData, Risk, Status

BASE = date(2026, 6, 1)
days = st.integers(min_value=-400, max_value=400).map(lambda n: BASE + timedelta(days=n))
maybe_day = st.none() | days
milestones = st.lists(st.builds(
    MilestoneData, sequence=st.integers(1, 5), description=st.sampled_from(["", "Patch hosts"]),
    original_due=maybe_day, current_due=maybe_day, completed_on=maybe_day), max_size=3)
items = st.builds(
    PoamItemData, poam_id=st.just("POAM-1"), owner=st.sampled_from(["", "Dana Reyes", "IT Team"]),
    planned_remediation=st.sampled_from(["", "fix", "Upgrade OpenSSL on the web hosts"]),
    status=st.sampled_from(list(Status)), original_risk=st.sampled_from(list(Risk)),
    detected_on=maybe_day, scheduled_completion=maybe_day, actual_completion=maybe_day,
    updated_on=maybe_day, vendor_dependency=st.booleans(), vendor_last_checkin=maybe_day,
    operational_requirement=st.booleans(), kev_due=maybe_day, milestones=milestones)
frameworks = st.sampled_from([None, Framework.FEDRAMP_MODERATE, Framework.CMMC_L2,
                              Framework.RMF])


@settings(max_examples=300, deadline=None)
@given(item=items, framework=frameworks, today=days)
def test_the_findings_that_hold_today_are_the_checks_of_today(item, framework, today):
    held = [f.issue for f in item_findings(item, framework) if f.holds(today)]
    assert Counter(held) == Counter(check_item(item, today, framework))


@settings(max_examples=200, deadline=None)
@given(item=items, framework=frameworks, since=days, later=st.integers(0, 500))
def test_from_a_day_on_the_findings_are_the_checks_of_each_day(item, framework, since, later):
    today = since + timedelta(days=later)
    held = [f.issue for f in item_findings(item, framework, since=since) if f.holds(today)]
    assert Counter(held) == Counter(check_item(item, today, framework))


def test_an_open_item_turns_overdue_the_day_after_its_date():
    item = PoamItemData(poam_id="POAM-1", title="t", scheduled_completion=date(2026, 3, 31))
    past = [f for f in item_findings(item) if f.issue.code == "scheduled-completion-past"]
    assert past == [Finding(past[0].issue, date(2026, 4, 1), None)]
    stale = [f for f in item_findings(PoamItemData(poam_id="P", title="t", updated_on=date(2026, 1, 1)),
                                      settings=CheckSettings(stale_days=30))
             if f.issue.code == "stale"]
    assert [(f.start, f.end) for f in stale] == [(date(2026, 2, 1), None)]


def test_a_date_in_the_future_holds_until_that_day():
    item = PoamItemData(poam_id="POAM-1", title="t", detected_on=date(2026, 9, 1))
    future = [f for f in item_findings(item) if f.issue.code == "detection-in-future"]
    assert [(f.start, f.end) for f in future] == [(None, date(2026, 9, 1))]
    assert checks.Finding(future[0].issue, None, date(2026, 9, 1)).holds(date(2026, 8, 31))
    assert not future[0].holds(date(2026, 9, 1))
