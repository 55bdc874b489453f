"""Recording CMMC assessments and turning their gaps into POA&M items.

Every answer (score, status, eligibility, deadlines) comes from domain.cmmc;
this module only stores inputs and snapshots and calls the item services.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from openpoam.domain import cmmc
from openpoam.domain.cmmc import clock
from openpoam.domain.cmmc.payload import parse_payload
from openpoam.tracker.models import Assessment, AssessmentResult, PoamItem, System
from openpoam.tracker.services import audit
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder

LEVEL_OF = {"cmmc-l1": 1, "cmmc-l2": 2, "cmmc-l3": 3, "nist-800-171": 2}


@transaction.atomic
def record_assessment(actor: Actor, system: System, payload: dict, *,
                      assessed_on: date | None = None, assessor: str = "") -> Assessment:
    """Store an assessment given in the `openpoam cmmc evaluate` input form.

    ``assessed_on`` defaults to the file's CMMC status date: the score history and the
    items made from the gaps carry the assessment's date, never the day it was typed in.
    """
    require(actor, system.organization, "assessment.record")
    try:
        assessment, _ = parse_payload(payload)
        evaluation = cmmc.evaluate(assessment)
        assessed_on = assessed_on or assessment.status_date
        if assessed_on is None:
            raise cmmc.CmmcInputError("the assessment date is needed: the file has no "
                                      "status_date (give --assessed-on)")
        clock.check_assessment_date(assessed_on, assessment.status_date, timezone.localdate())
    except cmmc.CmmcInputError as exc:
        raise ServiceError(f"assessment: {exc}") from None
    row = Assessment.objects.create(
        system=system, level=assessment.level, assessment_type=assessment.assessment_type.value,
        assessed_on=assessed_on, assessor=assessor[:200], status_date=assessment.status_date,
        final_level2_c3pao=assessment.final_level2_c3pao, score=evaluation.score,
        max_score=evaluation.max_score, status=evaluation.status, recorded_by=actor.name)
    AssessmentResult.objects.bulk_create(
        AssessmentResult(assessment=row, requirement=requirement, result=result.value)
        for requirement, result in sorted(evaluation.results.items())
        if result.value != "met")
    audit.record(actor, system.organization, "assessment", str(row.pk), "create",
                 {"level": ("", row.level), "assessment_type": ("", row.assessment_type),
                  "assessed_on": ("", row.assessed_on), "score": ("", row.score),
                  "status": ("", row.status)}, system=system)
    return row


@transaction.atomic
def record_with_items(actor: Actor, system: System, payload: dict, *,
                      assessed_on: date | None = None,
                      assessor: str = "") -> tuple[Assessment, list[PoamItem]]:
    """Record an assessment and create the items for its gaps: both, or neither."""
    row = record_assessment(actor, system, payload, assessed_on=assessed_on, assessor=assessor)
    return row, create_poam_items(actor, row)


def evaluation(assessment: Assessment, today: date | None = None) -> dict:
    """The full evaluation (score, status, reasons, gaps, clock) as the CLI prints it."""
    return cmmc.evaluate_payload(assessment.payload(), today or timezone.localdate())


def latest(system: System) -> Assessment | None:
    return system.assessments.prefetch_related("results").first()


def summary(system: System, today: date | None = None) -> dict | None:
    """What a CMMC system's page shows: latest evaluation and the score history."""
    current = latest(system)
    if current is None:
        return None
    history = [{"assessed_on": a.assessed_on, "type": a.assessment_type, "score": a.score,
                "max_score": a.max_score, "status": a.status,
                "recorded_on": timezone.localdate(a.recorded_at)}
               for a in system.assessments.order_by("assessed_on", "pk")]
    return {"assessment": current, "evaluation": evaluation(current, today), "history": history}


@transaction.atomic
def create_poam_items(actor: Actor, assessment: Assessment) -> list[PoamItem]:
    """One item per NOT MET or partial requirement that has no open item yet.

    Eligible gaps become ordinary items due at the closeout deadline; ineligible
    ones are created too, flagged "must be fixed before the assessment". Items are
    detected on the assessment date, so the deadline (180 days after the status date,
    which is never before the assessment) is never before detection. When the deadline
    has already passed the items are still created, as they are: overdue (Delayed).
    """
    require(actor, assessment.system.organization, "poam.edit")
    result = cmmc.evaluate(parse_payload(assessment.payload())[0])
    open_ids = _open_requirement_items(assessment.system)
    created = []
    for proposal in cmmc.propose_poam(result):
        if proposal.requirement_id in open_ids:
            continue
        data = cmmc.to_poam_item(proposal, "", result.assessment.assessment_type,
                                 detected_on=assessment.assessed_on)
        recorder = Recorder(actor)
        created.append(item_services.create_item(
            actor, assessment.system, title=data.title, detected_on=data.detected_on,
            controls=data.controls, recorder=recorder,
            weakness_description=data.weakness_description, source=data.source.value,
            source_identifier=data.source_identifier, source_detail=data.source_detail,
            original_risk="high" if not proposal.eligible else "moderate",
            scheduled_completion=data.scheduled_completion, comments=data.comments))
    return created


def _open_requirement_items(system: System) -> set[str]:
    rows = (PoamItem.objects.filter(system=system, controls__catalog="cmmc")
            .exclude(status__in=["completed", "risk_accepted", "false_positive"])
            .values_list("controls__control_id", flat=True))
    return set(rows)


def level_for(system: System) -> int | None:
    return LEVEL_OF.get(system.framework)
