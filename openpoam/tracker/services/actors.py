"""Who is acting, and whether they may."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from openpoam.tracker.models import Membership, Organization, Role

_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


class ServiceError(ValueError):
    """A refused change; the message is for people and is shown as is."""


class PermissionDenied(ServiceError):
    pass


@dataclass(frozen=True)
class Actor:
    name: str
    user: object | None = None  # a django User, None for the local command line
    local: bool = False  # the CLI on the server itself: trusted like a superuser
    read_only: bool = False  # e.g. a read-only API token: never more than a viewer

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(name=user.get_username(), user=user)

    @classmethod
    def command_line(cls, name: str | None = None) -> "Actor":
        return cls(name=name or f"cli:{_os_user()}", local=True)

    @property
    def is_superuser(self) -> bool:
        return self.local or bool(getattr(self.user, "is_superuser", False))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "local"


def role_in(actor: Actor, organization: Organization) -> Role | None:
    role = _role_in(actor, organization)
    return Role.VIEWER if actor.read_only and role is not None else role


def _role_in(actor: Actor, organization: Organization) -> Role | None:
    if actor.is_superuser:
        return Role.OWNER
    if actor.user is None:
        return None
    membership = Membership.objects.filter(user=actor.user, organization=organization).first()
    return Role(membership.role) if membership else None


def require(actor: Actor, organization: Organization, minimum: Role) -> None:
    role = role_in(actor, organization)
    if role is None or _RANK[role] < _RANK[minimum]:
        raise PermissionDenied(f"{actor.name} may not do this in {organization.name} "
                               f"(needs the {minimum.label} role)")


def visible_organizations(actor: Actor):
    if actor.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=actor.user)
