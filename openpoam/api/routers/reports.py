"""Quality checks, metrics and CMMC assessments (record, evaluate, plan)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openpoam.api import lookups, pagination
from openpoam.api.errors import ApiError
from openpoam.api.schemas import (ERRORS, AssessmentIn, AssessmentOut, AssessmentPage, ChecksOut,
                                  EvaluateIn, MetricsOut, PageParams, PlanIn)
from openpoam.domain import checks, cmmc
from openpoam.domain.poam import CLOSED_STATUSES, Risk
from openpoam.tracker.documents import build_document, to_jsonable
from openpoam.tracker.models import Assessment, Milestone, PoamItem
from openpoam.tracker.services import assessments
from openpoam.tracker.views.summary import summaries

router = Router()


@router.get("/orgs/{org}/systems/{system}/checks", response={200: ChecksOut, **ERRORS},
            tags=["checks"], summary="POA&M quality checks, as on the system's checks page")
def quality_checks(request: HttpRequest, org: str, system: str):
    found = lookups.system(request, org, system)
    today = timezone.localdate()
    document = build_document(found, today=today)
    issues = checks.check_document(document.items, found.framework_enum, today)
    errors = sum(1 for i in issues if i.severity.value == "error")
    return {"items": len(document.items), "errors": errors, "warnings": len(issues) - errors,
            "issues": [{"code": i.code, "severity": i.severity.value, "message": i.message,
                        "citation": i.citation, "poam_id": i.poam_id} for i in issues]}


@router.get("/orgs/{org}/systems/{system}/metrics", response={200: MetricsOut, **ERRORS},
            tags=["metrics"], summary="Counts: per status, per risk, delayed, last 30 days")
def metrics(request: HttpRequest, org: str, system: str):
    found = lookups.system(request, org, system)
    today = timezone.localdate()
    summary = summaries([found.pk], today)[found.pk]
    closed = [s.value for s in CLOSED_STATUSES]
    items = PoamItem.objects.filter(system=found)
    active = items.exclude(status__in=closed)
    by_risk = {r.value: 0 for r in Risk}
    for row in active.order_by().values("original_risk", "adjusted_risk").annotate(n=Count("id")):
        by_risk[row["adjusted_risk"] or row["original_risk"]] += row["n"]
    month_ago = today - timedelta(days=30)
    return {"total": summary.total, "active": summary.active, "delayed": summary.delayed,
            "by_status": {entry.value: entry.count for entry in summary.by_status},
            "by_risk": by_risk,
            "overdue_milestones": Milestone.objects.filter(
                item__in=active, completed_on__isnull=True, current_due__lt=today).count(),
            "closed_last_30_days": items.filter(status__in=closed,
                                                status_date__gte=month_ago).count(),
            "opened_last_30_days": items.filter(Q(created_at__date__gte=month_ago)).count()}


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
