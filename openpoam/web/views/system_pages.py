"""A system's other pages: CMMC status, quality checks, import history, export downloads.

Every answer comes from the domain (cmmc, checks) through the services; these
views only look things up (access) and render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.formats import registry
from openpoam.formats.base import FormatError
from openpoam.tracker.services import assessments
from openpoam.tracker.services.downloads import export_response
from openpoam.web.views import access
from openpoam.web.views.pages import system_context

EXPORTS = ("oscal-json", "oscal-xml", "fedramp-xlsx", "emass-xlsx", "csv")


def export_links() -> list[dict]:
    known = registry.default().exporters
    return [{"key": key, "label": known[key].label} for key in EXPORTS if key in known]


@require_safe
@login_required
def system_cmmc(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    summary = assessments.summary(system, timezone.localdate())
    context = {**system_context(system), "tab": "cmmc", "summary": summary,
               "can_edit": access.may(request, system.organization, "poam.edit"),
               "evaluation": summary["evaluation"] if summary else None}
    return render(request, "web/system_cmmc.html", context)


@require_safe
@login_required
def system_export(request: HttpRequest, org_slug: str, system_slug: str,
                  format_key: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    if format_key not in EXPORTS:
        raise Http404("No such export format.")
    try:
        return export_response(access.actor_of(request), system, format_key)
    except FormatError:
        raise Http404("No such export format.") from None

