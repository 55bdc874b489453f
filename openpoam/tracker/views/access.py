"""Who may see what. Every page looks its objects up through these helpers, which answer
404 (never 403) for anything outside the user's organizations, so a stranger cannot
tell whether an organization, system, item or file exists."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from openpoam.tracker.models import Evidence, Organization, System
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
