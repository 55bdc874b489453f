"""Who is acting, and whether they may."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from openpoam.domain import permissions
# The refusals live in tracker/errors.py; the services and interfaces import them from here.
from openpoam.tracker.errors import PermissionDenied, ServiceError  # noqa: F401
from openpoam.tracker.models import Membership, Organization, Role


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


def role_allows(role: Role | str | None, action: str) -> bool:
    """Whether ``role`` (None: not a member) may do ``action`` in the permission table."""
    return permissions.allows(Role(role).value if role else None, action)


def may(actor: Actor, organization: Organization, action: str) -> bool:
    return permissions.allows(role_in(actor, organization), action)


def require(actor: Actor, organization: Organization, action: str) -> None:
    """Refuse unless the actor's role allows ``action`` (such as "poam.edit") in the one
    permission table (domain/permissions.py); an action not in it is an error."""
    if not permissions.allows(role_in(actor, organization), action):
        roles = ", ".join(permissions.roles_allowed(action))
        raise PermissionDenied(f"{actor.name} may not do this in {organization.name} "
                               f"(needs the role {roles})")


def visible_organizations(actor: Actor):
    if actor.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=actor.user)
