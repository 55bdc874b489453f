"""Workflow rules of the foundation issue, section 3: each rule has a test that fails without it."""

from datetime import date, timedelta

import pytest

from openpoam.domain.poam import Status
from openpoam.domain.workflow import (TransitionError, TransitionRequest, check_reschedule,
                                      check_transition, is_delayed)

TODAY = date(2026, 11, 22)


def _req(current, wanted, **kw):
    kw.setdefault("requested_by", "alice")
    return TransitionRequest(current=current, wanted=wanted, **kw)


def test_it_allows_open_to_in_progress():
    check_transition(_req(Status.OPEN, Status.IN_PROGRESS))


def test_it_requires_completion_date_and_evidence_for_completed():
    with pytest.raises(TransitionError) as err:
        check_transition(_req(Status.IN_PROGRESS, Status.COMPLETED))
    message = str(err.value)
    assert "In Progress" in message and "Completed" in message
    assert "actual completion date" in message and "evidence" in message


def test_it_completes_with_date_and_evidence():
    check_transition(_req(Status.IN_PROGRESS, Status.COMPLETED,
                          actual_completion=TODAY, evidence_count=1))


def test_it_refuses_completion_with_date_but_no_evidence():
    with pytest.raises(TransitionError, match="evidence"):
        check_transition(_req(Status.IN_PROGRESS, Status.COMPLETED, actual_completion=TODAY))


def test_it_refuses_risk_acceptance_approved_by_the_requester():
    with pytest.raises(TransitionError, match="someone other than"):
        check_transition(_req(Status.OPEN, Status.RISK_ACCEPTED, approver="Alice",
                              rationale="compensating control", review_date=TODAY))


def test_it_requires_rationale_and_review_date_for_risk_acceptance():
    with pytest.raises(TransitionError) as err:
        check_transition(_req(Status.OPEN, Status.RISK_ACCEPTED, approver="bob"))
    assert "rationale" in str(err.value) and "review date" in str(err.value)


def test_it_accepts_risk_with_independent_approver():
    check_transition(_req(Status.OPEN, Status.RISK_ACCEPTED, approver="bob",
                          rationale="compensating control", review_date=TODAY))


def test_it_requires_justification_and_approver_for_false_positive():
    with pytest.raises(TransitionError) as err:
        check_transition(_req(Status.OPEN, Status.FALSE_POSITIVE))
    assert "approver" in str(err.value) and "justification" in str(err.value)
    check_transition(_req(Status.OPEN, Status.FALSE_POSITIVE, approver="bob",
                          rationale="the package is not installed"))


def test_it_names_both_states_on_an_illegal_move():
    with pytest.raises(TransitionError) as err:
        check_transition(_req(Status.COMPLETED, Status.IN_PROGRESS))
    assert "from Completed to In Progress" in str(err.value)
    assert "Reopened" in str(err.value)


def test_it_reopens_a_closed_item_only_with_a_reason_then_back_to_in_progress():
    with pytest.raises(TransitionError, match="reason"):
        check_transition(_req(Status.COMPLETED, Status.REOPENED))
    check_transition(_req(Status.COMPLETED, Status.REOPENED, reason="scan found it again"))
    check_transition(_req(Status.REOPENED, Status.IN_PROGRESS))
    with pytest.raises(TransitionError):
        check_transition(_req(Status.REOPENED, Status.COMPLETED, actual_completion=TODAY,
                              evidence_count=1))


def test_it_refuses_a_move_to_the_same_state():
    with pytest.raises(TransitionError, match="already Open"):
        check_transition(_req(Status.OPEN, Status.OPEN))


def test_it_derives_delayed_from_scheduled_date():
    assert is_delayed(Status.OPEN, date(2026, 11, 21), [], TODAY)
    assert not is_delayed(Status.OPEN, TODAY, [], TODAY)


def test_it_derives_delayed_from_an_open_milestone():
    assert is_delayed(Status.IN_PROGRESS, None, [date(2027, 1, 1), date(2026, 10, 1)], TODAY)
    assert not is_delayed(Status.IN_PROGRESS, None, [date(2027, 1, 1), None], TODAY)


def test_it_never_calls_a_closed_item_delayed():
    assert not is_delayed(Status.COMPLETED, date(2020, 1, 1), [date(2020, 1, 1)], TODAY)


def test_it_requires_a_justification_to_move_a_due_date():
    with pytest.raises(TransitionError, match="justification"):
        check_reschedule(TODAY, date(2026, 12, 1), "  ")
    check_reschedule(TODAY, date(2026, 12, 1), "vendor patch slipped")


def test_it_requires_a_review_date_in_the_future():
    for review in (TODAY, TODAY - timedelta(days=1)):
        with pytest.raises(TransitionError, match="must lie in the future"):
            check_transition(_req(Status.OPEN, Status.RISK_ACCEPTED, approver="bob",
                                  rationale="compensating control", review_date=review,
                                  today=TODAY))
    check_transition(_req(Status.OPEN, Status.RISK_ACCEPTED, approver="bob",
                          rationale="compensating control",
                          review_date=TODAY + timedelta(days=1), today=TODAY))


def test_it_refuses_an_approver_whose_account_is_the_requester():
    with pytest.raises(TransitionError, match="someone other"):
        check_transition(_req(Status.OPEN, Status.FALSE_POSITIVE, approver="Bob Jones",
                              rationale="port closed", approver_is_requester=True))
