"""The catalogs against the totals of RULES.md §§1, 3, 5, 6 and DoDAM v1.2.1 Annex A."""

import re
from collections import Counter

import pytest

from openpoam.domain.cmmc import catalog
from tests.domain.cmmc.helpers import ALL_110, ELIGIBLE_ONES, FIVE, ONES, THREE
from tests.paths import REFERENCE

RULES = REFERENCE / "cmmc" / "RULES.md"


def test_it_has_110_level2_requirements_in_the_family_counts():
    # §170.14(c)(3); RULES.md §1: AC 22, AT 3, AU 9, CM 9, IA 11, IR 3, MA 6, MP 9, PS 2,
    # PE 6, RA 3, CA 4, SC 16, SI 7.
    reqs = catalog.level2()
    assert [r.number for r in reqs] == ALL_110
    assert Counter(r.family for r in reqs) == {
        "AC": 22, "AT": 3, "AU": 9, "CM": 9, "IA": 11, "IR": 3, "MA": 6, "MP": 9, "PS": 2,
        "PE": 6, "RA": 3, "CA": 4, "SC": 16, "SI": 7}
    assert all(r.id == f"{r.family}.L2-{r.number}" for r in reqs)


def test_it_counts_each_point_value_as_the_dodam_does():
    # RULES.md §3 totals: 44 five-point (42 + 3.5.3, 3.13.11), 14 three-point, 51 one-point,
    # 3.12.4 with no value.
    values = Counter(r.points for r in catalog.level2())
    assert values == {5: 44, 3: 14, 1: 51, None: 1}


def test_it_matches_the_dodam_lists_value_by_value():
    # DoDAM §5(d) / Annex A lists as compiled in RULES.md §3.
    points = {r.number: r.points for r in catalog.level2()}
    assert {n for n, p in points.items() if p == 5} == set(FIVE)
    assert {n for n, p in points.items() if p == 3} == set(THREE)
    assert {n for n, p in points.items() if p == 1} == set(ONES)
    assert points["3.12.4"] is None


def test_it_sums_to_313_so_the_range_is_110_to_minus_203():
    # RULES.md §3.9: 110 - (44*5 + 14*3 + 51*1 + 0) = -203.
    total = sum(r.points or 0 for r in catalog.level2())
    assert total == 313
    assert 110 - total == -203


def test_it_gives_partial_credit_only_to_mfa_and_fips():
    # DoDAM §5(e); 32 CFR 170.24(c)(2)(i)(B)(4): 3 points partial for 3.5.3 and 3.13.11.
    partial = {r.number: r.partial_points for r in catalog.level2() if r.partial_points}
    assert partial == {"3.5.3": 3, "3.13.11": 3}


def test_it_marks_basic_requirements_as_in_nist_800_171():
    # 31 basic (23 five-point + 7 three-point + 3.12.4); the rest derived.
    kinds = Counter(r.kind for r in catalog.level2())
    assert kinds == {"basic": 31, "derived": 79}
    assert {r.number for r in catalog.level2() if r.kind == "basic" and r.points == 1} == set()


def test_it_maps_15_level1_requirements_to_17_nist_ones():
    # §170.14(c)(2); table 2 to §170.15 (b.1.ix split into 3.10.3-3.10.5).
    reqs = catalog.level1()
    assert len(reqs) == 15
    assert reqs[0].id == "AC.L1-b.1.i" and reqs[-1].id == "SI.L1-b.1.xv"
    nist = [n for r in reqs for n in r.nist]
    assert sorted(nist) == sorted("3.1.1 3.1.2 3.1.20 3.1.22 3.5.1 3.5.2 3.8.3 3.10.1 3.10.3 "
                                  "3.10.4 3.10.5 3.13.1 3.13.5 3.14.1 3.14.2 3.14.4 3.14.5".split())
    assert catalog.by_id(1)["PE.L1-b.1.ix"].nist == ("3.10.3", "3.10.4", "3.10.5")


def test_it_has_24_level3_requirements_worth_one_point_each():
    # Table 1 to §170.14(c)(4); §170.24(c)(3).
    reqs = catalog.level3()
    assert len(reqs) == 24
    assert {r.points for r in reqs} == {1}
    assert reqs[0].id == "AC.L3-3.1.2e"
    assert all(r.number.endswith("e") and r.id == f"{r.family}.L3-{r.number}" for r in reqs)


def test_it_lists_6_and_7_requirements_never_on_a_poam():
    # 32 CFR 170.21(a)(2)(iii)(A)-(F) and (a)(3)(ii).
    l2 = catalog.poam_ineligible(2)
    assert l2.ids == ("AC.L2-3.1.20", "AC.L2-3.1.22", "CA.L2-3.12.4", "PE.L2-3.10.3",
                      "PE.L2-3.10.4", "PE.L2-3.10.5")
    assert set(catalog.poam_ineligible(3).ids) == {
        "IR.L3-3.6.1e", "IR.L3-3.6.2e", "RA.L3-3.11.1e", "RA.L3-3.11.6e", "RA.L3-3.11.7e",
        "RA.L3-3.11.4e", "SI.L3-3.14.3e"}
    assert set(l2.ids) <= set(catalog.by_id(2)) and set(catalog.poam_ineligible(3).ids) <= set(
        catalog.by_id(3))


def test_it_leaves_46_eligible_one_pointers():
    # RULES.md §5: "the 46 one-point requirements that are not on the (iii) list".
    assert len(ELIGIBLE_ONES) == 46


def test_it_heads_every_data_file_with_its_sources():
    sources = catalog.sources()
    assert len(sources) == 4
    assert all(lines and all(isinstance(line, str) for line in lines)
               for lines in sources.values())


def test_it_caches_the_catalog():
    assert catalog.level2() is catalog.level2()


@pytest.mark.shared
def test_it_agrees_with_the_lists_written_in_the_rulebook():
    # Read the §3 lists straight from RULES.md so a typo in either place shows up.
    text = RULES.read_text(encoding="utf-8")

    def listed(after: str) -> set[str]:
        chunk = text.split(after, 1)[1].split(".\n", 1)[0]
        return set(re.findall(r"3\.\d+\.\d+", chunk))

    five = listed("The 23 basic requirements are") | listed("The 19 derived requirements are")
    three = listed("The 7 basic requirements are") | listed("The 7 derived requirements are")
    points = {r.number: r.points for r in catalog.level2()}
    # The 19-derived sentence goes on to add 3.5.3 and 3.13.11 (worth 5 at full).
    assert len(five) == 44 and all(points[n] == 5 for n in five)
    assert len(three) == 14 and all(points[n] == 3 for n in three)
    assert "| Sum of values at maximum deduction | 313" in text
