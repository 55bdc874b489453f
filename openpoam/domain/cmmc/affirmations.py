"""When the Affirming Official must affirm in SPRS (32 CFR 170.22; DFARS 204.7501)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openpoam.domain.cmmc import clock
from openpoam.domain.cmmc.evaluate import Evaluation, StatusKind


@dataclass(frozen=True)
class AffirmationDue:
    due: date | None  # None: tied to an event whose date is not known yet
    event: str
    citation: str


def affirmations(evaluation: Evaluation, last_affirmed: date | None = None
                 ) -> list[AffirmationDue]:
    """The affirmations an evaluation calls for; empty without a status or a status date.

    ``last_affirmed`` defaults to the status date (the affirmation made on achieving it).
    """
    status_date = evaluation.status_date
    if evaluation.kind is StatusKind.NONE or status_date is None:
        return []
    if evaluation.kind is StatusKind.CONDITIONAL:
        return [
            AffirmationDue(status_date, f"on achieving {evaluation.status}",
                           "32 CFR 170.22(a)(3)(i)"),
            AffirmationDue(None, "following the POA&M closeout assessment, with the Final status",
                           "32 CFR 170.22(a)(3)(ii), (iv)"),
        ]
    annual = clock.next_affirmation_due(status_date, last_affirmed or status_date)
    dues = [AffirmationDue(status_date, f"on achieving {evaluation.status}",
                           "32 CFR 170.22(a)(3)(ii)"),
            AffirmationDue(annual, _annual_event(evaluation.level),
                           _annual_citation(evaluation.level))]
    if evaluation.level == 3:
        dues.append(AffirmationDue(annual, "annual affirmation of the Level 2 (C3PAO) status too",
                                   "32 CFR 170.22(b)(4)"))
    return dues


def _annual_event(level: int) -> str:
    if level == 1:
        return "annual Level 1 self-assessment and affirmation"
    return "annual affirmation following the CMMC Status Date"


def _annual_citation(level: int) -> str:
    if level == 1:
        return "32 CFR 170.15(a)(1)-(2); 170.22(b)(1)"
    return "32 CFR 170.22(a)(3)(iii); DFARS 204.7501"
