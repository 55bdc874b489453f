"""CR26 tables and single rules. Each test names the rule it checks (FedRAMP rules 2026.10.08.01)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from openpoam.domain.fedramp.cr26 import (CertClass, Column, Cr26Error, Force, RatingEvent,
                                          Timeframe, report_cadence,
                                          accepted_from, column, evaluation_due, incident,
                                          kev_due_at, reduction_due, reduction_timeframe)

A, B, C, D = CertClass.A, CertClass.B, CertClass.C, CertClass.D


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(("cls", "days"), [(A, 14), (B, 7), (C, 5), (D, 2)])
def test_ver_tfr_evu_evaluation_is_due_n_days_after_detection(cls, days):
    due = evaluation_due(cls, at("2026-12-10T14:00:00Z"))
    assert due.at == at("2026-12-10T14:00:00Z") + timedelta(days=days)
    assert due.rule == "VER-TFR-EVU"


def test_ver_tfr_evu_refuses_a_time_without_a_zone():
    with pytest.raises(Cr26Error, match="time zone"):
        evaluation_due(B, datetime(2026, 12, 10, 14, 0))


def test_ver_tfr_evu_converts_an_offset_to_utc():
    due = evaluation_due(D, datetime.fromisoformat("2026-12-10T09:00:00-05:00"))
    assert due.at == at("2026-12-12T14:00:00Z") and due.at.tzinfo is UTC


# VDR-TFR-PVR, every cell of the table in rulebook section 4 (varies_by_class.*.pain_timeframes).
PVR_CELLS = {
    A: {5: (4, 8, 32), 4: (8, 32, 64), 3: (32, 64, 192), 2: (96, 160, 192)},
    B: {5: (4, 8, 32), 4: (8, 32, 64), 3: (32, 64, 192), 2: (96, 160, 192)},
    C: {5: (2, 4, 16), 4: (4, 8, 64), 3: (16, 32, 128), 2: (48, 128, 192)},
    D: {5: ("12h", 1, 8), 4: (2, 8, 32), 3: (8, 16, 64), 2: (24, 96, 192)},
}


@pytest.mark.parametrize(("cls", "rating", "lev", "irv", "expected"), [
    (cls, rating, lev, irv, cells[i])
    for cls, rows in PVR_CELLS.items() for rating, cells in rows.items()
    for i, (lev, irv) in enumerate([(True, True), (True, False), (False, False)])])
def test_vdr_tfr_pvr_every_cell(cls, rating, lev, irv, expected):
    frame = reduction_timeframe(cls, rating, lev, irv)
    want = Timeframe(12, "hours") if expected == "12h" else Timeframe(expected, "days")
    assert frame == want


def test_vdr_tfr_pvr_the_12_hour_cell_is_class_d_n5_lev_irv():
    evaluated = RatingEvent(at("2026-12-12T21:30:00Z"), 5, lev=True, irv=True)
    due = reduction_due(D, evaluated, None)
    assert due.at == at("2026-12-13T09:30:00Z")  # 12 hours, across midnight
    assert due.rule == "VDR-TFR-PVR" and "12 hours" in due.basis


@pytest.mark.parametrize("cls", list(CertClass))
@pytest.mark.parametrize(("lev", "irv"), [(True, True), (True, False), (False, False)])
def test_vdr_tfr_pvr_n1_has_no_timeframe_in_any_class(cls, lev, irv):
    assert reduction_timeframe(cls, 1, lev, irv) is None
    due = reduction_due(cls, RatingEvent(at("2026-12-12T00:00:00Z"), 1, lev, irv), None)
    assert due.at is None and due.rule == "VDR-TFR-RMN"


def test_vdr_tfr_pvr_nlev_ignores_reachability():
    assert column(False, True) is Column.NLEV and column(False, False) is Column.NLEV
    assert column(True, True) is Column.IRV_LEV and column(True, False) is Column.NIRV_LEV


def test_vdr_tfr_pvr_has_no_deadline_before_evaluation():
    due = reduction_due(B, None, None)
    assert due.at is None and due.rule == "VDR-TFR-PVR"


@pytest.mark.parametrize("rating", [-1, 6, True, "4", None])
def test_ver_eva_epa_ratings_are_0_to_5(rating):
    with pytest.raises(Cr26Error, match="N-rating"):
        reduction_timeframe(B, rating, True, True)


def test_vdr_tfr_kev_due_date_is_the_end_of_that_day_utc():
    assert kev_due_at(date(2026, 12, 13)) == at("2026-12-13T23:59:59Z")


def test_vdr_tfr_kev_caps_the_reduction_when_sooner():
    # Class B N4 LEV+NIRV is 32 days; the KEV date comes first.
    current = RatingEvent(at("2026-12-12T09:30:00Z"), 4, lev=True, irv=False)
    due = reduction_due(B, current, date(2026, 12, 13))
    assert (due.at, due.rule) == (at("2026-12-13T23:59:59Z"), "VDR-TFR-KEV")
    later = reduction_due(B, current, date(2027, 3, 1))
    assert (later.at, later.rule) == (at("2027-01-13T09:30:00Z"), "VDR-TFR-PVR")


def test_vdr_tfr_kev_applies_to_n1_which_has_no_pvr_cell():
    due = reduction_due(C, RatingEvent(at("2026-12-12T09:30:00Z"), 1, True, True),
                        date(2027, 1, 2))
    assert (due.at, due.rule) == (at("2027-01-02T23:59:59Z"), "VDR-TFR-KEV")


def test_ver_tfr_mav_accepted_192_days_after_evaluation():
    due = accepted_from(at("2026-12-12T09:30:00Z"))
    assert (due.at, due.rule) == (at("2027-06-22T09:30:00Z"), "VER-TFR-MAV")
    assert accepted_from(None).at is None


def test_ver_tfr_mav_counts_29_february_in_a_leap_year():
    # 2027-08-31 + 192 days crosses 2028-02-29: 2028-03-10, not 2028-03-11.
    assert accepted_from(at("2027-08-31T12:00:00Z")).at == at("2028-03-10T12:00:00Z")
    # A detection on the leap day itself: Class B, 7 days.
    assert evaluation_due(B, at("2028-02-29T23:00:00Z")).at == at("2028-03-07T23:00:00Z")


def test_vdr_tfr_pvr_month_ends_count_elapsed_days_not_months():
    # Class C N2 LEV+IRV: 48 days from 31 January 2027 (no leap day) is 20 March.
    current = RatingEvent(at("2027-01-31T10:00:00Z"), 2, lev=True, irv=True)
    assert reduction_due(C, current, None).at == at("2027-03-20T10:00:00Z")
    # Class D N4 LEV+IRV: 2 days from 30 April 23:59 crosses the month end.
    current = RatingEvent(at("2027-04-30T23:59:00Z"), 4, lev=True, irv=True)
    assert reduction_due(D, current, None).at == at("2027-05-02T23:59:00Z")


@pytest.mark.parametrize(("cls", "force"), [(A, "MAY"), (B, "MAY"), (C, "SHOULD"),
                                            (D, "SHOULD")])
def test_ver_tfr_iri_irv_lev_above_n3(cls, force):
    for rating in (4, 5):
        found = incident(cls, RatingEvent(at("2026-12-12T00:00:00Z"), rating, True, True))
        assert (found.rule, found.force.value) == ("VER-TFR-IRI", force)
    assert incident(cls, RatingEvent(at("2026-12-12T00:00:00Z"), 3, True, True)) is None
    assert incident(cls, RatingEvent(at("2026-12-12T00:00:00Z"), 5, False, True)) is None


@pytest.mark.parametrize(("cls", "force"), [(A, "MAY"), (B, "MAY"), (C, "MAY"), (D, "SHOULD")])
def test_ver_tfr_nri_nirv_lev_at_n5_only(cls, force):
    found = incident(cls, RatingEvent(at("2026-12-12T00:00:00Z"), 5, True, False))
    assert (found.rule, found.force.value) == ("VER-TFR-NRI", force)
    assert incident(cls, RatingEvent(at("2026-12-12T00:00:00Z"), 4, True, False)) is None


@pytest.mark.parametrize(("cls", "force", "cadence"), [(A, "MAY", "every 1 month"),
                                                       (B, "SHOULD", "every 1 month"),
                                                       (C, "SHOULD", "every 14 days"),
                                                       (D, "SHOULD", "every 7 days")])
def test_ver_tfr_mrh_cadence_by_class(cls, force, cadence):
    assert report_cadence("mrh", cls)[:2] == (Force(force), cadence)
    assert report_cadence("mhr", cls)[2] == "VER-TFR-MHR"
    assert report_cadence("vdt", cls)[2] == "VER-RPT-PER"
