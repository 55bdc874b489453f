"""An item is not completed while a milestone is open (issue: what exists must hold)."""

from __future__ import annotations

from datetime import date

import pytest

from openpoam.domain.poam import Status
from openpoam.domain.workflow import (TransitionError, TransitionRequest, check_not_needed,
                                      check_transition, scan_closure_reason)

TODAY = date(2026, 11, 28)


def _complete(**kw) -> TransitionRequest:
    return TransitionRequest(current=Status.IN_PROGRESS, wanted=Status.COMPLETED,
                             requested_by="dana", actual_completion=TODAY, evidence_count=1,
                             **kw)


def test_it_refuses_completion_while_a_milestone_is_open():
    with pytest.raises(TransitionError, match="milestone 2 is still open: complete it, or "
                                              "close it as not needed with a reason"):
        check_transition(_complete(open_milestones=(2,)))


def test_it_names_every_open_milestone():
    with pytest.raises(TransitionError, match="milestones 1, 3 are still open"):
        check_transition(_complete(open_milestones=(3, 1)))


def test_it_completes_once_no_milestone_is_open():
    check_transition(_complete(open_milestones=()))


def test_closing_a_milestone_as_not_needed_needs_a_reason():
    with pytest.raises(TransitionError, match="requires a reason"):
        check_not_needed("  ")
    check_not_needed("vendor patch made it moot")


def test_a_scan_closure_names_the_scan():
    assert "m2.nessus" in scan_closure_reason("m2.nessus")
