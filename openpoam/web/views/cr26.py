"""FedRAMP CR26 pages of a system: the dashboard (evaluation queue, overdue work, incidents),
the accepted list that replaces the POA&M, one vulnerability with its rating history and the
forms to evaluate, reduce, accept or dispose of it, and the reports.

Every rule comes from the domain through ``services.cr26_reports``; every change goes through
``services.cr26``, which checks the role (viewers see the pages, editors change them).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from openpoam.domain.fedramp.cr26 import RATINGS, CertClass, Cr26Error, report_cadence, utc
from openpoam.formats.base import FormatError
from openpoam.tracker.models import Cr26Vulnerability
from openpoam.tracker.services import ServiceError, cr26, cr26_reports
from openpoam.tracker.services.actors import may
from openpoam.web.views import access
from openpoam.web.views.pages import system_context

REPORTS = [("vdt", "Vulnerability Detail Report (VER-RPT-VDT, JSON)"),
           ("avi", "Accepted Vulnerability Info (VER-RPT-AVI, JSON)"),
           ("mrh", "Historical activity (VER-TFR-MRH, JSON)"),
           ("mhr", "Monthly activity report (VER-TFR-MHR, HTML)")]
ACTIONS = ("evaluate", "reduce", "accept", "dispose", "explain", "group", "ungroup")


def _cr26_system(request: HttpRequest, org_slug: str, system_slug: str):
    """The CR26 system; a POST by someone whose role may not change it answers 403."""
    system = access.system_or_404(request, org_slug, system_slug)
    if not system.is_cr26:
        raise Http404("This system is not under the FedRAMP CR26 rules.")
    if request.method == "POST" and not may(access.actor_of(request), system.organization,
                                            "poam.edit"):
        raise Forbidden("Your role may not change this.")
    return system


def _context(request: HttpRequest, system, tab: str) -> dict:
    return {**system_context(system), "tab": tab,
            "can_edit": may(access.actor_of(request), system.organization, "poam.edit")}


@require_safe
@login_required
def cr26_dashboard(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = _cr26_system(request, org_slug, system_slug)
    rows = cr26_reports.snapshot(system)
    context = {**_context(request, system, "cr26"), "counts": cr26_reports.dashboard(rows),
               "queue": cr26_reports.queue(rows), "overdue": cr26_reports.overdue(rows),
               "incidents": [r for r in rows if r.state.incident and not r.state.closed
                             and not r.state.accepted],
               "reports": _reports(system), "untracked": cr26_reports.untracked(system),
               "previous": system.cr26_reports.all()[:8]}
    return render(request, "web/cr26_dashboard.html", context)


def _reports(system) -> list[dict]:
    cls = CertClass(system.cr26_class)
    out = []
    for kind, label in REPORTS:
        force, cadence, rule = report_cadence(kind, cls)
        out.append({"kind": kind, "label": label, "due": f"{force.value} {cadence} ({rule})",
                    "last": system.cr26_reports.filter(kind=kind).first()})
    return out


@require_safe
@login_required
def cr26_accepted(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = _cr26_system(request, org_slug, system_slug)
    rows = cr26_reports.accepted(cr26_reports.snapshot(system))
    return render(request, "web/cr26_accepted.html",
                  {**_context(request, system, "cr26-accepted"), "rows": rows})


def _vuln_or_404(system, poam_id: str) -> Cr26Vulnerability:
    found = (Cr26Vulnerability.objects.select_related("item", "system__organization",
                                                      "group_lead__item")
             .filter(system=system, item__poam_id=poam_id).first())
    if found is None:
        raise Http404("No such CR26 vulnerability.")
    return found


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def cr26_vulnerability(request: HttpRequest, org_slug: str, system_slug: str,
                       poam_id: str) -> HttpResponse:
    system = _cr26_system(request, org_slug, system_slug)
    vuln = _vuln_or_404(system, poam_id)
    error = ""
    if request.method == "POST":
        try:
            _apply(request, vuln)
            return redirect("system-cr26-vuln", org_slug, system_slug, poam_id)
        except (ServiceError, Cr26Error, ValueError) as exc:
            error = str(exc)
    row = next((r for r in cr26_reports.snapshot(system) if r.vuln.pk == vuln.pk), None)
    context = {**_context(request, system, "cr26"), "vuln": vuln, "row": row, "error": error,
               "members": vuln.group_members.select_related("item"),
               "events": vuln.rating_events.all(), "ratings": RATINGS,
               "selected_rating": (vuln.rating if vuln.rating is not None
                                   else vuln.proposed_rating),
               "dispositions": ["Partially Mitigated", "Fully Mitigated", "Remediated",
                                "False Positive"]}
    return render(request, "web/cr26_vulnerability.html", context,
                  status=400 if error else 200)


def _apply(request: HttpRequest, vuln: Cr26Vulnerability) -> None:
    """One form post: the services check the role and validate."""
    data, actor = request.POST, access.actor_of(request)
    action = data.get("action", "")
    if action not in ACTIONS:
        raise ServiceError(f"unknown action {action!r}")
    at = _instant(data.get("at", ""))
    if action == "evaluate":
        cr26.evaluate(actor, vuln, rating=_rating(data), lev=data.get("lev") == "yes",
                      irv=data.get("irv") == "yes", reason=data.get("reason", ""), at=at)
    elif action == "reduce":
        cr26.record_reduction(actor, vuln, rating=_rating(data), what=data.get("reason", ""),
                              at=at, disposition=data.get("disposition", ""))
    elif action == "accept":
        cr26.accept(actor, vuln, data.get("reason", ""), at)
    elif action == "dispose":
        cr26.dispose(actor, vuln, data.get("disposition", ""), data.get("reason", ""), at)
    elif action == "group":
        cr26.group(actor, vuln, _members(vuln, data.get("members", "")), data.get("reason", ""))
    elif action == "ungroup":
        cr26.ungroup(actor, vuln, data.get("reason", ""))
    else:
        cr26.explain(actor, vuln, overdue=data.get("overdue_explanation"),
                     supplementary=data.get("supplementary"))


def _members(lead: Cr26Vulnerability, text: str) -> list[Cr26Vulnerability]:
    """POA&M IDs separated by commas or spaces, each a CR26 vulnerability of the system."""
    wanted = [part.strip().upper() for part in text.replace(",", " ").split() if part.strip()]
    found = {v.item.poam_id: v for v in Cr26Vulnerability.objects.select_related("item")
             .filter(system=lead.system, item__poam_id__in=wanted)}
    missing = [poam_id for poam_id in wanted if poam_id not in found]
    if missing:
        raise ServiceError(f"{lead.system.name} has no CR26 vulnerability {missing[0]}")
    return [found[poam_id] for poam_id in wanted]


def _rating(data) -> int:
    try:
        return int(data.get("rating", ""))
    except ValueError:
        raise ServiceError("choose an N-rating from 0 to 5") from None


def _instant(text: str) -> datetime | None:
    """A form's date-time field: "YYYY-MM-DDTHH:MM" in UTC, or an ISO instant with a zone."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ServiceError(f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM, UTC)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the form says UTC
    return utc(moment, "the time")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def cr26_report(request: HttpRequest, org_slug: str, system_slug: str,
                kind: str) -> HttpResponse:
    """GET: a preview anyone who sees the system may download (not recorded).
    POST: the report of record (editors): the next one starts where it ends (VER-RPT-PER)."""
    system = _cr26_system(request, org_slug, system_slug)
    if kind not in dict(REPORTS):
        raise Http404("No such report.")
    try:
        result = cr26_reports.export_report(access.actor_of(request), system, kind,
                                            record=request.method == "POST")
    except (ServiceError, FormatError) as exc:
        context = {**_context(request, system, "cr26"), "message": str(exc)}
        return render(request, "web/cr26_error.html", context, status=400)
    response = HttpResponse(result.content, content_type=result.exporter.media_type)
    name = cr26_reports.report_name(system, kind, result)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
