"""One item's page: everything about it, and (for editors) the forms that change it.

A refused change renders this same page with status 422, the message beside the form
that failed and the user's input kept, so nothing typed is lost.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.domain import workflow
from openpoam.domain.numbers import whole_number
from openpoam.domain.poam import Status
from openpoam.tracker.documents import item_data, items_queryset
from openpoam.tracker.models import ApprovalRequest, PoamItem, System
from openpoam.tracker.services.history import item_history
from openpoam.tracker.services.requests import TARGET_STATUS
from openpoam.web.forms import RISK_CHOICES, rmf_display
from openpoam.web.views import access
from openpoam.web.views.pages import dependency_links, evidence_entry, system_context

MAX_ASSETS_SHOWN = 200
# Statuses a request decides (another person approves); the status form offers the rest.
BY_REQUEST = (Status.RISK_ACCEPTED, Status.FALSE_POSITIVE)


@require_safe
@login_required
def item_detail(request: HttpRequest, org_slug: str, system_slug: str,
                poam_id: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    return render_item(request, system, poam_id)


def render_item(request: HttpRequest, system: System, poam_id: str, *, failed: str = "",
                error: str = "", status: int = 200) -> HttpResponse:
    row = items_queryset(system).filter(poam_id=poam_id.upper()).first()
    if row is None:
        raise Http404("No such POA&M item.")
    data = item_data(row, timezone.localdate(), item_history(row))
    organization = system.organization
    assets = data.assets
    context = {
        **system_context(system),
        "item": data,
        "record": row,
        "assets": assets[:MAX_ASSETS_SHOWN],
        "assets_hidden": max(0, len(assets) - MAX_ASSETS_SHOWN),
        "dependencies": dependency_links(row, data),
        "evidence": [evidence_entry(e) for e in data.evidence],
        "history": list(reversed(data.history)),
        "requests": list(row.requests.all()),
        "discussion": list(row.discussion.all()),
        "can_edit": access.may(request, organization, "poam.edit"),
        "can_decide": access.may(request, organization, "request.decide"),
        "next_statuses": _next_statuses(row),
        "request_kinds": _request_kinds(row),
        "risk_choices": RISK_CHOICES,
        "rmf": rmf_display(data),
        "today": timezone.localdate(),
        "failed": failed, "error": error, "failed_number": _number_in(failed),
        "posted": request.POST if failed and status == 422 else {},
        "people": list(organization.people.order_by("name")),
    }
    context["sections"] = [
        ("details", "Details", None),
        ("milestones", "Milestones", len(data.milestones)),
        ("evidence", "Evidence", len(data.evidence)),
        ("requests", "Requests & comments",
         len(context["requests"]) + len(context["discussion"])),
        ("history", "History", len(data.history)),
    ]
    context["section"] = _section(failed, request.GET.get("section", ""))
    return render(request, "web/item_detail.html", context, status=status)


SECTIONS = ("details", "milestones", "evidence", "requests", "history")
# The group a form lives in, by the prefix of its ``failed`` name.
_FORM_SECTIONS = (("milestone", "milestones"), ("evidence", "evidence"),
                  ("request", "requests"), ("decide", "requests"), ("comment", "requests"))


def _section(failed: str, asked: str) -> str:
    """The group the page opens on: the one of a form that failed, else the one asked for
    (?section=, set after a change), else the details."""
    for prefix, section in _FORM_SECTIONS:
        if failed.startswith(prefix):
            return section
    return asked if asked in SECTIONS else "details"


def section_of(path: str) -> str:
    """The group an action's address belongs to (``.../milestones/2/`` -> milestones)."""
    for part, section in (("/milestones/", "milestones"), ("/evidence/", "evidence"),
                          ("/requests/", "requests"), ("/comments/", "requests")):
        if part in path:
            return section
    return ""


def _number_in(failed: str) -> int | None:
    """The milestone or request a per-row form was about ("milestone-2" -> 2)."""
    suffix = failed.rpartition("-")[2]
    return whole_number(suffix)


def _next_statuses(row: PoamItem) -> list[Status]:
    allowed = workflow.ALLOWED[row.status_enum]
    return [s for s in Status if s in allowed and s not in BY_REQUEST]


def _request_kinds(row: PoamItem) -> list[tuple[str, str]]:
    allowed = workflow.ALLOWED[row.status_enum]
    kinds = []
    for value, label in ApprovalRequest.KINDS:
        target = TARGET_STATUS.get(value)
        if target is None or target in allowed:
            kinds.append((value, label))
    return kinds
