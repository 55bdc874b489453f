"""The command-line contract as pure functions: JSON-ready dict in, JSON-ready dict out.

``openpoam cmmc evaluate FILE`` calls ``evaluate_payload``; ``openpoam cmmc plan FILE``
calls ``plan_payload``. Both raise only ``CmmcInputError`` (a ValueError) with a
one-line message on bad input. Input (requirements not listed are MET):

    {"level": 2, "assessment_type": "C3PAO",
     "results": {"3.1.3": "not_met", "IA.L2-3.5.3": "partial", "3.1.12": "not_applicable"},
     "status_date": "2026-03-02"}

Optional keys: "final_level2_c3pao" (Level 3 prerequisite, default false) and
"last_affirmed" (date of the latest SPRS affirmation). Keys starting with "_" are
comments and are ignored.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from openpoam.domain.cmmc import catalog, clock
from openpoam.domain.cmmc.affirmations import affirmations
from openpoam.domain.cmmc.closeout import closeout_clock
from openpoam.domain.cmmc.errors import CmmcInputError
from openpoam.domain.cmmc.evaluate import Evaluation, Gap, StatusKind, evaluate
from openpoam.domain.cmmc.model import Assessment, AssessmentType
from openpoam.domain.cmmc.planner import DEFAULT_COST, Plan, plan
from openpoam.domain.cmmc.proposals import PoamProposal, propose_poam
from openpoam.domain.cmmc.standing import standing

KEYS = ("level", "assessment_type", "results", "status_date", "final_level2_c3pao",
        "last_affirmed")
DEFAULT_COST_KEY = "*"  # in a costs file: the cost of every requirement not listed


def evaluate_payload(payload: dict, today: date) -> dict:
    """Evaluate one assessment; see the module docstring for the input."""
    assessment, last_affirmed = parse_payload(payload)
    evaluation = evaluate(assessment)
    out = _evaluation_dict(evaluation)
    out.update(_dates(evaluation, today, last_affirmed))
    out["poam"] = [_proposal_dict(p) for p in propose_poam(evaluation)]
    return out


def plan_payload(payload: dict, target: str, costs: dict | None, today: date) -> dict:
    """The cheapest fixes before the assessment to reach ``target`` (conditional|final)."""
    assessment, _ = parse_payload(payload)
    the_plan = plan(assessment, _parse_cost_file(assessment.level, costs), target)
    return _plan_dict(the_plan)


# ------------------------------------------------------------------ input


def parse_payload(payload: Any) -> tuple[Assessment, date | None]:
    if not isinstance(payload, dict):
        raise CmmcInputError("the assessment must be a JSON object")
    unknown = [key for key in payload if key not in KEYS and not str(key).startswith("_")]
    if unknown:
        raise CmmcInputError(f"unknown key {unknown[0]!r}; allowed: {', '.join(KEYS)}")
    if "level" not in payload or "assessment_type" not in payload:
        raise CmmcInputError("the assessment needs \"level\" and \"assessment_type\"")
    results = payload.get("results")
    results = {} if results is None else results
    if not isinstance(results, dict):
        raise CmmcInputError("\"results\" must be an object of requirement ID -> result")
    flag = payload.get("final_level2_c3pao", False)
    if not isinstance(flag, bool):
        raise CmmcInputError("\"final_level2_c3pao\" must be true or false")
    assessment = Assessment(_level(payload["level"]),
                            AssessmentType.parse(payload["assessment_type"]),
                            results, _date(payload.get("status_date"), "status_date"), flag)
    return assessment, _date(payload.get("last_affirmed"), "last_affirmed")


def _level(raw: Any) -> int:
    if isinstance(raw, bool) or str(raw).strip() not in ("1", "2", "3"):
        raise CmmcInputError(f"level must be 1, 2 or 3, not {raw!r}")
    return int(str(raw).strip())


def _date(raw: Any, key: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise CmmcInputError(f"{key} must be a date YYYY-MM-DD, not {raw!r}") from None


def _parse_cost_file(level: int, costs: Any) -> dict[str, float | None] | None:
    """Costs keyed by requirement ID; "*" sets the default; "_" keys are comments."""
    if costs is None:
        return None
    if not isinstance(costs, dict):
        raise CmmcInputError("costs must be a JSON object of requirement ID -> number")
    listed = {key: value for key, value in costs.items()
              if key != DEFAULT_COST_KEY and not str(key).startswith("_")}
    if DEFAULT_COST_KEY not in costs:
        return listed
    default = costs[DEFAULT_COST_KEY]
    everyone: dict[str, float | None] = {r.id: default for r in catalog.requirements(level)}
    everyone.update(listed)  # later keys in any ID form still win after normalising
    return everyone


# ------------------------------------------------------------------ output


def _evaluation_dict(evaluation: Evaluation) -> dict:
    return {
        "level": evaluation.level,
        "assessment_type": evaluation.assessment.assessment_type.value,
        "score": evaluation.score,
        "max_score": evaluation.max_score,
        "status": evaluation.status,
        "status_kind": evaluation.kind.value,
        "conditional_reachable": evaluation.conditional_reachable,
        "requirements": [_gap_dict(gap) for gap in evaluation.gaps],
        "reasons": list(evaluation.reasons),
    }


def _gap_dict(gap: Gap) -> dict:
    req = gap.requirement
    out = {"id": req.id, "nist": ", ".join(req.nist) if req.level == 1 else req.number,
           "name": req.name, "result": gap.result.value, "deduction": gap.deduction,
           "poam_eligible": gap.poam_eligible, "reason": gap.reason, "citation": gap.citation}
    if req.level == 1:
        out["far"] = req.number
    return out


def _dates(evaluation: Evaluation, today: date, last_affirmed: date | None) -> dict:
    status_date = evaluation.status_date
    running = closeout_clock(evaluation, today)
    out: dict[str, Any] = {
        "status_date": _iso(status_date),
        "closeout_deadline": _iso(running.deadline) if running else None,
        "days_left": running.days_left if running else None,
        "expired": running.expired if running else None,
        "closeout_scope": list(running.scope) if running else [],
        "valid_until": None,  # last day the status counts as current
        "reassessment_due": None,
        "affirmations": [{"due": _iso(a.due), "event": a.event, "citation": a.citation}
                         for a in affirmations(evaluation, last_affirmed)],
    }
    if status_date is not None and evaluation.kind is not StatusKind.NONE:
        # A Final after closeout keeps the Conditional date (§170.4), so the reassessment
        # date is the same for a Final at once and a Final after closeout.
        reassessment = clock.status_valid_until(evaluation.level, status_date)
        out["reassessment_due"] = _iso(reassessment)
        out["valid_until"] = _iso(running.deadline if running else reassessment)
    now = standing(evaluation, today)
    out["current_status"] = now.status
    out["status_held"] = now.held
    out["lapsed_on"] = _iso(now.lapsed_on)
    out["status_summary"] = now.summary
    if now.note:
        out["reasons"] = [*evaluation.reasons, now.note]
    return out


def _proposal_dict(proposal: PoamProposal) -> dict:
    return {"id": proposal.requirement_id, "number": proposal.number, "title": proposal.title,
            "eligible": proposal.eligible, "deduction": proposal.deduction,
            "note": proposal.note, "citation": proposal.citation,
            "deadline": _iso(proposal.deadline)}


def _plan_dict(the_plan: Plan) -> dict:
    before, after = the_plan.before, the_plan.after
    return {
        "level": before.level,
        "assessment_type": before.assessment.assessment_type.value,
        "target": the_plan.target.value,
        "feasible": the_plan.feasible,
        "fix_before_assessment": [
            {**_gap_dict(fix.gap), "cost": _number(fix.cost), "why": fix.why}
            for fix in the_plan.fixes],
        "total_cost": _number(the_plan.total_cost),
        "score_before": before.score,
        "status_before": before.status,
        "score": after.score,
        "max_score": after.max_score,
        "status": after.status,
        "poam": [_proposal_dict(p) for p in the_plan.poam],
        "reasons": list(the_plan.reasons),
    }


def _number(value: float) -> float | int | None:
    if math.isinf(value):
        return None
    return int(value) if float(value).is_integer() else value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


__all__ = ["evaluate_payload", "plan_payload", "parse_payload", "CmmcInputError",
           "DEFAULT_COST"]
