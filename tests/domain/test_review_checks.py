"""The checks a reviewer relies on: stale items, wish lists, dates that cannot work, CMMC
closeout and eligibility, shared target dates, fix hints. Each fires on a bad POA&M and
stays quiet on a good one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from openpoam.domain import checks
from openpoam.domain.checks import CheckSettings, Level, check_document, check_item
from openpoam.domain.cmmc.model import Result
from openpoam.domain.poam import (Catalog, ControlRef, Framework, MilestoneData, PoamItemData,
                                  Status)

TODAY = date(2026, 11, 29)


def item(poam_id="POAM-2026-0001", **changes) -> PoamItemData:
    base = PoamItemData(
        poam_id=poam_id, title="Audit logs not reviewed", owner="Dana Reyes",
        planned_remediation="Forward Windows event logs to the SIEM and review weekly alerts",
        resources_required="SIEM licence, 10 staff hours", detected_on=date(2026, 10, 1),
        scheduled_completion=date(2027, 1, 15), updated_on=date(2026, 11, 20),
        milestones=[MilestoneData(1, "Install the SIEM forwarder on all servers",
                                  original_due=date(2026, 12, 15),
                                  current_due=date(2026, 12, 15))])
    return replace(base, **changes)


def codes(issues) -> list[str]:
    return [i.code for i in issues]


def test_a_good_item_passes_every_new_check():
    settings = CheckSettings(cmmc_level=2, closeout_deadline=date(2027, 3, 1))
    assert check_item(item(), TODAY, Framework.CMMC_L2, settings) == []


@pytest.mark.parametrize("owner", ["Network Team", "IT Department", "Security Group", "CISO"])
def test_a_team_role_or_department_is_not_a_person(owner):
    assert "owner-not-a-person" in codes(check_item(item(owner=owner), TODAY))


def test_an_item_untouched_for_longer_than_the_setting_is_stale():
    old = item(updated_on=date(2026, 10, 29))  # 31 days
    assert "stale" in codes(check_item(old, TODAY))
    assert "stale" not in codes(check_item(old, TODAY, settings=CheckSettings(stale_days=45)))
    assert "stale" not in codes(check_item(item(updated_on=date(2026, 10, 30)), TODAY))


def test_a_closed_item_is_never_stale():
    done = item(updated_on=date(2025, 1, 1), status=Status.COMPLETED,
                actual_completion=date(2025, 1, 1))
    assert "stale" not in codes(check_item(done, TODAY))


@pytest.mark.parametrize(("changes", "missing"), [
    ({"owner": ""}, "no owner"), ({"resources_required": "TBD"}, "no resources"),
    ({"scheduled_completion": None}, "no date")])
def test_an_item_without_owner_resources_or_date_is_a_wish_list(changes, missing):
    issue = next(i for i in check_item(item(**changes), TODAY) if i.code == "wish-list")
    assert missing in issue.message and issue.severity is Level.WARNING


def test_a_milestone_due_after_the_items_completion_is_reported():
    late = MilestoneData(2, "Tune SIEM alerts", original_due=date(2027, 2, 1),
                         current_due=date(2027, 2, 1))
    found = check_item(item(milestones=item().milestones + [late]), TODAY)
    assert codes(found).count("milestone-after-completion") == 1
    assert "milestone 2" in next(i.message for i in found
                                 if i.code == "milestone-after-completion")


def test_cmmc_item_scheduled_past_the_closeout_deadline_is_an_error():
    settings = CheckSettings(cmmc_level=2, closeout_deadline=date(2027, 1, 1))
    found = check_item(item(), TODAY, Framework.CMMC_L2, settings)
    issue = next(i for i in found if i.code == "cmmc-after-closeout")
    assert issue.severity is Level.ERROR and "170.21(b)" in issue.citation
    assert "2027-01-01" in issue.message


def test_cmmc_undated_item_is_past_the_closeout_deadline_too():
    settings = CheckSettings(cmmc_level=2, closeout_deadline=date(2027, 3, 1))
    found = check_item(item(scheduled_completion=None), TODAY, Framework.CMMC_L2, settings)
    assert "cmmc-after-closeout" in codes(found)


def test_no_closeout_check_outside_cmmc_or_without_a_conditional_status():
    settings = CheckSettings(cmmc_level=2, closeout_deadline=date(2027, 1, 1))
    assert "cmmc-after-closeout" not in codes(check_item(item(), TODAY, Framework.RMF, settings))
    assert "cmmc-after-closeout" not in codes(
        check_item(item(), TODAY, Framework.CMMC_L2, CheckSettings(cmmc_level=2)))


@pytest.mark.parametrize(("control", "eligible"), [
    ("3.1.20", False),   # on the never-on-a-POA&M list (170.21(a)(2)(iii))
    ("3.1.1", False),    # 5 points
    ("3.1.8", True),     # 1 point
    ("SC.L2-3.13.11", True),  # partial (3 points) is the one exception
])
def test_cmmc_requirement_that_may_not_be_on_a_poam_is_an_error(control, eligible):
    on = item(controls=[ControlRef(Catalog.NIST_800_171_R2, control)])
    found = check_item(on, TODAY, Framework.CMMC_L2, CheckSettings(cmmc_level=2))
    assert ("cmmc-ineligible-on-poam" not in codes(found)) is eligible


def test_cmmc_eligibility_follows_the_recorded_result():
    on = item(controls=[ControlRef(Catalog.CMMC, "SC.L2-3.13.11")])
    settings = CheckSettings(cmmc_level=2, cmmc_results={"SC.L2-3.13.11": Result.NOT_MET},
                             cmmc_assessed=True)
    found = check_item(on, TODAY, Framework.CMMC_L2, settings)
    issue = next(i for i in found if i.code == "cmmc-ineligible-on-poam")
    assert "170.21(a)(2)" in issue.citation
    assessed_met = CheckSettings(cmmc_level=2, cmmc_assessed=True)
    five_points = item(controls=[ControlRef(Catalog.NIST_800_171_R2, "3.1.1")])
    assert "cmmc-ineligible-on-poam" not in codes(
        check_item(five_points, TODAY, Framework.CMMC_L2, assessed_met))


def test_an_item_due_before_the_item_it_waits_for_is_reported():
    first = item("POAM-2026-0001", scheduled_completion=date(2027, 1, 10),
                 depends_on=["POAM-2026-0002"])
    second = item("POAM-2026-0002", scheduled_completion=date(2027, 1, 20))
    found = [i for i in check_document([first, second], None, TODAY)
             if i.code == "dependency-due-after"]
    assert [i.poam_id for i in found] == ["POAM-2026-0001"]
    assert "POAM-2026-0002" in found[0].message
    ok = replace(first, scheduled_completion=date(2027, 1, 25))
    assert "dependency-due-after" not in codes(check_document([ok, second], None, TODAY))


def test_most_open_items_sharing_one_date_is_reported_once():
    same = [item(f"POAM-2026-{n:04d}", scheduled_completion=date(2026, 12, 31)) for n in range(4)]
    other = [item("POAM-2026-0009", scheduled_completion=date(2027, 1, 31))]
    found = [i for i in check_document(same + other, None, TODAY) if i.code == "shared-target-date"]
    assert len(found) == 1 and "4 of 5" in found[0].message
    spread = [item(f"POAM-2026-{n:04d}", scheduled_completion=date(2027, 1, n + 1))
              for n in range(5)]
    assert "shared-target-date" not in codes(check_document(spread, None, TODAY))


def test_every_check_code_has_a_fix_hint():
    bad = [item(owner="", resources_required="", milestones=[], scheduled_completion=None,
                updated_on=date(2020, 1, 1), status=Status.OPEN)]
    for issue in check_document(bad, Framework.FEDRAMP_MODERATE, TODAY):
        assert checks.hint(issue.code), issue.code
    source = open(checks.__file__).read()
    import re
    for code in set(re.findall(r'"([a-z0-9]+(?:-[a-z0-9]+)+)", Level', source)):
        assert code in checks.HINTS, code
