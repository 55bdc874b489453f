"""Plain POA&M item proposals from an evaluation's NOT MET requirements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openpoam.domain.cmmc.catalog import Requirement, by_id_any
from openpoam.domain.cmmc.evaluate import Evaluation, Gap
from openpoam.domain.cmmc.model import AssessmentType, Result
from openpoam.domain.poam import Catalog, ControlRef, PoamItemData, Source

MUST_FIX = "must be fixed before the assessment"


@dataclass(frozen=True)
class PoamProposal:
    requirement_id: str  # CMMC ID
    number: str  # NIST SP 800-171 / 800-172 number, or the FAR paragraph at Level 1
    title: str
    eligible: bool
    deduction: int | None
    note: str  # why it may go on the POA&M, or MUST_FIX and why not
    citation: str
    deadline: date | None  # the closeout deadline when known
    result: Result = Result.NOT_MET  # NOT_MET or PARTIAL


def control_refs(requirement: Requirement) -> list[ControlRef]:
    """CMMC ID first, then the NIST SP 800-171 R2 numbers it covers (none at Level 3)."""
    refs = [ControlRef(Catalog.CMMC, requirement.id)]
    refs += [ControlRef(Catalog.NIST_800_171_R2, number) for number in requirement.nist]
    return refs


def propose(gap: Gap, deadline: date | None) -> PoamProposal:
    req = gap.requirement
    if gap.poam_eligible:
        note, due = gap.reason, deadline
    else:
        note, due = f"Not eligible for a POA&M: {MUST_FIX}. {gap.reason}", None
    return PoamProposal(req.id, req.number, _title(gap), gap.poam_eligible, gap.deduction,
                        note, gap.citation, due, gap.result)


def _title(gap: Gap) -> str:
    state = "partially implemented" if gap.result is Result.PARTIAL else "NOT MET"
    return f"{gap.requirement.title} ({state})"


def propose_poam(evaluation: Evaluation) -> list[PoamProposal]:
    """One proposal per NOT MET or partial requirement, in catalog order."""
    deadline = evaluation.closeout_deadline
    return [propose(gap, deadline) for gap in evaluation.gaps]


def to_poam_item(proposal: PoamProposal, poam_id: str, assessment_type: AssessmentType,
                 detected_on: date | None = None) -> PoamItemData:
    """A ``PoamItemData`` the tracker can store; ineligible proposals keep their warning."""
    requirement = by_id_any(proposal.requirement_id)
    state = "partially implemented" if proposal.result is Result.PARTIAL else "NOT MET"
    source = (Source.SELF_ASSESSMENT if assessment_type is AssessmentType.SELF
              else Source.THIRD_PARTY_ASSESSMENT)
    return PoamItemData(
        poam_id=poam_id,
        title=proposal.title,
        weakness_description=f"{requirement.id} {requirement.name} was assessed {state}.",
        source=source,
        source_identifier=requirement.id,
        source_detail=f"CMMC Level {requirement.level} ({assessment_type.value}) assessment",
        controls=control_refs(requirement),
        detected_on=detected_on,
        scheduled_completion=proposal.deadline,
        comments=f"{proposal.note} ({proposal.citation})",
    )
