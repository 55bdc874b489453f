"""Making, checking and revoking API tokens: the one write path for ApiToken rows, used by
the API (sign-in by token, the tokens page), the command line and offboarding.

Only the SHA-256 digest of a token is stored. A 256-bit random secret needs no slow
hash: nobody can guess it, and a digest lookup keeps every request one indexed query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from openpoam.accounts.models import ApiToken
from openpoam.tracker.models import ChangeEvent, Membership, Organization
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError, may

SCHEME = "opoam"
# Writing last use on every request would serialise readers on SQLite; once a minute is
# precise enough to tell a live token from a forgotten one.
LAST_USE_PRECISION = timedelta(minutes=1)
DEFAULT_EXPIRY_DAYS = 90
CREATE, USE, REVOKE = "create", "use", "revoke"  # token events in the audit trail
USED_FROM = "used from"  # the field of a use-from-a-new-address record
MAX_EXPIRY_DAYS = 366 * 3  # a token that outlives its purpose for years is a forgotten key


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown once


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def create_token(actor: Actor, user, organization: Organization, name: str, *,
                 read_only: bool = False, expires_in_days: int = DEFAULT_EXPIRY_DAYS) -> NewToken:
    """A token for ``user`` in ``organization``: by that user, or by the local command line.
    It stops working ``expires_in_days`` days from now."""
    if actor.read_only:
        raise PermissionDenied(f"{actor.name} is read-only: it cannot make tokens")
    if not actor.local and getattr(actor.user, "pk", None) != user.pk:
        raise PermissionDenied("a token can only be made by its own user")
    if not Membership.objects.filter(user=user, organization=organization).exists():
        raise ServiceError(f"{user.get_username()} is not a member of {organization.slug}")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError("name: a token needs a name of 1 to 100 characters")
    if ApiToken.objects.filter(user=user, organization=organization, name=name,
                               revoked_at__isnull=True).exists():
        raise ServiceError(f"name: {user.get_username()} already has a token named {name!r} "
                           f"in {organization.slug}")
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ServiceError(f"expires_in: a token lasts 1 to {MAX_EXPIRY_DAYS} days")
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():  # 1 in 4 billion, but unique
        prefix = secrets.token_hex(4)
    secret = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    token = ApiToken.objects.create(user=user, organization=organization, name=name,
                                    prefix=prefix, digest=digest_of(secret), read_only=read_only,
                                    created_at=now, created_by=actor.name,
                                    expires_at=now + timedelta(days=expires_in_days))
    record_token_event(token, CREATE, actor=actor)
    return NewToken(token=token, secret=secret)


@transaction.atomic
def revoke_token(actor: Actor, token: ApiToken) -> ApiToken:
    """Its own user, an owner of its organization, or the local command line may revoke."""
    own = getattr(actor.user, "pk", None) == token.user_id
    if actor.read_only:
        raise PermissionDenied(f"{actor.name} is read-only: it cannot revoke tokens")
    if not own and not may(actor, token.organization, "members.manage"):
        raise PermissionDenied(f"{actor.name} may not revoke this token")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ServiceError(f"token {token.prefix} was already revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_token_event(token, REVOKE, actor=actor)
    return token


def authenticate(raw: str, address: str | None) -> ApiToken | None:
    """The active token this secret belongs to, its use noted; None for anything else."""
    if not raw.startswith(f"{SCHEME}_") or len(raw) > 200:
        return None
    digest = digest_of(raw)
    token = (ApiToken.objects.select_related("user", "organization")
             .filter(digest=digest, revoked_at__isnull=True).first())
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    if not token.user.is_active or token.is_expired:
        return None
    _note_use(token, address)
    return token


def _note_use(token: ApiToken, address: str | None) -> None:
    now = timezone.now()
    fresh = token.last_used_at and now - token.last_used_at < LAST_USE_PRECISION
    if fresh and token.last_used_from == address:
        return
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
        seen = ChangeEvent.objects.filter(
            organization_id=token.organization_id, entity="token", entity_ref=token.prefix,
            field=USED_FROM, new_value=address or "").exists()
        if not seen:
            record_token_event(token, USE, actor=actor_of(token), address=address)
    token.last_used_at, token.last_used_from = now, address


def actor_of(token: ApiToken) -> Actor:
    """Who acts with this token: its user, as a viewer at most when it is read-only."""
    return Actor(name=f"{token.user.get_username()} (API token {token.prefix})",
                 user=token.user, read_only=token.read_only)


def organization_tokens(actor: Actor, organization: Organization):
    """The organization's tokens this actor may see: its own; every one for an owner."""
    found = ApiToken.objects.filter(organization=organization).select_related(
        "user", "organization")
    if actor.is_superuser or may(actor, organization, "members.manage"):
        return found
    return found.filter(user=actor.user) if actor.user is not None else found.none()


def tokens_of(user, organization: Organization | None = None):
    found = ApiToken.objects.filter(user=user).select_related("organization")
    return found.filter(organization=organization) if organization else found


def visible_tokens(actor: Actor, organizations, user=None, organization=None):
    """The tokens ``actor`` may list in ``organizations`` (those it can see): its own, or
    everyone's for the local command line; narrowed to one user or organization if given."""
    found = ApiToken.objects.select_related("user", "organization").filter(
        organization__in=organizations)
    if not actor.local:
        found = found.filter(user=actor.user)
    if user is not None:
        found = found.filter(user=user)
    return found.filter(organization=organization) if organization is not None else found


def token_by_prefix(prefix: str) -> ApiToken | None:
    return ApiToken.objects.filter(prefix=prefix.strip()).select_related("organization").first()


def record_token_event(token: ApiToken, event: str, *, actor: Actor,
                       address: str | None = None, why: str = "") -> None:
    """Creation, use from a new address, or revocation, in the caller's transaction (the
    hash-chained history of the token's organization)."""
    if event == CREATE:
        changes = {"name": ("", token.name), "user": ("", token.user.get_username()),
                   "read_only": ("", token.read_only),
                   "expires_at": ("", token.expires_at.isoformat(timespec="seconds")
                                  if token.expires_at else "")}
        audit.record(actor, token.organization, "token", token.prefix, "create", changes)
    elif event == USE:
        audit.record(actor, token.organization, "token", token.prefix, "update",
                     {USED_FROM: ("", address or "")}, "first use from this address",
                     client_address=address or "")
    else:
        audit.record(actor, token.organization, "token", token.prefix, "delete", {},
                     why or "revoked")


def token_dict(token: ApiToken) -> dict:
    """A token as it leaves the process (never its secret): `token list --json`, the API."""
    def moment(value):
        return value.isoformat(timespec="seconds") if value else ""
    return {"prefix": token.prefix, "name": token.name, "user": token.user.get_username(),
            "org": token.organization.slug, "read_only": token.read_only,
            "created": moment(token.created_at), "last_used": moment(token.last_used_at),
            "expires": f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never",
            "expires_at": moment(token.expires_at), "revoked": moment(token.revoked_at),
            "state": token.state}
