"""Finding what a request names, within the calling token's organization only.

Anything outside it, or beyond the user's current membership, is 404 (never 403):
a token cannot tell whether another organization's objects exist.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from openpoam.api.auth import Access
from openpoam.tracker.models import Evidence, Organization, PoamItem, System
from openpoam.tracker.services.actors import Actor, may


def access(request: HttpRequest) -> Access:
    return request.auth  # type: ignore[attr-defined, return-value]


def actor(request: HttpRequest) -> Actor:
    return access(request).actor


def organization(request: HttpRequest, org_slug: str) -> Organization:
    org = access(request).organization
    if org.slug != org_slug or not may(actor(request), org, "poam.view"):
        raise Http404("No such organization.")
    return org


def _plain(*names: str) -> None:
    """A name with a NUL character names nothing (and the database refuses to look)."""
    if any("\x00" in name for name in names):
        raise Http404("Not found.")


def system(request: HttpRequest, org_slug: str, system_slug: str) -> System:
    org = organization(request, org_slug)
    _plain(system_slug)
    found = System.objects.filter(organization=org, slug=system_slug).first()
    if found is None:
        raise Http404("No such system.")
    found.organization = org
    return found


def item(request: HttpRequest, org_slug: str, poam_id: str) -> PoamItem:
    org = organization(request, org_slug)
    _plain(poam_id)
    found = (PoamItem.objects.select_related("system")
             .filter(organization=org, poam_id__in={poam_id, poam_id.strip().upper()}).first())
    if found is None:
        raise Http404("No such item.")
    found.organization = org
    return found


def evidence(request: HttpRequest, org_slug: str, evidence_uuid) -> Evidence:
    org = organization(request, org_slug)
    found = (Evidence.objects.select_related("item")
             .filter(item__organization=org, uuid=evidence_uuid).first())
    if found is None:
        raise Http404("No such evidence.")
    return found
