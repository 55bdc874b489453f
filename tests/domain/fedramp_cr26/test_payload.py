"""The `fedramp deadlines` contract, as a pure function (CR26 issue section 4)."""

from __future__ import annotations

from datetime import datetime

import pytest

from openpoam.domain.fedramp.cr26 import Cr26Error, deadlines_payload

NOW = datetime.fromisoformat("2026-12-14T00:00:00+00:00")
EXAMPLE = {"class": "B", "rating": 4, "lev": True, "irv": False, "kev_due": "2026-12-13",
           "detected_at": "2026-12-10T14:00:00Z", "evaluated_at": "2026-12-12T09:30:00Z"}


def test_it_answers_the_issue_example_with_rules():
    out = deadlines_payload(EXAMPLE, NOW)
    assert out["evaluation_due"] == "2026-12-17T14:00:00Z"  # VER-TFR-EVU Class B 7 days
    assert out["evaluation_due_rule"] == "VER-TFR-EVU"
    assert out["reduction_due"] == "2026-12-13T23:59:59Z"  # KEV before PVR's 32 days
    assert out["reduction_due_rule"] == "VDR-TFR-KEV"
    assert out["accepted_from"] == "2027-06-22T09:30:00Z"  # VER-TFR-MAV 192 days
    assert out["accepted_from_rule"] == "VER-TFR-MAV"
    assert out["rules"]["reduction_due"]["citation"].startswith("VDR-TFR-KEV")
    assert out["overdue"] is True  # past the KEV date at NOW


def test_it_gives_nulls_before_evaluation():
    out = deadlines_payload({**EXAMPLE, "evaluated_at": None, "rating": None, "lev": None,
                             "irv": None, "kev_due": None}, NOW)
    assert out["evaluation_due"] == "2026-12-17T14:00:00Z"
    assert out["reduction_due"] is None and out["accepted_from"] is None


def test_it_gives_null_reduction_for_n1():
    out = deadlines_payload({**EXAMPLE, "rating": 1, "kev_due": None}, NOW)
    assert out["reduction_due"] is None and out["reduction_due_rule"] == "VDR-TFR-RMN"


@pytest.mark.parametrize(("change", "field"), [
    ({"class": "E"}, "class"), ({"rating": 6}, "rating"), ({"lev": "yes"}, "lev"),
    ({"detected_at": "2026-12-10T14:00:00"}, "detected_at"), ({"detected_at": None},
                                                               "detected_at"),
    ({"kev_due": "13/12/2026"}, "kev_due"), ({"evaluated_at": "2026-12-01T00:00:00Z"},
                                             "evaluated_at"),
    ({"rating": None}, "rating"), ({"evaluted_at": "x"}, "evaluted_at"),
])
def test_it_names_the_bad_field(change, field):
    with pytest.raises(Cr26Error, match=field):
        deadlines_payload({**EXAMPLE, **change}, NOW)
