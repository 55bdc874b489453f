"""Level 2 scoring and status: 32 CFR 170.24(c)(2), 170.21(a)(2); DoDAM v1.2.1 §5."""

import pytest

from openpoam.domain.cmmc import InvalidResultError, StatusKind
from tests.domain.cmmc.helpers import ELIGIBLE_ONES, l2, not_met


def test_it_scores_110_and_final_when_everything_is_met():
    # DoDAM §5(b); §170.17(a)(1)(iii): score 110 is Final at once.
    ev = l2({})
    assert (ev.score, ev.max_score, ev.status) == (110, 110, "Final Level 2 (C3PAO)")
    assert ev.kind is StatusKind.FINAL and ev.gaps == ()


def test_it_is_conditional_at_exactly_88():
    # §170.21(a)(2)(i): 88/110 = 0.8 exactly passes.
    ev = l2(not_met(ELIGIBLE_ONES[:22]), kind="Self")
    assert ev.score == 88
    assert ev.status == "Conditional Level 2 (Self)"
    assert ev.conditional_reachable


def test_it_gives_no_status_at_87():
    # §170.21(a)(2)(i): 87/110 < 0.8.
    ev = l2(not_met(ELIGIBLE_ONES[:23]))
    assert ev.score == 87
    assert ev.status == "No CMMC Status" and not ev.conditional_reachable
    assert any("below 88" in reason for reason in ev.reasons)


def test_it_refuses_conditional_for_a_3_point_gap_whatever_the_score():
    # §170.21(a)(2)(ii): nothing above 1 point on the POA&M (3.1.5 is worth 3).
    ev = l2(not_met(["3.1.5"]))
    assert ev.score == 107
    assert ev.status == "No CMMC Status"
    (gap,) = ev.gaps
    assert gap.deduction == 3 and not gap.poam_eligible
    assert gap.citation == "32 CFR 170.21(a)(2)(ii)"


def test_it_refuses_a_5_point_gap():
    ev = l2(not_met(["3.1.1"]))
    assert ev.score == 105 and not ev.gaps[0].poam_eligible and ev.kind is StatusKind.NONE


def test_it_lets_fips_partial_on_the_poam_at_3_points():
    # §170.21(a)(2)(ii) exception; DoDAM §5(e): encryption employed, not FIPS-validated = 3.
    ev = l2({"3.13.11": "partial"})
    (gap,) = ev.gaps
    assert ev.score == 107 and gap.deduction == 3 and gap.poam_eligible
    assert ev.status == "Conditional Level 2 (C3PAO)"


def test_it_refuses_fips_when_no_encryption_at_all():
    # Not employed at all: 5 points, outside the exception.
    ev = l2({"SC.L2-3.13.11": "not_met"})
    (gap,) = ev.gaps
    assert ev.score == 105 and gap.deduction == 5 and not gap.poam_eligible
    assert ev.kind is StatusKind.NONE


def test_it_reaches_88_with_fips_partial_and_19_one_pointers():
    # DoD's own bound (preamble): non-FIPS encryption plus up to 19 one-point requirements.
    ev = l2({"3.13.11": "partial", **not_met(ELIGIBLE_ONES[:19])})
    assert ev.score == 88 and ev.kind is StatusKind.CONDITIONAL
    assert l2({"3.13.11": "partial", **not_met(ELIGIBLE_ONES[:20])}).kind is StatusKind.NONE


def test_it_scores_mfa_partial_at_3_but_keeps_it_off_the_poam():
    # DoDAM §5(e): 3 points if MFA only for remote and privileged users; the §170.21(a)(2)(ii)
    # exception covers 3.13.11 only.
    ev = l2({"IA.L2-3.5.3": "partial"})
    (gap,) = ev.gaps
    assert ev.score == 107 and gap.deduction == 3 and not gap.poam_eligible
    assert ev.kind is StatusKind.NONE
    assert l2({"3.5.3": "not_met"}).score == 105


def test_it_gives_no_score_without_an_ssp():
    # §170.24(c)(2)(i)(B)(5); DoDAM §5(g)(i): no SSP, no score; 3.12.4 has no point value.
    ev = l2({"3.12.4": "not_met", "3.1.3": "not_met"})
    assert ev.score is None and ev.status == "No CMMC Status"
    ssp = next(g for g in ev.gaps if g.requirement.number == "3.12.4")
    assert ssp.deduction is None and not ssp.poam_eligible
    assert "170.21(a)(2)(iii)(C)" in ssp.citation
    assert "could not be completed" in ev.reasons[0]


def test_it_subtracts_nothing_for_not_applicable():
    # §170.24(b)(3): N/A is MET; DoDAM Annex A: "Do not subtract points if ... not permitted".
    ev = l2({"3.1.12": "not_applicable", "3.1.16": "n/a", "3.1.3": "not_met"})
    assert ev.score == 109 and [g.requirement.number for g in ev.gaps] == ["3.1.3"]
    assert any("N/A" in reason for reason in ev.reasons)


def test_it_deducts_even_when_the_item_is_meant_for_the_poam():
    # §170.24(c)(2)(i)(B)(6): a POA&M is not a substitute; the score still drops.
    assert l2(not_met(ELIGIBLE_ONES[:5])).score == 105


@pytest.mark.parametrize("listed, letter", [
    ("3.1.20", "A"), ("3.1.22", "B"), ("3.10.3", "D"), ("3.10.4", "E"), ("3.10.5", "F"),
])
def test_it_keeps_every_listed_requirement_off_the_poam(listed, letter):
    # §170.21(a)(2)(iii)(A)-(F): one-pointers that may never be on a POA&M.
    ev = l2(not_met([listed]))
    (gap,) = ev.gaps
    assert ev.score == 109 and gap.deduction == 1
    assert not gap.poam_eligible
    assert gap.citation == f"32 CFR 170.21(a)(2)(iii)({letter})"
    assert ev.kind is StatusKind.NONE and not ev.conditional_reachable


def test_it_scores_the_minimum_of_minus_203():
    # RULES.md §3.9: everything NOT MET except the SSP.
    from tests.domain.cmmc.helpers import ALL_110
    ev = l2(not_met([r for r in ALL_110 if r != "3.12.4"]))
    assert ev.score == -203


def test_it_rejects_partial_on_any_other_requirement():
    # DoDAM §5(a): partial credit only where built in (3.5.3, 3.13.11).
    with pytest.raises(InvalidResultError, match="'3.1.1'"):
        l2({"3.1.1": "partial"})


def test_it_rejects_conflicting_duplicates():
    with pytest.raises(ValueError, match="twice"):
        l2({"3.1.3": "met", "AC.L2-3.1.3": "not_met"})


def test_it_rejects_an_assessment_type_that_cannot_assess_the_level():
    # §170.17: Level 2 is Self or C3PAO; DIBCAC assesses Level 3.
    with pytest.raises(ValueError, match="DIBCAC"):
        l2({}, kind="DIBCAC")


def test_it_notes_a_wrong_domain_prefix():
    ev = l2({"AC.L2-3.5.3": "partial"})
    assert ev.gaps[0].requirement.id == "IA.L2-3.5.3"
    assert any("read as IA.L2-3.5.3" in reason for reason in ev.reasons)
