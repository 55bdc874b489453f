"""A vulnerability's whole CR26 state over time: late evaluations, reductions, overdue,
acceptance. Each test names its rule; interpretations are the rulebook's section 10."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from openpoam.domain.fedramp.cr26 import (CertClass, Cr26Error, Disposition, EventKind,
                                          RatingEvent, Vulnerability, group_detected_at, status)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


DETECTED = at("2026-12-10T14:00:00Z")


def vuln(*events, cls=CertClass.B, **kw) -> Vulnerability:
    return Vulnerability(cls, DETECTED, tuple(events), **kw)


def test_ver_tfr_evu_unevaluated_becomes_late_after_the_deadline():
    assert not status(vuln(), at("2026-12-17T14:00:00Z")).evaluation_late  # at due: on time
    assert status(vuln(), at("2026-12-17T14:00:01Z")).evaluation_late


def test_late_evaluation_keeps_the_pvr_clock_at_the_actual_evaluation():
    # Class B EVU 7 days -> due 2026-12-17T14:00Z; evaluated three days late.
    late = RatingEvent(at("2026-12-20T14:00:00Z"), 3, lev=True, irv=True)
    state = status(vuln(late), at("2026-12-21T00:00:00Z"))
    assert state.evaluation_late
    assert state.reduction_due.at == at("2027-01-21T14:00:00Z")  # evaluation + 32 days
    assert any("interpretation" in note for note in state.notes)


def test_vdr_tfr_pvr_after_a_reduction_the_new_rating_runs_from_the_reduction():
    first = RatingEvent(at("2026-12-11T00:00:00Z"), 5, lev=True, irv=True)
    reduced = RatingEvent(at("2026-12-14T00:00:00Z"), 3, lev=True, irv=False,
                          kind=EventKind.REDUCTION)
    state = status(vuln(first, reduced), at("2026-12-15T00:00:00Z"))
    assert state.reduction_due.at == at("2026-12-14T00:00:00Z") + timedelta(days=64)
    assert state.accepted_from.at == at("2026-12-11T00:00:00Z") + timedelta(days=192)


def test_vdr_tfr_pvr_a_change_of_irv_alone_changes_the_column_not_the_start():
    first = RatingEvent(at("2026-12-11T00:00:00Z"), 4, lev=True, irv=False)  # B: 32 days
    waf_gone = RatingEvent(at("2026-12-20T00:00:00Z"), 4, lev=True, irv=True,
                           kind=EventKind.REEVALUATION)  # B N4 LEV+IRV: 8 days
    state = status(vuln(first, waf_gone), at("2026-12-20T00:00:00Z"))
    assert state.reduction_due.at == at("2026-12-19T00:00:00Z")  # from the first evaluation
    assert state.overdue
    raised = RatingEvent(at("2026-12-21T00:00:00Z"), 5, lev=True, irv=True,
                         kind=EventKind.REEVALUATION)  # a new rating restarts: 4 days
    assert status(vuln(first, waf_gone, raised), at("2026-12-21T00:00:00Z")).reduction_due.at \
        == at("2026-12-25T00:00:00Z")


def test_frd_odv_overdue_once_past_the_reduction_deadline():
    evaluated = RatingEvent(at("2026-12-11T00:00:00Z"), 5, lev=True, irv=True)  # B: 4 days
    assert not status(vuln(evaluated), at("2026-12-15T00:00:00Z")).overdue  # inclusive
    assert status(vuln(evaluated), at("2026-12-15T00:00:01Z")).overdue


def test_frd_odv_n1_is_never_overdue_without_a_kev_date():
    evaluated = RatingEvent(at("2026-12-11T00:00:00Z"), 1, lev=False, irv=False)
    assert not status(vuln(evaluated), at("2027-05-01T00:00:00Z")).overdue


def test_vdr_tfr_kev_overdue_even_when_fully_mitigated():
    evaluated = RatingEvent(at("2026-12-11T00:00:00Z"), 2, lev=True, irv=False)
    state = status(vuln(evaluated, kev_due=date(2026, 12, 20),
                        disposition=Disposition.FULLY_MITIGATED),
                   at("2026-12-21T00:00:00Z"))
    assert state.kev_overdue and state.closed


def test_ver_tfr_mav_accepted_on_day_192_unless_fully_mitigated_or_remediated():
    evaluated = RatingEvent(at("2026-12-11T00:00:00Z"), 1, lev=False, irv=False)
    day_192 = at("2026-12-11T00:00:00Z") + timedelta(days=192)
    assert not status(vuln(evaluated), day_192 - timedelta(seconds=1)).accepted
    state = status(vuln(evaluated), day_192)
    assert state.accepted and state.accepted_rule == "VER-TFR-MAV"  # N1 included
    for done in (Disposition.REMEDIATED, Disposition.FULLY_MITIGATED, Disposition.FALSE_POSITIVE):
        assert not status(vuln(evaluated, disposition=done), day_192).accepted


def test_ver_tfr_mav_partial_mitigation_does_not_stop_the_clock():
    evaluated = RatingEvent(at("2026-12-11T00:00:00Z"), 3, lev=False, irv=False)
    state = status(vuln(evaluated, disposition=Disposition.PARTIALLY_MITIGATED),
                   at("2027-07-01T00:00:00Z"))
    assert state.accepted


def test_ver_tfr_mav_pvr_met_on_day_192_is_still_accepted():
    # Class B N3 NLEV: the PVR cell is itself 192 days.
    evaluated = RatingEvent(at("2026-12-11T00:00:00Z"), 3, lev=False, irv=False)
    state = status(vuln(evaluated), at("2026-12-11T00:00:00Z") + timedelta(days=192))
    assert state.reduction_due.at == state.accepted_from.at and state.accepted
    assert not state.overdue  # accepted, not overdue


def test_frd_acv_declared_accepted_before_day_192():
    evaluated = RatingEvent(at("2026-12-11T00:00:00Z"), 2, lev=True, irv=False)
    state = status(vuln(evaluated, accepted_at=at("2027-01-05T00:00:00Z")),
                   at("2027-01-06T00:00:00Z"))
    assert state.accepted and state.accepted_rule == "FRD-ACV"


def test_ver_tfr_iri_ends_when_reduced_to_n3():
    first = RatingEvent(at("2026-12-11T00:00:00Z"), 4, lev=True, irv=True)
    assert status(vuln(first, cls=CertClass.C), at("2026-12-12T00:00:00Z")).incident
    reduced = RatingEvent(at("2026-12-13T00:00:00Z"), 3, lev=True, irv=True,
                          kind=EventKind.REDUCTION)
    assert status(vuln(first, reduced, cls=CertClass.C), at("2026-12-14T00:00:00Z")).incident \
        is None


def test_ver_eva_grv_group_detection_is_the_earliest_member():
    members = [at("2026-12-12T00:00:00Z"), at("2026-12-10T08:00:00Z")]
    assert group_detected_at(members) == at("2026-12-10T08:00:00Z")
    with pytest.raises(Cr26Error):
        group_detected_at([])
