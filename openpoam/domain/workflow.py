"""POA&M item states, the allowed transitions, and what each one needs.

States: Open -> In Progress -> Completed; Risk Accepted; False Positive; a closed
item can be Reopened, and a Reopened item goes back to In Progress.
"Delayed" is not a state: it is derived (see ``is_delayed``) and never set by hand.

An item is not Completed while one of its milestones is still open: each must be
completed, or closed as not needed with a reason (``check_not_needed``), first.
A scan that no longer finds the weakness is a completion too: the import closes the
item's open milestones as not needed, the scan named as the reason, before it
completes the item (``scan_closure_reason``), so both paths obey the same rule.

Every refusal raises ``TransitionError`` with a message naming the current
state, the wanted state and what is missing; the web layer and the CLI show it
as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from openpoam.domain.poam import Status

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.RISK_ACCEPTED,
                            Status.FALSE_POSITIVE}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.RISK_ACCEPTED,
                                   Status.FALSE_POSITIVE}),
    Status.REOPENED: frozenset({Status.IN_PROGRESS}),
    Status.COMPLETED: frozenset({Status.REOPENED}),
    Status.RISK_ACCEPTED: frozenset({Status.REOPENED}),
    Status.FALSE_POSITIVE: frozenset({Status.REOPENED}),
}


class TransitionError(ValueError):
    """A status change that the workflow refuses. The message is for people."""


@dataclass(frozen=True, slots=True)
class TransitionRequest:
    """Everything a status change may need; which fields matter depends on the target."""

    current: Status
    wanted: Status
    requested_by: str  # the person asking (user name)
    actual_completion: date | None = None
    evidence_count: int = 0
    approver: str = ""
    rationale: str = ""  # risk acceptance rationale or false-positive justification
    review_date: date | None = None
    reason: str = ""  # why an item is reopened
    open_milestones: tuple[int, ...] = ()  # sequence numbers of milestones still open
    today: date | None = None  # a review date must lie after it (when given)
    approver_is_requester: bool = False  # the approver's account is the one asking


def check_transition(request: TransitionRequest) -> None:
    """Raise TransitionError unless the change is allowed and complete."""
    current, wanted = request.current, request.wanted
    if wanted == current:
        raise TransitionError(f"The item is already {current.label}.")
    if wanted not in ALLOWED[current]:
        allowed = ", ".join(s.label for s in sorted(ALLOWED[current], key=list(Status).index))
        raise TransitionError(f"Cannot move from {current.label} to {wanted.label}: "
                              f"from {current.label} the item may go to {allowed}.")
    missing = list(_missing(request))
    if missing:
        raise TransitionError(f"Cannot move from {current.label} to {wanted.label}: "
                              f"{_join(missing)}.")


def _missing(request: TransitionRequest) -> Iterable[str]:
    if request.wanted is Status.COMPLETED:
        if request.actual_completion is None:
            yield "an actual completion date is required"
        if request.evidence_count < 1:
            yield "at least one piece of evidence must be attached"
        if request.open_milestones:
            yield _open_milestones(request.open_milestones)
    elif request.wanted is Status.RISK_ACCEPTED:
        yield from _approval_missing(request, "risk acceptance")
        if not request.rationale.strip():
            yield "a rationale for accepting the risk is required"
        if request.review_date is None:
            yield "a review date for the accepted risk is required"
        yield from _review_date_past(request)
    elif request.wanted is Status.FALSE_POSITIVE:
        yield from _approval_missing(request, "false-positive determination")
        if not request.rationale.strip():
            yield "a justification of why the finding is a false positive is required"
        yield from _review_date_past(request)
    elif request.wanted is Status.REOPENED and not request.reason.strip():
        yield "a reason for reopening is required"


def _approval_missing(request: TransitionRequest, what: str) -> Iterable[str]:
    approver = request.approver.strip()
    if not approver:
        yield f"an approver of the {what} is required"
    elif request.approver_is_requester or \
            approver.casefold() == request.requested_by.strip().casefold():
        # Separation of duties: nobody approves their own request.
        yield f"the approver of the {what} must be someone other than the person asking"


def _open_milestones(sequences: tuple[int, ...]) -> str:
    numbers = ", ".join(str(n) for n in sorted(sequences))
    if len(sequences) == 1:
        return (f"milestone {numbers} is still open: complete it, or close it as not needed "
                "with a reason")
    return (f"milestones {numbers} are still open: complete them, or close them as not "
            "needed with a reason")


def check_not_needed(reason: str) -> None:
    """Closing a milestone as not needed needs a reason, which the history keeps."""
    if not reason.strip():
        raise TransitionError("Closing a milestone as not needed requires a reason.")


def scan_closure_reason(file_name: str) -> str:
    """Why a scan closure closes the item's open milestones as not needed."""
    return f"remediated per scan {file_name}: the weakness is no longer found"
def check_review_date(review_date: date | None, today: date) -> None:
    """The review-date rule on its own, for a request made before anyone decides it."""
    problems = list(_review_date_past(TransitionRequest(
        current=Status.OPEN, wanted=Status.RISK_ACCEPTED, requested_by="",
        review_date=review_date, today=today)))
    if problems:
        raise TransitionError(problems[0])


def _review_date_past(request: TransitionRequest) -> Iterable[str]:
    # A product rule, not a citation: a review planned for today or earlier would make
    # the determination overdue on the day it is made.
    if request.review_date is not None and request.today is not None \
            and request.review_date <= request.today:
        yield (f"the review date ({request.review_date.isoformat()}) must lie in the future "
               f"(after {request.today.isoformat()})")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "; ".join(parts)


def is_delayed(status: Status, scheduled_completion: date | None,
               open_milestone_dues: Iterable[date | None], today: date) -> bool:
    """An open item whose scheduled completion or any open milestone's due date is past."""
    if status.is_closed:
        return False
    if scheduled_completion is not None and scheduled_completion < today:
        return True
    return any(due is not None and due < today for due in open_milestone_dues)


def check_reschedule(old_due: date | None, new_due: date, justification: str) -> None:
    """Moving a milestone or completion date needs a reason, which the history keeps."""
    if old_due == new_due:
        raise TransitionError(f"The due date is already {new_due.isoformat()}.")
    if not justification.strip():
        raise TransitionError("Moving a due date requires a justification "
                              f"(from {old_due.isoformat() if old_due else 'none'} "
                              f"to {new_due.isoformat()}).")
