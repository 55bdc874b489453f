"""The status a system holds on a given day: one rule for the page, the CLI and the JSON."""

from datetime import date

import pytest

from openpoam.domain.cmmc import (Assessment, AssessmentType, CmmcInputError, NO_STATUS,
                                  evaluate, standing)
from openpoam.domain.cmmc.clock import check_assessment_date

CONDITIONAL = Assessment(2, AssessmentType.C3PAO, {"3.1.3": "not_met"}, date(2026, 3, 2))
FINAL = Assessment(2, AssessmentType.C3PAO, {}, date(2023, 3, 2))


def test_a_conditional_is_held_through_its_closeout_deadline():
    # §170.21(b): the deadline 2026-03-02 + 180 = 2026-08-29 is the last day.
    now = standing(evaluate(CONDITIONAL), date(2026, 8, 29))
    assert (now.status, now.held, now.lapsed_on, now.note) == (
        "Conditional Level 2 (C3PAO)", True, None, "")
    assert now.summary == "Conditional Level 2 (C3PAO)"


def test_an_expired_conditional_says_it_expired_when_and_that_no_status_is_held():
    now = standing(evaluate(CONDITIONAL), date(2026, 11, 29))
    assert (now.status, now.held, now.lapsed_on) == (NO_STATUS, False, date(2026, 8, 30))
    assert now.assessed_status == "Conditional Level 2 (C3PAO)"
    assert now.summary == (
        "No CMMC Status: the Conditional Level 2 (C3PAO) status expired on 2026-08-30 (the "
        "POA&M was not closed out by its deadline 2026-08-29); no CMMC status is held now.")
    assert "32 CFR 170.21(b)" in now.note


def test_a_final_lapses_after_its_three_years():
    assert standing(evaluate(FINAL), date(2026, 3, 2)).held  # §170.17(a)(1): 3 years
    now = standing(evaluate(FINAL), date(2026, 3, 3))
    assert (now.status, now.lapsed_on) == (NO_STATUS, date(2026, 3, 3))
    assert "lapsed on 2026-03-03 (it was valid until 2026-03-02)" in now.summary


def test_no_status_stays_no_status_without_a_lapse():
    none = Assessment(2, AssessmentType.SELF, {"3.3.5": "not_met", "3.1.1": "not_met"},
                      date(2026, 3, 2))
    now = standing(evaluate(none), date(2026, 3, 3))
    assert (now.status, now.held, now.lapsed_on) == (NO_STATUS, False, None)


def test_an_assessment_date_must_not_follow_its_status_date_nor_today():
    check_assessment_date(date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 1))
    with pytest.raises(CmmcInputError, match="after its CMMC status date 2026-03-02"):
        check_assessment_date(date(2026, 3, 3), date(2026, 3, 2), date(2026, 4, 1))
    with pytest.raises(CmmcInputError, match="in the future"):
        check_assessment_date(date(2026, 4, 2), None, date(2026, 4, 1))
