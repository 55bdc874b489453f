"""Who may see what. Every page looks its objects up through these helpers, which answer
404 (never 403) for anything outside the user's organizations, so a stranger cannot
tell whether an organization, system, item or file exists."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from openpoam.tracker.models import Evidence, Organization, PoamItem, System
from openpoam.tracker.services import actors
from openpoam.tracker.services.actors import Actor


def actor_of(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def visible_organizations(request: HttpRequest):
    return actors.visible_organizations(actor_of(request))


def system_or_404(request: HttpRequest, org_slug: str, system_slug: str) -> System:
    """The system, with its organization, in one query; 404 unless the user may see it."""
    system = (System.objects.select_related("organization")
              .filter(organization__in=visible_organizations(request),
                      organization__slug=org_slug, slug=system_slug)
              .first())
    if system is None:
        raise Http404("No such system.")
    return system


def evidence_or_404(request: HttpRequest, evidence_uuid) -> Evidence:
    evidence = (Evidence.objects.select_related("item__organization")
                .filter(uuid=evidence_uuid,
                        item__organization__in=visible_organizations(request))
                .first())
    if evidence is None:
        raise Http404("No such evidence.")
    return evidence


def organizations_with_systems(request: HttpRequest) -> list[Organization]:
    return list(visible_organizations(request).prefetch_related("systems"))


def item_or_404(request: HttpRequest, org_slug: str, system_slug: str, poam_id: str):
    """The item of a visible system, with the system; 404 otherwise."""
    system = system_or_404(request, org_slug, system_slug)
    item = (PoamItem.objects.select_related("organization", "system__organization", "owner")
            .filter(system=system, poam_id=poam_id.upper()).first())
    if item is None:
        raise Http404("No such POA&M item.")
    return system, item


def organization_or_404(request: HttpRequest, org_slug: str) -> Organization:
    organization = visible_organizations(request).filter(slug=org_slug).first()
    if organization is None:
        raise Http404("No such organization.")
    return organization


def may(request: HttpRequest, organization: Organization, action: str) -> bool:
    """Whether the user's role there allows ``action``: decides which controls a page shows
    (the services check again on every change). One query per organization and request."""
    cache = request.__dict__.setdefault("_openpoam_roles", {})
    if organization.pk not in cache:
        cache[organization.pk] = actors.role_in(actor_of(request), organization)
    return actors.role_allows(cache[organization.pk], action)


def editable_item_or_404(request: HttpRequest, org_slug: str, system_slug: str, poam_id: str,
                         action: str = "poam.edit"):
    """As ``item_or_404``, for a change: PermissionDenied (a 403 page) without the role."""
    system, item = item_or_404(request, org_slug, system_slug, poam_id)
    actors.require(actor_of(request), system.organization, action)
    return system, item


def editable_system_or_404(request: HttpRequest, org_slug: str, system_slug: str,
                           action: str = "poam.edit") -> System:
    system = system_or_404(request, org_slug, system_slug)
    actors.require(actor_of(request), system.organization, action)
    return system
