"""Rules 2026.10.05.01 to 2026.10.08.01: the N0 rating (VER-EVA-EPA), a class change that
applies from its instant (FRC-CCL), the IEC report deadlines of a vulnerability treated as an
incident, and the scan-coverage cadences (VDR-TFR-PDD/PCD/PSD/NMV/MVF/MVX)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openpoam.domain.fedramp.cr26 import (CertClass, ClassChange, Cr26Error, EventKind,
                                          RatingEvent, Vulnerability, check_rating,
                                          deadlines_payload, reduction_due, reduction_timeframe,
                                          sources, status)
from openpoam.domain.fedramp.cr26.cadences import Every, cadences, next_due
from openpoam.domain.fedramp.cr26.iec import Span, add_span, iec_deadlines

B, C, D = CertClass.B, CertClass.C, CertClass.D


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


DETECTED, EVALUATED = at("2026-12-10T14:00:00Z"), at("2026-12-11T10:00:00Z")


def vuln(*ratings: tuple[str, int, str], cls=C, **kw) -> Vulnerability:
    kinds = {"e": EventKind.EVALUATION, "r": EventKind.REDUCTION, "v": EventKind.REEVALUATION}
    events = tuple(RatingEvent(at(when), n, lev=True, irv=True, kind=kinds[k])
                   for when, n, k in ratings)
    return Vulnerability(cls, DETECTED, events, **kw)


# ---- N0 ----------------------------------------------------------------------------------

def test_the_rules_pin_is_2026_10_08_01():
    assert "2026.10.08.01" in sources.RULES and "2026.10.08.01" in sources.EPA


@pytest.mark.parametrize("cls", list(CertClass))
def test_n0_is_a_rating_with_no_pvr_timeframe_like_n1(cls):
    assert check_rating(0) == 0
    assert reduction_timeframe(cls, 0, True, True) is None
    due = reduction_due(cls, RatingEvent(EVALUATED, 0, True, True), None)
    assert due.at is None and due.rule == "VDR-TFR-PVR" and "N0" in due.basis


def test_n0_still_meets_a_kev_date():
    due = reduction_due(B, RatingEvent(EVALUATED, 0, True, True), at("2026-12-20T00:00:00Z").date())
    assert due.rule == "VDR-TFR-KEV"


def test_a_reduction_to_n0_is_full_mitigation_and_stops_the_192_day_clock():
    v = vuln(("2026-12-11T10:00:00Z", 4, "e"), ("2026-12-12T10:00:00Z", 0, "r"))
    state = status(v, at("2027-12-01T00:00:00Z"))  # long past 192 days
    assert state.closed and not state.accepted and not state.overdue
    assert state.incident is None
    assert any("FRD-FMV" in note for note in state.notes)


def test_evaluated_n0_at_the_outset_is_not_full_mitigation_so_day_192_accepts_it():
    v = vuln(("2026-12-11T10:00:00Z", 0, "e"))
    before = status(v, at("2027-06-21T09:59:59Z"))
    assert not before.accepted and not before.overdue and before.reduction_due.at is None
    after = status(v, at("2027-06-21T10:00:00Z"))  # evaluation + 192 days
    assert after.accepted and after.accepted_rule == "VER-TFR-MAV"


def test_the_deadlines_contract_takes_n0_and_refuses_6():
    payload = {"class": "B", "rating": 0, "lev": False, "irv": False, "kev_due": None,
               "detected_at": "2026-12-10T14:00:00Z", "evaluated_at": "2026-12-11T10:00:00Z"}
    out = deadlines_payload(payload, at("2026-12-12T00:00:00Z"))
    assert out["reduction_due"] is None and out["reduction_due_rule"] == "VDR-TFR-PVR"
    assert out["accepted_from"] == "2027-06-21T10:00:00Z"
    with pytest.raises(Cr26Error, match="0 to 5"):
        deadlines_payload({**payload, "rating": 6}, at("2026-12-12T00:00:00Z"))


# ---- a change of class applies from its instant -------------------------------------------

def test_a_clock_started_before_the_class_change_keeps_the_old_class():
    # Class B N5 LEV+IRV: 4 days; Class D: 12 hours. Moved to D after the evaluation.
    change = (ClassChange(at("2026-12-12T00:00:00Z"), B, D),)
    v = vuln(("2026-12-11T10:00:00Z", 5, "e"), cls=D, class_changes=change)
    state = status(v, at("2026-12-12T01:00:00Z"))
    assert state.evaluation_due.at == at("2026-12-17T14:00:00Z")  # B: 7 days from detection
    assert state.reduction_due.at == at("2026-12-15T10:00:00Z")  # B: 4 days
    assert not state.overdue


def test_a_clock_started_after_the_class_change_follows_the_new_class():
    change = (ClassChange(at("2026-12-11T00:00:00Z"), B, D),)
    v = vuln(("2026-12-11T10:00:00Z", 5, "e"), ("2026-12-11T12:00:00Z", 4, "r"), cls=D,
             class_changes=change)
    state = status(v, at("2026-12-11T13:00:00Z"))
    assert state.evaluation_due.at == at("2026-12-17T14:00:00Z")  # detected under B
    assert state.reduction_due.at == at("2026-12-13T12:00:00Z")  # D N4 LEV+IRV: 2 days
    without = status(vuln(("2026-12-11T10:00:00Z", 5, "e"), ("2026-12-11T12:00:00Z", 4, "r"),
                          cls=D), at("2026-12-11T13:00:00Z"))
    assert without.evaluation_due.at == at("2026-12-12T14:00:00Z")  # D everywhere: 2 days


# ---- IEC deadlines -------------------------------------------------------------------------

def test_iec_deadlines_of_an_internet_reachable_n5_in_class_d():
    v = vuln(("2026-12-11T10:00:00Z", 5, "e"), cls=D)
    found = status(v, at("2026-12-11T10:05:00Z")).incident
    assert found.rule == "VER-TFR-IRI" and found.since == EVALUATED
    reports = {r.rule: r for r in found.reports}
    assert reports["IEC-CSO-IIR"].at == at("2026-12-11T10:15:00Z")  # 0.25 hours
    assert reports["IEC-CSO-OIR"].at == at("2026-12-11T13:00:00Z")  # every 3 hours
    assert reports["IEC-CSO-FIR"].at is None  # not resolved yet
    assert all(r.force.value == "MUST" for r in found.reports)


def test_iec_class_a_and_b_count_business_days_and_the_incident_starts_at_its_first_event():
    # Friday evening: one business day is Monday, same time.
    assert add_span(at("2026-12-11T18:00:00Z"), Span(1, "bizdays")) == at("2026-12-14T18:00:00Z")
    deadlines = {d.rule: d for d in iec_deadlines(B, 2, at("2026-12-11T18:00:00Z"),
                                                  ended=at("2026-12-14T09:00:00Z"))}
    assert deadlines["IEC-CSO-IIR"].at == at("2026-12-14T18:00:00Z")
    assert deadlines["IEC-CSO-FIR"].at == at("2026-12-17T09:00:00Z")  # 3 business days
    v = vuln(("2026-12-11T10:00:00Z", 5, "e"), ("2026-12-11T12:00:00Z", 4, "r"), cls=C)
    assert status(v, at("2026-12-11T13:00:00Z")).incident.since == EVALUATED  # still IRI


# ---- scan-coverage cadences ----------------------------------------------------------------

def test_rev5_class_c_cadences_and_their_next_due_dates():
    found = {c.rule: c for c in cadences(C)}
    assert set(found) == {"VDR-TFR-PDD", "VDR-TFR-PCD", "VDR-TFR-PSD", "VDR-TFR-NMV",
                          "VDR-TFR-MVF"}
    assert str(found["VDR-TFR-PDD"].every) == "14 days"
    assert (found["VDR-TFR-NMV"].force.value, str(found["VDR-TFR-NMV"].every)) == ("MUST",
                                                                                 "3 months")
    assert next_due(at("2026-11-30T08:00:00Z"), Every(3, "months")) == at("2027-02-28T08:00:00Z")
    assert next_due(at("2026-12-01T08:00:00Z"), Every(14, "days")) == at("2026-12-15T08:00:00Z")


def test_class_a_has_no_nmv_and_20x_uses_mvx():
    assert "VDR-TFR-NMV" not in {c.rule for c in cadences(CertClass.A, "20x")}
    assert {c.rule for c in cadences(B, "20x")} >= {"VDR-TFR-MVX"}
    assert "VDR-TFR-MVX" not in {c.rule for c in cadences(B)}


def test_the_final_incident_report_runs_from_the_reduction_that_ended_the_treatment():
    # Class C, IRV+LEV N5 from Dec 11 10:00; reduced to N3 (out of VER-TFR-IRI) at 12:00.
    v = vuln(("2026-12-11T10:00:00Z", 5, "e"), ("2026-12-11T12:00:00Z", 3, "r"), cls=C)
    state = status(v, at("2026-12-11T13:00:00Z"))
    assert state.incident is None
    past = state.past_incident
    assert (past.rule, past.since, past.ended) == ("VER-TFR-IRI", EVALUATED,
                                                   at("2026-12-11T12:00:00Z"))
    final = {r.rule: r for r in past.reports}["IEC-CSO-FIR"]
    assert final.at == at("2026-12-11T18:00:00Z")  # Class C N5: 6 hours after the end
    assert status(vuln(("2026-12-11T10:00:00Z", 5, "e"), cls=C),
                  at("2026-12-11T13:00:00Z")).past_incident is None  # still under way
