"""Looking up an organization for a page: 404 for strangers, 403 when the role falls short."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from openpoam import proxies
from openpoam.tracker.models import Organization
from openpoam.tracker.services.actors import Actor, may, visible_organizations


def actor_of(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def organization_or_404(request: HttpRequest, org_slug: str, action: str) -> Organization:
    actor = actor_of(request)
    org = visible_organizations(actor).filter(slug=org_slug).first()
    if org is None:
        raise Http404("No such organization.")
    if not may(actor, org, action):
        raise PermissionDenied("Your role in this organization does not allow this page.")
    return org


def client_address(request: HttpRequest) -> str:
    """The client: behind a trusted proxy (OPENPOAM_TRUSTED_PROXIES) the address it names,
    otherwise the TCP peer; never a header an untrusted client could write."""
    return proxies.client_address(request)[:45]


def next_page(request: HttpRequest) -> str:
    """The page to go to after signing in, if it is on this site; else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""
