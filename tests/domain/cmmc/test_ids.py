"""ID normalisation (RULES.md §1 ID forms; §10.5 typos in the Federal Register text)."""

import pytest

from openpoam.domain.cmmc import CmmcInputError, UnknownRequirementError, normalize


@pytest.mark.parametrize("raw", ["3.1.1", "AC.L2-3.1.1", "ac.l2-3.1.1", " 3.1.1 ", "AC L2-3.1.1"])
def test_it_accepts_the_nist_number_or_the_cmmc_id(raw):
    assert normalize(raw, 2) == "AC.L2-3.1.1"


@pytest.mark.parametrize("raw, expected", [
    ("IA-L2-3.5.1", "IA.L2-3.5.1"),  # §170.24 typo: hyphen for dot
    ("IA-L2-3.5.2", "IA.L2-3.5.2"),
    ("AC.L2- 3.1.19", "AC.L2-3.1.19"),  # §170.24 typo: stray space
])
def test_it_reads_the_rules_own_typos(raw, expected):
    assert normalize(raw, 2) == expected


@pytest.mark.parametrize("raw, expected", [
    ("AC.L1-b.1.i", "AC.L1-b.1.i"),
    ("b.1.xv", "SI.L1-b.1.xv"),
    ("SI.L1-B.1.XV", "SI.L1-b.1.xv"),
    ("3.1.1", "AC.L1-b.1.i"),
    ("3.10.4", "PE.L1-b.1.ix"),  # table 2 to §170.15: b.1.ix split by phrase
    ("AC.L1-3.1.1", "AC.L1-b.1.i"),  # older CMMC 2.0 v2.0 practice numbering
])
def test_it_takes_level1_ids_or_their_17_nist_numbers(raw, expected):
    assert normalize(raw, 1) == expected


@pytest.mark.parametrize("raw", ["3.1.2e", "AC.L3-3.1.2e", "ac.l3-3.1.2E"])
def test_it_takes_level3_ids(raw):
    assert normalize(raw, 3) == "AC.L3-3.1.2e"


@pytest.mark.parametrize("raw, level", [
    ("3.1.99", 2), ("3.1.2e", 2), ("AC.L3-3.1.2e", 2), ("3.1.2", 3), ("3.1.3", 1),
    ("b.1.xvi", 1), ("AC.L2-3.1.1", 3), ("", 2), ("hello", 2),
])
def test_it_rejects_unknown_ids_naming_them(raw, level):
    with pytest.raises(UnknownRequirementError) as caught:
        normalize(raw, level)
    assert repr(raw) in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CmmcInputError)
    assert "\n" not in str(caught.value)


def test_it_reads_a_wrong_domain_by_number_unless_strict():
    # The number is unambiguous; a contradicting prefix is reported, or rejected in strict mode.
    assert normalize("AC.L2-3.5.3", 2) == "IA.L2-3.5.3"
    with pytest.raises(UnknownRequirementError, match="belongs to IA"):
        normalize("AC.L2-3.5.3", 2, strict=True)
