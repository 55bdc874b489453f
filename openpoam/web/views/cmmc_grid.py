"""Recording a CMMC assessment in a grid: every requirement of the level MET, NOT MET,
N/A (or partial where the scoring rules allow it), the score and status recomputed as
the user goes (HTMX posts the grid to ``preview``), then one action that records the
assessment and creates the POA&M items for its gaps. All answers come from domain.cmmc.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from openpoam.domain import cmmc
from openpoam.domain.cmmc import catalog
from openpoam.domain.cmmc.payload import evaluate_payload
from openpoam.tracker.models import Assessment
from openpoam.tracker.services import assessments
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.fields import parse_date
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, action, forbidden
from openpoam.web.views.pages import system_context

CHOICES = [("met", "MET"), ("not_met", "NOT MET"), ("not_applicable", "N/A")]
PARTIAL = ("partial", "Partial")


def _payload(post, level: int) -> dict:
    results = {}
    for requirement in catalog.requirements(level):
        value = post.get(f"r:{requirement.id}", "met")
        if value != "met":
            results[requirement.id] = value
    payload = {"level": level, "assessment_type": post.get("assessment_type", "Self"),
               "results": results}
    if post.get("status_date", "").strip():
        payload["status_date"] = post["status_date"].strip()
    return payload


def _initial(system, level: int) -> dict:
    current = assessments.latest(system)
    if current is None or current.level != level:
        return {"assessment_type": "Self", "results": {}}
    return {"assessment_type": current.assessment_type,
            "results": {r.requirement: r.result for r in current.results.all()}}


def _evaluate(payload: dict) -> tuple[dict | None, str]:
    try:
        return evaluate_payload(payload, timezone.localdate()), ""
    except cmmc.CmmcInputError as exc:
        return None, str(exc)


def _rows(level: int, results: dict) -> list[dict]:
    rows = []
    for requirement in catalog.requirements(level):
        choices = CHOICES + ([PARTIAL] if requirement.partial_points is not None else [])
        rows.append({"req": requirement, "choices": choices,
                     "value": results.get(requirement.id, "met")})
    return rows


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def cmmc_assess(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    level = assessments.level_for(system)
    if level is None:
        return forbidden(request, "This system's framework has no CMMC assessment.")
    if not access.may(request, system.organization, "poam.edit"):
        return forbidden(request, "You may read this system's CMMC status but not record one.")
    if request.method == "POST":
        return _record(request, system, level)
    initial = _initial(system, level)
    payload = {"level": level, **initial}
    evaluation, error = _evaluate(payload)
    return _page(request, system, level, initial["results"], evaluation, error,
                 {"assessment_type": initial["assessment_type"],
                  "assessed_on": timezone.localdate().isoformat()})


@action
def cmmc_preview(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    """The score panel for the grid as posted (nothing is stored)."""
    system = access.editable_system_or_404(request, org_slug, system_slug)
    level = assessments.level_for(system) or 2
    evaluation, error = _evaluate(_payload(request.POST, level))
    return render(request, "web/_cmmc_score.html", {"evaluation": evaluation, "error": error})


def _record(request: HttpRequest, system, level: int) -> HttpResponse:
    post = request.POST
    payload = _payload(post, level)
    try:
        assessed_on = parse_date(post.get("assessed_on", "").strip(), "assessed_on")
        with transaction.atomic():
            row = assessments.record_assessment(access.actor_of(request), system, payload,
                                                assessed_on=assessed_on,
                                                assessor=post.get("assessor", ""))
            created = (assessments.create_poam_items(access.actor_of(request), row)
                       if post.get("to_poam") else [])
    except ServiceError as exc:
        evaluation, error = _evaluate(payload)
        return _page(request, system, level, payload["results"], evaluation, error, post,
                     failure=str(exc))
    messages.success(request, f"Assessment recorded; {len(created)} POA&M item"
                              f"{'s' if len(created) != 1 else ''} created for its gaps.")
    return redirect(reverse("system-cmmc", args=[system.organization.slug, system.slug]))


def _page(request, system, level, results, evaluation, error, values, failure="") -> HttpResponse:
    context = {**system_context(system), "tab": "cmmc", "level": level,
               "rows": _rows(level, results), "evaluation": evaluation, "error": error,
               "values": values, "failure": failure, "types": Assessment.TYPES}
    return render(request, "web/cmmc_assess.html", context,
                  status=UNPROCESSABLE if failure else 200)
