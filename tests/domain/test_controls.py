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
