"""The start page, and what the system pages share (their context, item links).

Pages read through ``documents`` (plain dataclasses, fixed number of queries) and
never write; every lookup goes through ``access`` so strangers get 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.domain.poam import Designation, EvidenceData, PoamItemData
from openpoam.tracker.models import PoamItem, System
from openpoam.reviews.services.my_work import has_owner_role, my_work
from openpoam.tracker.services.summary import summaries
from openpoam.web.views import access
from openpoam.web.views.personal import work_page


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Owners start from their systems; everyone else from what waits on them (My work)."""
    if not (request.user.is_superuser or has_owner_role(request.user)):
        return work_page(request, home=True)
    organizations = access.organizations_with_systems(request)
    system_ids = [s.pk for org in organizations for s in org.systems.all()]
    numbers = summaries(system_ids, timezone.localdate())
    rows = [{"organization": org,
             "systems": [{"system": s, "summary": numbers[s.pk]} for s in org.systems.all()]}
            for org in organizations]
    # What waits on the owner too (requests to decide first): seen on signing in.
    return render(request, "web/home.html", {"organizations": rows,
                                             "work": my_work(request.user)})


def system_context(system: System) -> dict:
    return {"system": system, "organization": system.organization,
            "designation": system.designation_enum,
            "is_internal": system.designation_enum is Designation.INTERNAL,
            "framework": system.framework_enum}


def dependency_links(row: PoamItem, data: PoamItemData) -> list[dict]:
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


def evidence_entry(evidence: EvidenceData) -> EvidenceEntry:
    if evidence.url:
        # Only http(s) links become clickable; the service checks this too.
        safe = evidence.url.lower().startswith(("http://", "https://"))
        return EvidenceEntry(evidence, evidence.url if safe else "", True)
    return EvidenceEntry(evidence, reverse("evidence", args=[evidence.uuid]), False)
