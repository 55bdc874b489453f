"""Bearer-token authentication and the per-token request rate limit.

A token acts for its user in its one organization, with the user's current role
there; a read-only token acts as a viewer whatever that role is.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from openpoam import proxies
from openpoam.accounts.services import tokens
from openpoam.api.errors import TooLarge
from openpoam.accounts.models import ApiToken
from openpoam.tracker.models import Organization
from openpoam.tracker.services.actors import Actor


@dataclass(frozen=True)
class Access:
    """Who is calling (``request.auth``): the token, its actor and its organization."""

    token: ApiToken
    actor: Actor

    @property
    def organization(self) -> Organization:
        return self.token.organization

    def __str__(self) -> str:  # the throttle's cache key: one budget per token
        return f"token:{self.token.pk}"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Access | None:
        found = tokens.authenticate(token.strip(), client_address(request))
        if found is None:
            return None
        check_body_size(request)
        return Access(token=found, actor=tokens.actor_of(found))


def client_address(request: HttpRequest) -> str | None:
    """The caller's address: behind a trusted proxy, the client it names (openpoam.proxies)."""
    return proxies.client_address(request) or None


class TokenRateThrottle(AuthRateThrottle):
    """Requests per token; the count lives in Django's cache (shared only when the cache is)."""

    def __init__(self) -> None:
        super().__init__(settings.API_RATE_LIMIT)


# Bodies larger than these are refused (413) before a byte of them is read. Multipart
# framing adds a little to a file's own size.
_MULTIPART_SLACK = 64 * 1024


def check_body_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    path = request.path.rstrip("/")
    if path.endswith("/imports"):
        limit, what = settings.IMPORT_MAX_BYTES, "import limit (OPENPOAM_IMPORT_MAX_BYTES)"
    elif path.endswith("/evidence"):
        limit, what = settings.EVIDENCE_MAX_BYTES, "evidence limit (OPENPOAM_EVIDENCE_MAX_BYTES)"
    else:
        limit, what = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "limit for a request body"
    if length > limit + _MULTIPART_SLACK:
        raise TooLarge(f"the request body ({length:,} bytes) is over the {what} of "
                       f"{limit:,} bytes", "file" if "limit (" in what else "")
