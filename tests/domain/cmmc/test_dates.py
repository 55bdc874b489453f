"""The 180-day closeout, the Status Date after closeout, validity and affirmations.

32 CFR 170.21(b), 170.4, 170.22; DFARS 204.7501; interpretations of RULES.md §§7-9.
"""

from datetime import date

import pytest

from openpoam.domain.cmmc import CmmcInputError, StatusKind, affirmations, close_out, closeout_clock
from openpoam.domain.cmmc.clock import (CLOSEOUT_DAYS, add_years, closeout_deadline,
                                        next_affirmation_due, status_valid_until)
from tests.domain.cmmc.helpers import ELIGIBLE_ONES, STATUS_DATE, l2, not_met


def conditional(status_date=STATUS_DATE):
    return l2(not_met(ELIGIBLE_ONES[:3]), status_date=status_date)


@pytest.mark.parametrize("start, deadline", [
    (date(2026, 3, 2), date(2026, 8, 29)),  # RULES.md §7 worked value
    (date(2027, 9, 3), date(2028, 3, 1)),  # the window spans 29 Feb 2028
    (date(2028, 2, 29), date(2028, 8, 27)),
])
def test_it_puts_the_deadline_180_calendar_days_after_the_status_date(start, deadline):
    # [interpretation] deadline = status date + 180, the last day to post the closeout.
    assert CLOSEOUT_DAYS == 180
    assert closeout_deadline(start) == deadline


def test_it_counts_days_left_and_expires_the_day_after_the_deadline():
    ev = conditional()
    on_deadline = closeout_clock(ev, date(2026, 8, 29))
    assert (on_deadline.days_left, on_deadline.expired) == (0, False)
    after = closeout_clock(ev, date(2026, 8, 30))
    assert (after.days_left, after.expired) == (-1, True)
    assert closeout_clock(ev, date(2026, 3, 2)).days_left == 180


def test_it_scopes_the_closeout_to_exactly_the_poam_requirements():
    # §170.21(b): "assesses only the NOT MET requirements that were identified with POA&M".
    ev = conditional()
    assert closeout_clock(ev, STATUS_DATE).scope == tuple(
        f"{r.family}.L2-{r.number}" for r in (g.requirement for g in ev.gaps))


def test_it_has_no_clock_without_a_conditional_status_or_date():
    assert closeout_clock(l2({}, status_date=STATUS_DATE), STATUS_DATE) is None
    assert closeout_clock(conditional(status_date=None), STATUS_DATE) is None


def test_it_keeps_the_status_date_after_a_successful_closeout():
    # §170.4: "A new date is not set for a Final that follows a Conditional." RULES.md §8 example.
    outcome = close_out(conditional(), date(2026, 7, 15))
    assert outcome.status == "Final Level 2 (C3PAO)" and outcome.kind is StatusKind.FINAL
    assert outcome.status_date == date(2026, 3, 2)
    assert outcome.valid_until == date(2029, 3, 2)


def test_it_expires_a_closeout_posted_after_the_deadline():
    # §170.21(b): not closed out in 180 days -> the Conditional status expires.
    outcome = close_out(conditional(), date(2026, 8, 30))
    assert outcome.status == "No CMMC Status" and "new full assessment" in outcome.reasons[0]
    assert close_out(conditional(), date(2026, 8, 29)).kind is StatusKind.FINAL


def test_it_stays_conditional_while_a_poam_item_is_still_open():
    ev = conditional()
    outcome = close_out(ev, date(2026, 6, 1), still_not_met=[ELIGIBLE_ONES[0]])
    assert outcome.kind is StatusKind.CONDITIONAL


def test_it_refuses_a_closeout_of_something_not_on_the_poam():
    with pytest.raises(CmmcInputError, match="not on the POA&M"):
        close_out(conditional(), date(2026, 6, 1), still_not_met=["3.1.1"])
    with pytest.raises(CmmcInputError):
        close_out(l2({}, status_date=STATUS_DATE), date(2026, 6, 1))


def test_it_maps_29_february_to_28_february():
    # [interpretation, RULES.md §8] +3 years from 29 Feb: 28 Feb, never later than the rule.
    assert add_years(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)


def test_it_keeps_level1_for_a_year_and_levels_2_and_3_for_three():
    # §170.15(a)(1) annual; §§170.16-170.18 three years.
    assert status_valid_until(1, STATUS_DATE) == date(2027, 3, 2)
    assert status_valid_until(2, STATUS_DATE) == date(2029, 3, 2)
    assert status_valid_until(3, STATUS_DATE) == date(2029, 3, 2)


def test_it_anchors_the_annual_affirmation_to_the_status_date():
    # [interpretation, RULES.md §9] the first anniversary after the latest affirmation.
    assert next_affirmation_due(STATUS_DATE, date(2026, 7, 15)) == date(2027, 3, 2)
    assert next_affirmation_due(STATUS_DATE, date(2027, 3, 2)) == date(2028, 3, 2)
    assert next_affirmation_due(STATUS_DATE, STATUS_DATE) == date(2027, 3, 2)


def test_it_lists_the_affirmations_for_each_status():
    # §170.22(a)(3)(i)-(iv); §170.22(b)(4) for Level 3.
    cond = affirmations(conditional())
    assert [a.due for a in cond] == [STATUS_DATE, None]
    final = affirmations(l2({}, status_date=STATUS_DATE))
    assert [a.due for a in final] == [STATUS_DATE, date(2027, 3, 2)]
    assert affirmations(l2(not_met(["3.1.1"]), status_date=STATUS_DATE)) == []
    assert affirmations(l2({})) == []
