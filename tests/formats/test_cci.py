"""CCI -> NIST SP 800-53 Rev 5 controls (DISA CCI List) and their use by the STIG formats.

Spot checks are facts read from DISA's U_CCI_List (Revision 5 references):
CCI-000366 "CM-6 b.", CCI-000070 "AC-17 (4) a.", CCI-000002 "AC-1 a. (1) a.",
CCI-001097 "SC-7 a.", CCI-000015 "AC-2 (1)", CCI-000185 "IA-5 (2) b. (1)",
CCI-001414 "AC-4", CCI-002523 "SC-37" and "SC-37 (1)", CCI-005150 "PM-30 (1)".
CCI-000001 has a Revision 4 reference only; CCI-003392 maps to the Rev 4 privacy
control AP-1, which Revision 5 does not have.
"""

import json
import re
from importlib import resources

import pytest

from openpoam.domain.controls import normalise
from openpoam.domain.findings import Finding
from openpoam.domain.poam import Catalog
from openpoam.formats import stig_common as stig
from openpoam.formats.cci import DATA_FILE, control_sort_key, controls_for, mapping
from openpoam.formats.ckl import CklImporter
from openpoam.formats.cklb import CklbImporter
from tests.paths import REPO, SAMPLES, shared_files

FIXTURES = REPO / "tests" / "formats"


def _checklists(fixture: str, folder: str, pattern: str) -> list:
    """The format's own fixture, then the shared samples (marked: they skip when absent)."""
    samples = [p for p in shared_files(SAMPLES / folder, pattern)
               if p.name != "all-possible-results.ckl"]  # malformed on purpose
    return [FIXTURES / fixture, *(pytest.param(p, marks=pytest.mark.shared) for p in samples)]


CKL_SAMPLES = _checklists("ckl/fixtures/evaluate-stig.ckl", "ckl", "*.ckl")
CKLB_SAMPLES = _checklists("cklb/fixtures/hazards.cklb", "cklb", "*.cklb")


def _document() -> dict:
    text = resources.files("openpoam.formats").joinpath("data", DATA_FILE).read_text(
        encoding="utf-8")
    return json.loads(text)


def test_it_ships_the_cci_list_with_its_source():
    document = _document()
    assert "DISA" in document["_source"] and "U_CCI_List" in document["_source"]
    assert "Rev 5" in document["_source"]
    assert document["_count"] == len(document["mappings"]) > 3000
    assert list(document["mappings"]) == sorted(document["mappings"])


def test_it_holds_only_normalised_sp_800_53_r5_control_ids():
    for cci, controls in _document()["mappings"].items():
        assert re.fullmatch(r"CCI-\d{6}", cci)
        assert controls, cci
        assert list(controls) == sorted(set(controls), key=control_sort_key), cci
        for control in controls:
            assert normalise(Catalog.NIST_800_53_R5, control) == control, (cci, control)


@pytest.mark.parametrize("cci, controls", [
    ("CCI-000366", ("CM-6",)),
    ("CCI-000070", ("AC-17(4)",)),
    ("CCI-000002", ("AC-1",)),
    ("CCI-001097", ("SC-7",)),
    ("CCI-000015", ("AC-2(1)",)),
    ("CCI-000185", ("IA-5(2)",)),
    ("CCI-001414", ("AC-4",)),
    ("CCI-002523", ("SC-37", "SC-37(1)")),
    ("CCI-005150", ("PM-30(1)",)),
])
def test_it_maps_cci_to_its_rev5_control(cci, controls):
    assert mapping()[cci] == controls
    assert controls_for([cci]) == controls


@pytest.mark.parametrize("cci", ["CCI-000001", "CCI-000007", "CCI-003392"])
def test_it_leaves_out_ccis_without_a_rev5_reference(cci):
    assert cci not in mapping()
    assert controls_for([cci]) == ()


def test_it_ignores_unknown_ccis_and_sorts_in_catalog_order():
    assert controls_for(["CCI-999999", "", "not a CCI"]) == ()
    assert controls_for(["CCI-000366", "CCI-999999", "CCI-000366"]) == ("CM-6",)
    assert controls_for(["CCI-000366", "CCI-000070", "CCI-000015", "CCI-000002"]) == (
        "AC-1", "AC-2(1)", "AC-17(4)", "CM-6")
    assert controls_for([" cci-000366 "]) == ("CM-6",)


def test_it_adds_cci_controls_to_those_the_file_names():
    finding = Finding(scope="stig:X", weakness_id="V-1",
                      asset=stig.stig_asset(source="made", host_name="host1"), title="t",
                      ccis=("CCI-000366", "CCI-000070"), controls=("SI-2", "CM-6"))
    assert stig.with_cci_controls(finding) is finding
    assert finding.controls == ("AC-17(4)", "CM-6", "SI-2")


def _check_findings(findings: list[Finding]) -> None:
    assert findings
    for finding in findings:
        assert finding.controls == controls_for(finding.ccis), finding.weakness_id
    assert any(finding.controls for finding in findings)
    assert all(finding.controls for finding in findings
               if any(cci in mapping() for cci in finding.ccis))


@pytest.mark.parametrize("path", CKL_SAMPLES, ids=lambda p: p.name)
def test_it_gives_ckl_findings_the_controls_of_their_ccis(path):
    with open(path, "rb") as stream:
        records = list(CklImporter().parse(stream, source=path.name))
    _check_findings([r for r in records if isinstance(r, Finding)])


@pytest.mark.parametrize("path", CKLB_SAMPLES, ids=lambda p: p.name)
def test_it_gives_cklb_findings_the_controls_of_their_ccis(path):
    with open(path, "rb") as stream:
        records = list(CklbImporter().parse(stream, source=path.name))
    _check_findings([r for r in records if isinstance(r, Finding)])
