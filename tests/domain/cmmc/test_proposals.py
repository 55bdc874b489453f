"""POA&M item proposals from NOT MET requirements (§170.24(c)(2)(i)(B)(6): every NOT MET
requirement goes on the POA&M; §170.21(a)(2)(ii)-(iii): which may)."""

from datetime import date

from openpoam.domain.cmmc import AssessmentType, propose_poam, to_poam_item
from openpoam.domain.cmmc.proposals import MUST_FIX
from openpoam.domain.poam import Catalog, Source
from tests.domain.cmmc.helpers import ELIGIBLE_ONES, STATUS_DATE, l2, not_met


def test_it_proposes_one_item_per_gap_with_the_closeout_deadline():
    ev = l2({**not_met(["3.1.3"]), "3.13.11": "partial"}, status_date=STATUS_DATE)
    proposals = propose_poam(ev)
    assert [p.requirement_id for p in proposals] == ["AC.L2-3.1.3", "SC.L2-3.13.11"]
    assert all(p.eligible and p.deadline == date(2026, 8, 29) for p in proposals)
    assert proposals[0].title == "AC.L2-3.1.3 Control CUI Flow (NOT MET)"
    assert "partially implemented" in proposals[1].title


def test_it_flags_ineligible_gaps_as_must_fix_without_a_deadline():
    ev = l2(not_met(["3.1.20", "3.1.3"]), status_date=STATUS_DATE)
    listed = next(p for p in propose_poam(ev) if p.requirement_id == "AC.L2-3.1.20")
    assert not listed.eligible and MUST_FIX in listed.note and listed.deadline is None


def test_it_has_no_deadline_when_the_status_date_is_unknown():
    assert propose_poam(l2(not_met(ELIGIBLE_ONES[:2])))[0].deadline is None


def test_it_builds_a_poam_item_with_both_catalog_references():
    ev = l2(not_met(["3.1.3"]), kind="Self", status_date=STATUS_DATE)
    item = to_poam_item(propose_poam(ev)[0], "POAM-2026-0001", AssessmentType.SELF,
                        detected_on=STATUS_DATE)
    assert item.poam_id == "POAM-2026-0001" and item.source is Source.SELF_ASSESSMENT
    assert [(c.catalog, c.control_id) for c in item.controls] == [
        (Catalog.CMMC, "AC.L2-3.1.3"), (Catalog.NIST_800_171_R2, "3.1.3")]
    assert item.scheduled_completion == date(2026, 8, 29)
    assert "170.21(a)(2)(ii)" in item.comments
