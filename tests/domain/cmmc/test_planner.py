"""The planner: cheapest fixes before the assessment (§170.21(a)(2)-(3) conditions).

Optimality is checked against brute force on small random cases.
"""

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpoam.domain.cmmc import (Assessment, CmmcInputError, StatusKind, Target, cheapest_cover,
                                  evaluate, plan)
from openpoam.domain.cmmc.catalog import level3
from tests.domain.cmmc.helpers import ELIGIBLE_ONES, LISTED, not_met

COST = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)


def brute_cover(items, need):
    best = None
    for size in range(len(items) + 1):
        for chosen in itertools.combinations(range(len(items)), size):
            if sum(items[i][0] for i in chosen) >= need:
                cost = math.fsum(items[i][1] for i in chosen)
                best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(1, 5), COST), max_size=9), st.integers(-2, 25))
def test_it_finds_the_cheapest_cover_like_brute_force(items, need):
    found = cheapest_cover(items, need)
    expected = brute_cover(items, need)
    if expected is None:
        assert found is None
        return
    cost, chosen = found
    assert sum(items[i][0] for i in chosen) >= need
    assert math.fsum(items[i][1] for i in chosen) == pytest.approx(cost, abs=1e-9)
    assert cost == pytest.approx(expected, abs=1e-9)


L3_IDS = [r.id for r in level3()]


@settings(max_examples=40, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(L3_IDS), COST, min_size=1, max_size=8))
def test_it_plans_level3_as_cheaply_as_brute_force_over_the_evaluator(gap_costs):
    # Oracle: every subset of the gaps, fixed, judged by evaluate() (§170.21(a)(3)).
    assessment = Assessment(3, "DIBCAC", not_met(gap_costs), final_level2_c3pao=True)
    best = None
    for size in range(len(gap_costs) + 1):
        for fixed in itertools.combinations(gap_costs, size):
            results = not_met(set(gap_costs) - set(fixed))
            kind = evaluate(Assessment(3, "DIBCAC", results, final_level2_c3pao=True)).kind
            if kind is not StatusKind.NONE:
                cost = math.fsum(gap_costs[i] for i in fixed)
                best = cost if best is None else min(best, cost)
    result = plan(assessment, gap_costs)
    assert result.feasible
    assert result.total_cost == pytest.approx(best, abs=1e-9)
    assert result.after.kind is not StatusKind.NONE


LEVEL2_POOL = ELIGIBLE_ONES[:30]


@settings(max_examples=25, deadline=None, database=None)
@given(st.integers(20, 25), st.booleans(), st.lists(st.sampled_from(LISTED[:2] + ["3.5.3"]),
                                                    unique=True, max_size=2),
       st.lists(COST, min_size=32, max_size=32))
def test_it_plans_level2_as_cheaply_as_brute_force(ones, fips, ineligible, costs):
    # Oracle: the score rule (110 minus values of what stays NOT MET) and the POA&M rules
    # (nothing ineligible left); subsets of the eligible gaps up to the needed size suffice
    # because every eligible gap is worth at least one point and costs are not negative.
    results = not_met(LEVEL2_POOL[:ones])
    if fips:
        results["3.13.11"] = "partial"
    results.update({i: ("partial" if i == "3.5.3" else "not_met") for i in ineligible})
    cost_of = dict(zip(list(results), costs))
    eligible = [i for i in results if i not in ineligible]
    value = {i: (3 if i == "3.13.11" else 1) for i in eligible}
    need = sum(value.values()) - 22
    must_cost = math.fsum(cost_of[i] for i in ineligible)
    best = math.inf
    for size in range(max(need, 0) + 1):
        for fixed in itertools.combinations(eligible, size):
            if sum(value[i] for i in fixed) >= need:
                best = min(best, must_cost + math.fsum(cost_of[i] for i in fixed))
    result = plan(Assessment(2, "C3PAO", results), cost_of)
    assert result.feasible
    assert result.total_cost == pytest.approx(best, abs=1e-9)
    assert result.after.score >= 88 and result.after.kind is not StatusKind.NONE


def test_it_must_fix_every_ineligible_gap_first():
    # §170.21(a)(2)(ii)-(iii): 5-point, 3-point and listed gaps are never on a POA&M.
    result = plan(Assessment(2, "Self", {**not_met(["3.1.1", "3.1.20", "3.1.3"]),
                                         "3.5.3": "partial"}))
    fixed = [fix.gap.requirement.id for fix in result.fixes]
    assert fixed == ["AC.L2-3.1.1", "AC.L2-3.1.20", "IA.L2-3.5.3"]
    assert result.after.status == "Conditional Level 2 (Self)" and result.after.score == 109
    assert [p.requirement_id for p in result.poam] == ["AC.L2-3.1.3"]


def test_it_picks_the_cheap_fips_fix_over_three_one_pointers():
    # 25 one-pointers + FIPS partial = 28 points; 22 may stay: fix 6 points at least cost.
    results = {**not_met(ELIGIBLE_ONES[:25]), "3.13.11": "partial"}
    costs = {i: 10 for i in ELIGIBLE_ONES[:25]} | {"3.13.11": 12}
    result = plan(Assessment(2, "C3PAO", results), costs)
    assert result.total_cost == 42  # FIPS (3 points, 12) + three one-pointers (30)
    assert result.after.score == 88


def test_it_fixes_everything_for_final():
    result = plan(Assessment(2, "C3PAO", not_met(ELIGIBLE_ONES[:3])), target="final")
    assert len(result.fixes) == 3 and result.after.status == "Final Level 2 (C3PAO)"
    assert result.poam == ()


def test_it_says_why_when_an_ineligible_gap_cannot_be_fixed_in_time():
    result = plan(Assessment(2, "C3PAO", not_met(["3.10.3"])), {"3.10.3": None})
    assert not result.feasible
    assert "PE.L2-3.10.3" in result.reasons[0]


def test_it_says_why_when_too_many_eligible_gaps_cannot_be_fixed():
    results = not_met(ELIGIBLE_ONES[:24])
    result = plan(Assessment(2, "C3PAO", results), {i: None for i in ELIGIBLE_ONES[:24]})
    assert not result.feasible
    assert any("24 points" in reason for reason in result.reasons)


def test_it_says_why_without_a_final_level2_before_level3():
    # §170.18(a)(1).
    result = plan(Assessment(3, "DIBCAC", {"3.1.2e": "not_met"}))
    assert not result.feasible and "Final Level 2 (C3PAO)" in result.reasons[0]


def test_it_fixes_every_level1_gap_as_there_is_no_poam():
    # §170.21(a)(1).
    result = plan(Assessment(1, "Self", {"3.10.4": "not_met", "b.1.i": "not_met"}))
    assert result.feasible and len(result.fixes) == 2
    assert result.after.status == "Final Level 1 (Self)"
    assert "no Conditional status" in result.reasons[0]


def test_it_fixes_the_ssp_first_and_then_scores():
    # §170.24(c)(2)(i)(B)(5): no SSP, no score; 3.12.4 is never on a POA&M.
    result = plan(Assessment(2, "C3PAO", not_met(["3.12.4", "3.1.3"])))
    assert [f.gap.requirement.number for f in result.fixes] == ["3.12.4"]
    assert result.before.score is None and result.after.score == 109


@pytest.mark.parametrize("bad", [-1, "cheap", float("nan"), True])
def test_it_rejects_bad_costs(bad):
    with pytest.raises(CmmcInputError):
        plan(Assessment(2, "C3PAO", not_met(["3.1.3"])), {"3.1.3": bad})


def test_it_rejects_costs_for_unknown_ids():
    with pytest.raises(CmmcInputError, match="3.99.1"):
        plan(Assessment(2, "C3PAO", {}), {"3.99.1": 1})


def test_it_leaves_nothing_to_fix_when_already_conditional():
    result = plan(Assessment(2, "C3PAO", not_met(ELIGIBLE_ONES[:2])), target=Target.CONDITIONAL)
    assert result.fixes == () and result.total_cost == 0
    assert len(result.poam) == 2 and all(p.eligible for p in result.poam)

