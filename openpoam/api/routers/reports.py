"""Quality checks, metrics and CMMC assessments (record, evaluate, plan)."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openpoam.api import lookups, pagination
from openpoam.api.errors import ApiError
from openpoam.api.schemas import (ERRORS, AssessmentIn, AssessmentOut, AssessmentPage,
                                  ChecksOut, ChecksParams, EvaluateIn, MetricsOut, PageParams,
                                  PlanIn)
from openpoam.domain import cmmc
from openpoam.reviews.services import quality
from openpoam.reviews.services.metrics import system_metrics
from openpoam.tracker.documents import to_jsonable
from openpoam.tracker.models import Assessment
from openpoam.tracker.services import assessments
from openpoam.tracker.services.summary import summaries

router = Router()


@router.get("/orgs/{org}/systems/{system}/checks", response={200: ChecksOut, **ERRORS},
            tags=["checks"],
            summary="POA&M quality checks as a gate: `passed` is false when a finding at "
                    "`fail_on` level or worse is found (`openpoam check` exits 1 then)")
def quality_checks(request: HttpRequest, org: str, system: str, params: Query[ChecksParams]):
    found = lookups.system(request, org, system)
    return quality.gate(found, params.today or timezone.localdate(), emass=params.emass,
                        fail_on=params.fail_on)


@router.get("/orgs/{org}/systems/{system}/metrics", response={200: MetricsOut, **ERRORS},
            tags=["metrics"], summary="Counts per status and delayed (the web list's), and the "
                                      "progress metrics of `openpoam metrics`")
def metrics(request: HttpRequest, org: str, system: str, today: date | None = None):
    found = lookups.system(request, org, system)
    today = today or timezone.localdate()
    summary = summaries([found.pk], today)[found.pk]
    return {"total": summary.total, "active": summary.active, "delayed": summary.delayed,
            "by_status": {entry.value: entry.count for entry in summary.by_status},
            "progress": system_metrics(found, today).to_dict()}


def _assessment_out(row: Assessment, created: list[str] | None = None) -> dict:
    return {"id": row.pk, "level": row.level, "assessment_type": row.assessment_type,
            "assessed_on": row.assessed_on, "assessor": row.assessor, "score": row.score,
            "max_score": row.max_score, "status": row.status, "recorded_by": row.recorded_by,
            "created_items": created or []}


@router.get("/orgs/{org}/systems/{system}/assessments",
            response={200: AssessmentPage, **ERRORS}, tags=["assessments"],
            summary="A system's recorded assessments, newest first")
def list_assessments(request: HttpRequest, org: str, system: str, params: Query[PageParams]):
    found = lookups.system(request, org, system)
    rows, cursor = pagination.by_pk(found.assessments.all(), params.cursor or None,
                                    params.limit, newest_first=True)
    return {"assessments": [_assessment_out(a) for a in rows], "next_cursor": cursor}


@router.post("/orgs/{org}/systems/{system}/assessments",
             response={201: AssessmentOut, **ERRORS}, tags=["assessments"],
             summary="Record a CMMC assessment; to_poam also opens items for its gaps")
def record_assessment(request: HttpRequest, org: str, system: str, payload: AssessmentIn):
    found = lookups.system(request, org, system)
    actor = lookups.actor(request)
    row = assessments.record_assessment(actor, found, payload.assessment,
                                        assessed_on=payload.assessed_on or timezone.localdate(),
                                        assessor=payload.assessor)
    created = assessments.create_poam_items(actor, row) if payload.to_poam else []
    return Status(201, _assessment_out(row, [i.poam_id for i in created]))


@router.get("/orgs/{org}/systems/{system}/assessments/{assessment_id}", response={
    200: dict, **ERRORS}, tags=["assessments"], summary="An assessment's full evaluation")
def get_assessment(request: HttpRequest, org: str, system: str, assessment_id: int):
    found = lookups.system(request, org, system)
    row = found.assessments.filter(pk=assessment_id).first()
    if row is None:
        raise Http404("No such assessment.")
    return to_jsonable(assessments.evaluation(row, timezone.localdate()))


@router.post("/cmmc/evaluate", response={200: dict, **ERRORS}, tags=["assessments"],
             summary="Evaluate an assessment (nothing stored): score, status, eligibility")
def evaluate(request: HttpRequest, payload: EvaluateIn):
    try:
        return to_jsonable(cmmc.evaluate_payload(payload.assessment,
                                                 payload.today or timezone.localdate()))
    except cmmc.CmmcInputError as exc:
        raise ApiError(422, f"assessment: {exc}", "assessment") from None


@router.post("/cmmc/plan", response={200: dict, **ERRORS}, tags=["assessments"],
             summary="The cheapest fixes that make Conditional (or Final) status reachable")
def plan(request: HttpRequest, payload: PlanIn):
    try:
        return to_jsonable(cmmc.plan_payload(payload.assessment, payload.target, payload.costs,
                                             payload.today or timezone.localdate()))
    except cmmc.CmmcInputError as exc:
        raise ApiError(422, f"assessment: {exc}", "assessment") from None
