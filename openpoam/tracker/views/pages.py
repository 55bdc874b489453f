"""The read-only pages: home, a system's POA&M list, one item.

Pages read through ``documents`` (plain dataclasses, fixed number of queries) and
never write; every lookup goes through ``access`` so strangers get 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.domain.poam import Designation, EvidenceData, PoamItemData
from openpoam.tracker.documents import build_document, item_data, items_queryset
from openpoam.tracker.models import PoamItem, System
from openpoam.tracker.services.history import item_history
from openpoam.tracker.views import access
from openpoam.tracker.filters import DELAYED, RISK_CHOICES, STATUS_CHOICES, ListQuery
from openpoam.tracker.views.summary import Summary, summaries


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    organizations = access.organizations_with_systems(request)
    system_ids = [s.pk for org in organizations for s in org.systems.all()]
    numbers = summaries(system_ids, timezone.localdate())
    rows = [{"organization": org,
             "systems": [{"system": s, "summary": numbers[s.pk]} for s in org.systems.all()]}
            for org in organizations]
    return render(request, "tracker/home.html", {"organizations": rows})


@require_safe
@login_required
def system_items(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    query = ListQuery.from_params(request.GET)
    today = timezone.localdate()
    document = build_document(system, today=today, with_history=False,
                              items=query.apply(items_queryset(system)))
    summary = summaries([system.pk], today)[system.pk]
    context = {
        **system_context(system),
        "items": query.keep(document.items),
        "summary": summary,
        "count_links": _count_links(summary, query),
        "query": query,
        "status_choices": STATUS_CHOICES,
        "risk_choices": RISK_CHOICES,
        "sort_id": query.sort_column("id"),
        "sort_due": query.sort_column("due"),
    }
    return render(request, "tracker/system_items.html", context)


@require_safe
@login_required
def item_detail(request: HttpRequest, org_slug: str, system_slug: str,
                poam_id: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    row = items_queryset(system).filter(poam_id=poam_id.upper()).first()
    if row is None:
        raise Http404("No such POA&M item.")
    data = item_data(row, timezone.localdate(), item_history(row.uuid))
    context = {
        **system_context(system),
        "item": data,
        "record": row,  # fields the plain document leaves out (approver, review date…)
        "dependencies": _dependency_links(row, data),
        "evidence": [_evidence_entry(e) for e in data.evidence],
        "history": list(reversed(data.history)),  # newest first
    }
    return render(request, "tracker/item_detail.html", context)


def _count_links(summary: Summary, query: ListQuery) -> list[dict]:
    """The counts on top of the list; each one filters the list (keeping risk and sort)."""
    entries = ([("", "All items", summary.total)]
               + [(c.value, c.label, c.count) for c in summary.by_status]
               + [(DELAYED, "Delayed", summary.delayed)])
    return [{"value": value, "label": label, "count": count,
             "href": query.query_string(status=value), "current": query.status == value}
            for value, label, count in entries]


def system_context(system: System) -> dict:
    return {"system": system, "organization": system.organization,
            "designation": system.designation_enum,
            "is_internal": system.designation_enum is Designation.INTERNAL,
            "framework": system.framework_enum}


def _dependency_links(row: PoamItem, data: PoamItemData) -> list[dict]:
    """Links to the items this one waits for; they may sit in another system of the org."""
    systems = dict(PoamItem.objects.filter(organization_id=row.organization_id,
                                           poam_id__in=data.depends_on)
                   .values_list("poam_id", "system__slug"))
    org_slug = row.organization.slug
    return [{"poam_id": poam_id,
             "href": reverse("item", args=[org_slug, systems[poam_id], poam_id])
             if poam_id in systems else ""}
            for poam_id in data.depends_on]


@dataclass
class EvidenceEntry:
    data: EvidenceData
    href: str
    is_link: bool


def _evidence_entry(evidence: EvidenceData) -> EvidenceEntry:
    if evidence.url:
        # Only http(s) links become clickable; the service checks this too.
        safe = evidence.url.lower().startswith(("http://", "https://"))
        return EvidenceEntry(evidence, evidence.url if safe else "", True)
    return EvidenceEntry(evidence, reverse("evidence", args=[evidence.uuid]), False)
