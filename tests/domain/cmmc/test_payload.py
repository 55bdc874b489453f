"""The command-line contract: evaluate_payload and plan_payload."""

import json
from datetime import date

import pytest

from openpoam.domain.cmmc import CmmcInputError, evaluate_payload, plan_payload
from tests.domain.cmmc.helpers import ELIGIBLE_ONES

TODAY = date(2026, 4, 1)


def payload(results, **extra):
    return {"level": 2, "assessment_type": "C3PAO", "results": results, **extra}


def test_it_evaluates_a_conditional_level2_with_its_clock():
    # §170.21(a)(2) at exactly 88; §170.21(b) deadline 2026-03-02 + 180 = 2026-08-29.
    results = {i: "not_met" for i in ELIGIBLE_ONES[:22]}
    out = evaluate_payload(payload(results, status_date="2026-03-02"), TODAY)
    assert out["score"] == 88 and out["max_score"] == 110
    assert out["status"] == "Conditional Level 2 (C3PAO)" and out["conditional_reachable"]
    assert out["closeout_deadline"] == "2026-08-29" and out["days_left"] == 150
    assert out["expired"] is False and len(out["closeout_scope"]) == 22
    first = out["requirements"][0]
    assert first == {"id": "AC.L2-3.1.3", "nist": "3.1.3", "name": "Control CUI Flow",
                     "result": "not_met", "deduction": 1, "poam_eligible": True,
                     "reason": first["reason"], "citation": "32 CFR 170.21(a)(2)(ii)"}
    json.dumps(out)  # JSON-ready


def test_it_lists_partial_and_not_met_but_not_na():
    out = evaluate_payload(payload({"3.1.3": "not_met", "IA.L2-3.5.3": "partial",
                                    "3.1.12": "not_applicable"}), TODAY)
    assert [r["id"] for r in out["requirements"]] == ["AC.L2-3.1.3", "IA.L2-3.5.3"]
    assert out["score"] == 106 and out["status"] == "No CMMC Status"
    assert out["closeout_deadline"] is None


def test_it_returns_a_null_score_without_an_ssp():
    out = evaluate_payload(payload({"3.12.4": "not_met"}), TODAY)
    assert out["score"] is None and out["status"] == "No CMMC Status"


def test_it_shows_an_expired_conditional_as_no_current_status():
    # §170.21(b): expired from status date + 181.
    out = evaluate_payload(payload({"3.1.3": "not_met"}, status_date="2026-03-02"),
                           date(2026, 8, 30))
    assert out["status"] == "Conditional Level 2 (C3PAO)"
    assert out["expired"] is True and out["current_status"] == "No CMMC Status"


def test_it_evaluates_level1_and_level3():
    l1 = evaluate_payload({"level": 1, "assessment_type": "Self",
                           "results": {"3.10.4": "not_met"}}, TODAY)
    assert l1["requirements"][0]["id"] == "PE.L1-b.1.ix" and l1["score"] is None
    l3 = evaluate_payload({"level": 3, "assessment_type": "DIBCAC", "final_level2_c3pao": True,
                           "results": {"3.1.2e": "not_met"}}, TODAY)
    assert (l3["score"], l3["max_score"], l3["status"]) == (
        23, 24, "Conditional Level 3 (DIBCAC)")


def test_it_plans_with_costs_from_a_file():
    results = {i: "not_met" for i in ELIGIBLE_ONES[:24]}
    costs = {"*": 5, ELIGIBLE_ONES[5]: 1, ELIGIBLE_ONES[9]: 2.5, "_comment": "per requirement"}
    out = plan_payload(payload(results), "conditional", costs, TODAY)
    assert out["feasible"] and out["total_cost"] == 3.5
    assert [f["nist"] for f in out["fix_before_assessment"]] == [ELIGIBLE_ONES[5],
                                                                ELIGIBLE_ONES[9]]
    assert out["score_before"] == 86 and out["score"] == 88
    assert out["status"] == "Conditional Level 2 (C3PAO)" and len(out["poam"]) == 22
    json.dumps(out)


def test_it_plans_for_final_with_equal_default_costs():
    out = plan_payload(payload({"3.1.3": "not_met"}), "final", None, TODAY)
    assert out["total_cost"] == 1 and out["status"] == "Final Level 2 (C3PAO)"


@pytest.mark.parametrize("bad", [
    [],
    {"level": 4, "assessment_type": "Self"},
    {"level": "12", "assessment_type": "C3PAO"},
    {"level": 2},
    {"level": 2, "assessment_type": "Auditor"},
    {"level": 2, "assessment_type": "DIBCAC"},
    payload({"3.1.99": "not_met"}),
    payload({"3.1.1": "partial"}),
    payload({"3.1.1": "broken"}),
    payload({}, status_date="02/03/2026"),
    payload({}, status_data="2026-03-02"),
    payload([]),
    {"level": 3, "assessment_type": "DIBCAC", "final_level2_c3pao": "yes"},
])
def test_it_raises_one_error_type_with_a_one_line_message(bad):
    with pytest.raises(CmmcInputError) as caught:
        evaluate_payload(bad, TODAY)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("target, costs", [
    ("maybe", None), ("final", []), ("final", {"3.1.3": -2}), ("final", {"3.1.42": 1}),
])
def test_it_rejects_bad_plan_arguments(target, costs):
    with pytest.raises(CmmcInputError):
        plan_payload(payload({"3.1.3": "not_met"}), target, costs, TODAY)
