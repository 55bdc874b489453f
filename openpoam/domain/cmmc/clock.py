"""Dates of the CMMC rules: the 180-day closeout, validity periods, affirmations.

No clock is read here: ``today`` is always an argument.
"""

from __future__ import annotations

from datetime import date, timedelta

from openpoam.domain.cmmc.errors import CmmcInputError

# §170.21(b): closeout "within 180-days of the Conditional CMMC Status Date".
# [interpretation, RULES.md §7] Calendar days, deadline = status date + 180: the last day
# closeout results may be posted; expired from +181. Matches DFARS 204.7501
# "Not older than 180 days". Counting the status date as day 1 would give +179.
CLOSEOUT_DAYS = 180

# §§170.16(a)(1), 170.17(a)(1), 170.18(a)(1): a Final Level 2/3 status lasts 3 years;
# §170.15(a)(1): Level 1 is self-assessed every year.
VALIDITY_YEARS = {1: 1, 2: 3, 3: 3}


def add_years(start: date, years: int) -> date:
    """Same month and day ``years`` later.

    [interpretation, RULES.md §8] 29 February maps to 28 February in a non-leap year,
    the earlier choice, so a date computed from it is never later than the rule allows.
    """
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February into a non-leap year
        return start.replace(year=start.year + years, day=28)


def closeout_deadline(status_date: date) -> date:
    """Last day a POA&M closeout may be posted (§170.21(b))."""
    return status_date + timedelta(days=CLOSEOUT_DAYS)


def check_assessment_date(assessed_on: date, status_date: date | None, today: date) -> None:
    """Refuse an assessment date that cannot be true; raises CmmcInputError saying why.

    The CMMC Status Date is set when the results are posted (32 CFR 170.4), so it is never
    before the assessment; and an assessment cannot be recorded before it happened.
    """
    if assessed_on > today:
        raise CmmcInputError(f"the assessment date {assessed_on.isoformat()} is in the future "
                             f"(today is {today.isoformat()})")
    if status_date is not None and assessed_on > status_date:
        raise CmmcInputError(f"the assessment date {assessed_on.isoformat()} is after its CMMC "
                             f"status date {status_date.isoformat()}; the status date is set "
                             "when the results are posted, so it cannot come first "
                             "(32 CFR 170.4)")


def closeout_days_left(status_date: date, today: date) -> int:
    """Days from ``today`` to the deadline; 0 on the deadline, negative once expired."""
    return (closeout_deadline(status_date) - today).days


def closeout_expired(status_date: date, today: date) -> bool:
    return today > closeout_deadline(status_date)


def status_valid_until(level: int, status_date: date) -> date:
    """Last day a Final status counts as current; reassessment is due by then.

    The status date of a Final that follows a Conditional is the Conditional date
    (§170.4), so this is also the date after a successful closeout.
    """
    return add_years(status_date, VALIDITY_YEARS[level])


def next_affirmation_due(status_date: date, last_affirmed: date) -> date:
    """When the next annual affirmation is due.

    [interpretation, RULES.md §9] §170.22(a)(3)(iii) anchors the annual affirmation to the
    CMMC Status Date; DFARS only needs the latest one to be not older than a year. The safe
    date is the first anniversary of the status date after the latest affirmation, which
    is never later than a year after that affirmation.
    """
    years = 1
    while add_years(status_date, years) <= last_affirmed:
        years += 1
    return add_years(status_date, years)
