"""The CMMC status a system holds on a given day: the one answer the system page, the
command line and the JSON output all present.

An assessment gives a status (``Evaluation.status``); time can take it away:
- a Conditional status ends when the POA&M closeout deadline passes without a closeout
  (32 CFR 170.21(b)); the deadline is the last day (clock.py), so it expires the day after;
- a Final status stops counting as current after its validity period (32 CFR 170.15-170.18;
  DFARS 204.7501), so reassessment is due by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from openpoam.domain.cmmc import clock
from openpoam.domain.cmmc.evaluate import NO_STATUS, Evaluation, StatusKind


@dataclass(frozen=True)
class Standing:
    status: str  # the status held on ``today``: an exact 32 CFR 170.4 name, or NO_STATUS
    held: bool  # False when no CMMC status is held on ``today``
    assessed_status: str  # what the assessment itself gave
    lapsed_on: date | None  # first day the assessed status no longer held, if it lapsed
    summary: str  # one plain sentence saying all of the above
    note: str  # the same with its citation, for a list of reasons ("" when nothing lapsed)


def standing(evaluation: Evaluation, today: date) -> Standing:
    """What status the assessed system holds on ``today``, and why."""
    assessed = evaluation.status
    last_day = _last_day(evaluation)
    if last_day is None or today <= last_day:
        held = evaluation.kind is not StatusKind.NONE
        summary = assessed if held else f"{NO_STATUS}: no CMMC status is held."
        return Standing(assessed, held, assessed, None, summary, "")
    lapsed_on = last_day + timedelta(days=1)
    if evaluation.kind is StatusKind.CONDITIONAL:
        why = f"the POA&M was not closed out by its deadline {last_day.isoformat()}"
        note = (f"As of {today.isoformat()} the Conditional status has expired (closeout "
                f"deadline {last_day.isoformat()}); a new full assessment is required "
                "(32 CFR 170.21(b)).")
        verb = "expired"
    else:
        why = f"it was valid until {last_day.isoformat()}"
        note = (f"As of {today.isoformat()} the status is no longer current (valid until "
                f"{last_day.isoformat()}); reassessment is due (DFARS 204.7501).")
        verb = "lapsed"
    summary = (f"{NO_STATUS}: the {assessed} status {verb} on {lapsed_on.isoformat()} "
               f"({why}); no CMMC status is held now.")
    return Standing(NO_STATUS, False, assessed, lapsed_on, summary, note)


def _last_day(evaluation: Evaluation) -> date | None:
    """Last day the assessed status holds; None when it has no end (or no status date)."""
    status_date = evaluation.status_date
    if status_date is None or evaluation.kind is StatusKind.NONE:
        return None
    if evaluation.kind is StatusKind.CONDITIONAL:
        return clock.closeout_deadline(status_date)
    return clock.status_valid_until(evaluation.level, status_date)
