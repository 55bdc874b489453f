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

from openpoam.domain import checks
from openpoam.reviews.services.quality import run_checks
from openpoam.formats import registry
from openpoam.formats.base import FormatError
from openpoam.tracker.documents import build_document
from openpoam.tracker.models import ImportRecord
from openpoam.tracker.services import assessments, exports
from openpoam.tracker.views import access
from openpoam.tracker.views.pages import system_context

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
               "evaluation": summary["evaluation"] if summary else None}
    return render(request, "tracker/system_cmmc.html", context)


@require_safe
@login_required
def system_checks(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    today = timezone.localdate()
    # With history: the checks read why each milestone date moved.
    document = build_document(system, today=today)
    issues = run_checks(system, today, document.items)
    context = {**system_context(system), "tab": "checks", "groups": _group_issues(issues),
               "errors": sum(1 for i in issues if i.severity.value == "error"),
               "warnings": sum(1 for i in issues if i.severity.value != "error"),
               "item_count": len(document.items)}
    return render(request, "tracker/system_checks.html", context)


def _group_issues(issues) -> list[dict]:
    """One row per kind of problem, with the items it affects: errors first, then most items."""
    groups: dict[tuple, dict] = {}
    for issue in issues:
        key = (issue.code, issue.severity.value)
        group = groups.setdefault(key, {"code": issue.code, "severity": issue.severity.value,
                                        "message": issue.message, "citation": issue.citation,
                                        "hint": checks.hint(issue.code),
                                        "items": []})
        if issue.poam_id and issue.poam_id not in group["items"]:
            group["items"].append(issue.poam_id)
        if issue.message != group["message"]:
            group.setdefault("messages", {})[issue.poam_id] = issue.message
    return sorted(groups.values(), key=lambda g: (g["severity"] != "error", -len(g["items"])))


@require_safe
@login_required
def system_imports(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    records = ImportRecord.objects.filter(system=system)[:200]
    return render(request, "tracker/system_imports.html",
                  {**system_context(system), "tab": "imports", "records": records,
                   "exports": export_links()})


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


def export_response(actor, system, format_key: str) -> HttpResponse:
    """The export as a download (shared by the web and the API); FormatError if unknown."""
    content, exporter, warnings = exports.export_bytes(actor, system, format_key)
    name = f"{system.slug}-poam-{timezone.localdate().isoformat()}{exporter.extension}"
    response = HttpResponse(content, content_type=exporter.media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if warnings:
        response["X-OpenPOAM-Warnings"] = str(len(warnings))
    return response
