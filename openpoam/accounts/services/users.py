"""Accounts: created and deactivated by administrators (never deleted: their history stays
attributable), unlocked by an administrator or an owner of every one of their organizations."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from openpoam.accounts.services import lockout, mfa, offboarding
from openpoam.tracker.models import Membership
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError, may


def user_named(username: str):
    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise ServiceError(f"no user {username!r} (see `openpoam user list`)")
    return found


def _require_admin(actor: Actor) -> None:
    if not actor.is_superuser:
        raise PermissionDenied(f"{actor.name} may not manage accounts (administrators only)")


@transaction.atomic
def create_user(actor: Actor, username: str, *, email: str = "", superuser: bool = False,
                password: str | None = None):
    """Create an account; returns it with its first password (generated unless given)."""
    _require_admin(actor)
    model = get_user_model()
    username = username.strip()
    if not username:
        raise ServiceError("a user needs a user name")
    if model.objects.filter(username=username).exists():
        raise ServiceError(f"a user {username!r} already exists")
    password = password or secrets.token_urlsafe(15)
    user = model(username=username, email=email, is_staff=superuser, is_superuser=superuser)
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(f"user {username!r}: {exc.messages[0]}") from None
    user.set_password(password)
    user.save()
    audit.record(actor, None, "user", username, "create",
                 {"email": ("", email), "admin": ("", superuser)})
    return user, password


@transaction.atomic
def reset_password(actor: Actor, user) -> str:
    """Give an account a new generated password (an administrator's recovery); returns it."""
    _require_admin(actor)
    password = secrets.token_urlsafe(15)
    user.set_password(password)
    user.save(update_fields=["password"])
    lockout.clear(user.get_username())
    audit.record(actor, None, "account", user.get_username(), "update",
                 {"password": ("", "reset")})
    return password


def password_changed(user, address: str, where: str) -> None:
    """A user changed their own password (the form has checked the old one)."""
    audit.record(Actor.for_user(user), None, "account", user.get_username(), "update",
                 {"password": ("", "changed")}, where, client_address=address)


def user_rows(actor: Actor) -> list[dict]:
    _require_admin(actor)
    users = get_user_model().objects.order_by("username").prefetch_related(
        "memberships__organization")
    return [{"username": u.username, "email": u.email, "active": u.is_active,
             "admin": u.is_superuser, "mfa": mfa.has_mfa(u),
             "organizations": ", ".join(f"{m.organization.slug} ({m.role})"
                                        for m in u.memberships.all())} for u in users]


@transaction.atomic
def deactivate_user(actor: Actor, user) -> None:
    _require_admin(actor)
    if getattr(actor.user, "pk", None) == user.pk:
        raise ServiceError("you cannot deactivate your own account")
    for membership in Membership.objects.filter(user=user).select_related("organization"):
        audit.record(actor, membership.organization, "membership", user.get_username(),
                     "delete", {"role": (membership.role, "")}, "account deactivated")
        membership.delete()
    offboarding.revoke_access(actor, user, why="account deactivated")
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    audit.record(actor, None, "user", user.get_username(), "update", {"active": (True, False)})


@transaction.atomic
def unlock(actor: Actor, user) -> None:
    """Lift a lockout: an administrator, or an owner of every organization the user belongs
    to (an owner of one of them cannot lift the lock for the others, again and again)."""
    memberships = list(Membership.objects.filter(user=user).select_related("organization"))
    owns = bool(memberships) and all(may(actor, m.organization, "members.manage")
                                     for m in memberships)
    if not (actor.is_superuser or actor.local or owns):
        raise PermissionDenied(f"{actor.name} may not unlock {user.get_username()}")
    lockout.clear(user.get_username())
    audit.record(actor, None, "account", user.get_username(), "unlocked")
