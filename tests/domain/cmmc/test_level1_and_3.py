"""Level 1 (§§170.15, 170.21(a)(1), 170.24(c)(1)) and Level 3 (§§170.18, 170.21(a)(3))."""

import pytest

from openpoam.domain.cmmc import Assessment, InvalidResultError, StatusKind, evaluate
from openpoam.domain.cmmc.catalog import level3, poam_ineligible


def l1(results):
    return evaluate(Assessment(1, "Self", results))


def l3(results, prerequisite=True):
    return evaluate(Assessment(3, "DIBCAC", results, final_level2_c3pao=prerequisite))


def test_it_gives_final_level1_when_all_15_are_met():
    ev = l1({"3.10.3": "not_applicable"})
    assert ev.status == "Final Level 1 (Self)" and ev.score is None


def test_it_gives_no_level1_status_for_one_gap_and_no_poam():
    # §170.24(c)(1): "No POA&M is permitted for CMMC Level 1"; no Conditional Level 1.
    ev = l1({"AC.L1-b.1.iii": "not_met"})
    assert ev.status == "No CMMC Status" and not ev.conditional_reachable
    (gap,) = ev.gaps
    assert not gap.poam_eligible and gap.deduction is None
    assert "170.21(a)(1)" in gap.citation


def test_it_fails_b1ix_when_one_of_its_three_nist_parts_fails():
    # Table 2 to §170.15; §170.24(b)(2): one failed objective fails the requirement.
    ev = l1({"3.10.3": "met", "3.10.4": "not_met", "3.10.5": "met"})
    assert [g.requirement.id for g in ev.gaps] == ["PE.L1-b.1.ix"]


def test_it_rejects_partial_at_level1():
    with pytest.raises(InvalidResultError):
        l1({"3.5.2": "partial"})


def test_it_rejects_a_third_party_level1():
    with pytest.raises(ValueError, match="Level 1"):
        Assessment(1, "C3PAO", {})


def eligible_level3(count):
    banned = set(poam_ineligible(3).ids)
    ids = [r.id for r in level3() if r.id not in banned][:count]
    return {req_id: "not_met" for req_id in ids}


def test_it_is_conditional_level3_at_20_of_24():
    # §170.21(a)(3)(i): 20/24 = 0.83 >= 0.8.
    ev = l3(eligible_level3(4))
    assert (ev.score, ev.max_score) == (20, 24)
    assert ev.status == "Conditional Level 3 (DIBCAC)"


def test_it_gives_no_level3_status_at_19():
    # 19/24 = 0.79 < 0.8 (0.8 x 24 = 19.2; RULES.md §6 [interpretation: scores are integers]).
    ev = l3(eligible_level3(5))
    assert ev.score == 19 and ev.kind is StatusKind.NONE


def test_it_keeps_the_7_listed_level3_requirements_off_the_poam():
    # §170.21(a)(3)(ii).
    for req_id in poam_ineligible(3).ids:
        ev = l3({req_id: "not_met"})
        assert ev.score == 23 and not ev.gaps[0].poam_eligible and ev.kind is StatusKind.NONE


def test_it_needs_a_final_level2_c3pao_for_any_level3_status():
    # §170.18(a)(1): Final Level 2 (C3PAO) on the same scope first; Conditional is not enough.
    ev = l3({}, prerequisite=False)
    assert ev.score == 24 and ev.status == "No CMMC Status"
    assert "Final Level 2 (C3PAO)" in ev.reasons[0]
    assert l3({}).status == "Final Level 3 (DIBCAC)"


def test_it_rejects_partial_and_level2_ids_at_level3():
    with pytest.raises(InvalidResultError):
        l3({"3.1.2e": "partial"})
    with pytest.raises(ValueError, match="3.1.1"):
        l3({"3.1.1": "not_met"})
