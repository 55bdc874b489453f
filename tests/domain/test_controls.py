import pytest

from openpoam.domain.controls import ControlIdError, normalise, parse_ref
from openpoam.domain.poam import Catalog


@pytest.mark.parametrize("catalog,raw,expected", [
    (Catalog.NIST_800_171_R2, "3.1.1", "3.1.1"),
    (Catalog.NIST_800_171_R2, " 3.13.11 ", "3.13.11"),
    (Catalog.CMMC, "ac.l2-3.1.1", "AC.L2-3.1.1"),
    (Catalog.CMMC, "AC.L1-b.1.i", "AC.L1-b.1.i"),
    (Catalog.CMMC, "SI.L1-B.1.XV", "SI.L1-b.1.xv"),
    (Catalog.CMMC, "AC.L3-3.1.2e", "AC.L3-3.1.2e"),
    (Catalog.NIST_800_53_R5, "ac-2", "AC-2"),
    (Catalog.NIST_800_53_R5, "AC-2 (1)", "AC-2(1)"),
    (Catalog.NIST_800_53_R5, "ac-2.1", "AC-2(1)"),
])
def test_it_normalises_valid_ids(catalog, raw, expected):
    assert normalise(catalog, raw) == expected


@pytest.mark.parametrize("catalog,raw", [
    (Catalog.NIST_800_171_R2, "3.15.1"),
    (Catalog.NIST_800_171_R2, "AC-2"),
    (Catalog.CMMC, "XX.L2-3.1.1"),
    (Catalog.CMMC, "AC.L4-3.1.1"),
    (Catalog.NIST_800_53_R5, "ZZ-1"),
    (Catalog.NIST_800_53_R5, "AC2"),
])
def test_it_rejects_ids_of_the_wrong_shape_naming_the_catalog(catalog, raw):
    with pytest.raises(ControlIdError, match=catalog.label.replace(" ", ".")):
        normalise(catalog, raw)


def test_it_guesses_the_catalog_from_the_id():
    assert parse_ref("3.5.3").catalog is Catalog.NIST_800_171_R2
    assert parse_ref("IA.L2-3.5.3").catalog is Catalog.CMMC
    assert parse_ref("SI-2(2)").control_id == "SI-2(2)"
    assert parse_ref("nist-800-53r5:ra-5").control_id == "RA-5"
    with pytest.raises(ControlIdError, match="unknown control catalog"):
        parse_ref("iso:A.5.1")


def test_a_reference_outside_every_catalog_names_the_systems_catalog_and_why():
    from openpoam.domain.controls import catalog_for, parse_for_system
    from openpoam.domain.poam import Framework

    assert catalog_for(Framework.CMMC_L2) is Catalog.NIST_800_171_R2
    assert catalog_for(Framework.FEDRAMP_HIGH) is Catalog.NIST_800_53_R5
    with pytest.raises(ControlIdError) as cmmc:
        parse_for_system("3.99.1", Framework.CMMC_L1)
    assert str(cmmc.value) == (
        "'3.99.1' is not a NIST SP 800-171 Rev 2 identifier, the catalog that applies to CMMC "
        "Level 1 systems: there is no family 3.99 (the families are 3.1 to 3.14)")
    with pytest.raises(ControlIdError, match="applies to RMF systems: XY is not a NIST SP "
                                             "800-53 family"):
        parse_for_system("XY-2", Framework.RMF)
    # What parse_ref accepts is accepted for every system, as before.
    assert parse_for_system("AC-2(1)", Framework.CMMC_L2).catalog is Catalog.NIST_800_53_R5
    assert parse_for_system("3.1.1", Framework.FEDRAMP_LOW).catalog is Catalog.NIST_800_171_R2
