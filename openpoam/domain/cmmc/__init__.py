"""CMMC rules engine: catalogs, scoring, POA&M eligibility, status, closeout, planner.

Pure domain code (no Django, no I/O beyond reading the packaged catalogs, no clock).
See README.md in this folder for the sources and the interpretations taken.
"""

from openpoam.domain.cmmc.affirmations import AffirmationDue, affirmations
from openpoam.domain.cmmc.catalog import Requirement, poam_ineligible, requirements
from openpoam.domain.cmmc.closeout import CloseoutClock, CloseoutOutcome, close_out, closeout_clock
from openpoam.domain.cmmc.errors import CmmcInputError, InvalidResultError, UnknownRequirementError
from openpoam.domain.cmmc.evaluate import NO_STATUS, Evaluation, Gap, StatusKind, evaluate
from openpoam.domain.cmmc.ids import normalize
from openpoam.domain.cmmc.model import Assessment, AssessmentType, Result
from openpoam.domain.cmmc.payload import evaluate_payload, plan_payload
from openpoam.domain.cmmc.planner import Plan, Target, cheapest_cover, plan
from openpoam.domain.cmmc.proposals import PoamProposal, propose_poam, to_poam_item
from openpoam.domain.cmmc.standing import Standing, standing

__all__ = [
    "AffirmationDue", "Assessment", "AssessmentType", "CloseoutClock", "CloseoutOutcome",
    "CmmcInputError", "Evaluation", "Gap", "InvalidResultError", "NO_STATUS", "Plan",
    "PoamProposal", "Requirement", "Result", "Standing", "StatusKind", "Target",
    "UnknownRequirementError",
    "affirmations", "cheapest_cover", "close_out", "closeout_clock", "evaluate",
    "evaluate_payload", "normalize", "plan", "plan_payload", "poam_ineligible", "propose_poam",
    "requirements", "standing", "to_poam_item",
]
