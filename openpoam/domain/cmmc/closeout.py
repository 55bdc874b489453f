"""The POA&M closeout of a Conditional status (32 CFR 170.21(b); 170.4; 170.22).

The clock runs from the Conditional CMMC Status Date; the closeout assesses exactly
the requirements on the POA&M; a successful closeout gives the Final status with the
Status Date unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from openpoam.domain.cmmc import clock
from openpoam.domain.cmmc.errors import CmmcInputError
from openpoam.domain.cmmc.evaluate import Evaluation, StatusKind, status_name
from openpoam.domain.cmmc.ids import normalize


@dataclass(frozen=True)
class CloseoutClock:
    status_date: date
    deadline: date  # last day to post the closeout results
    days_left: int  # 0 on the deadline, negative once expired
    expired: bool
    scope: tuple[str, ...]  # CMMC IDs the closeout assesses


def closeout_clock(evaluation: Evaluation, today: date) -> CloseoutClock | None:
    """The running 180-day clock; None unless Conditional with a status date."""
    status_date = evaluation.status_date
    if evaluation.kind is not StatusKind.CONDITIONAL or status_date is None:
        return None
    return CloseoutClock(status_date, clock.closeout_deadline(status_date),
                         clock.closeout_days_left(status_date, today),
                         clock.closeout_expired(status_date, today), evaluation.closeout_scope)


@dataclass(frozen=True)
class CloseoutOutcome:
    status: str
    kind: StatusKind
    status_date: date  # unchanged by the closeout (§170.4)
    valid_until: date | None  # reassessment due by then (3 years from the status date)
    next_affirmation_due: date | None
    reasons: tuple[str, ...]


def close_out(evaluation: Evaluation, closed_on: date,
              still_not_met: Iterable[str] = ()) -> CloseoutOutcome:
    """Outcome of a closeout posted on ``closed_on``.

    ``still_not_met`` lists POA&M requirements the closeout found still NOT MET.
    """
    status_date = evaluation.status_date
    if evaluation.kind is not StatusKind.CONDITIONAL or status_date is None:
        raise CmmcInputError("a POA&M closeout needs a Conditional status with a status date")
    level = evaluation.level
    open_ids = _in_scope(evaluation, still_not_met)
    deadline = clock.closeout_deadline(status_date)
    if closed_on > deadline:
        return CloseoutOutcome(
            status_name(StatusKind.NONE, level, ""), StatusKind.NONE, status_date, None, None,
            (f"Closeout posted {closed_on.isoformat()}, after the deadline "
             f"{deadline.isoformat()}: the Conditional status expired and a new full "
             "assessment is required (32 CFR 170.21(b)).",))
    if open_ids:
        return CloseoutOutcome(
            evaluation.status, StatusKind.CONDITIONAL, status_date, None, None,
            (f"Still NOT MET: {', '.join(open_ids)}. The Conditional status expires after "
             f"{deadline.isoformat()} unless every POA&M requirement is closed out by then "
             "(32 CFR 170.21(b)).",))
    final = status_name(StatusKind.FINAL, level, evaluation.assessment.assessment_type)
    valid_until = clock.status_valid_until(level, status_date)
    return CloseoutOutcome(
        final, StatusKind.FINAL, status_date, valid_until,
        clock.next_affirmation_due(status_date, closed_on),
        (f"POA&M closed out on {closed_on.isoformat()}: {final}. The CMMC Status Date stays "
         f"{status_date.isoformat()} (32 CFR 170.4); reassessment is due by "
         f"{valid_until.isoformat()}.",
         "Affirm in SPRS following the closeout, then annually (32 CFR 170.22(a)(3)(ii)-(iv))."))


def _in_scope(evaluation: Evaluation, raw_ids: Iterable[str]) -> list[str]:
    scope = evaluation.closeout_scope
    found = []
    for raw in raw_ids:
        req_id = normalize(raw, evaluation.level)
        if req_id not in scope:
            raise CmmcInputError(f"{raw!r} was not on the POA&M; a closeout assesses only the "
                                 "POA&M requirements (32 CFR 170.21(b))")
        found.append(req_id)
    return found
