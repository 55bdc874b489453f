"""Members of an organization, managed by its owners: invite, change role, remove."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from openpoam.accounts.services import invitations, mfa, offboarding
from openpoam.tracker.models import Membership, Organization, Role
from openpoam.tracker.services import audit, setup
from openpoam.tracker.services.actors import Actor, ServiceError, require


def member_rows(actor: Actor, organization: Organization) -> list[dict]:
    require(actor, organization, "members.manage")
    rows = (Membership.objects.filter(organization=organization).select_related("user")
            .order_by("user__username"))
    return [{"username": m.user.username, "email": m.user.email, "role": m.role,
             "mfa": mfa.has_mfa(m.user), "user": m.user} for m in rows]


def member_named(actor: Actor, organization: Organization, username: str):
    """A member's account, for an owner; anyone else is refused, and a name that is not a
    member is Membership.DoesNotExist (the API's 404), never a clue about other accounts."""
    require(actor, organization, "members.manage")
    found = (Membership.objects.filter(organization=organization, user__username=username)
             .select_related("user").first())
    if found is None:
        raise Membership.DoesNotExist(f"{username!r} is not a member of {organization.slug}")
    return found.user


def member_dict(row: dict) -> dict:
    """A row of ``member_rows`` as it leaves the process (the API, `member list --json`):
    without the account object the web page uses."""
    return {name: row[name] for name in ("username", "email", "role", "mfa")}


@dataclass(frozen=True)
class Invited:
    """What an invitation did. ``new_user`` is set only for an account made by it (it needs
    a set-password link); for an existing account nothing about it is told to the inviter."""

    new_user: object | None = None
    invitation: object | None = None


@transaction.atomic
def invite(actor: Actor, organization: Organization, email: str, role: str) -> Invited:
    """Invite by e-mail address or user name. An existing account gets a pending invitation
    that its holder accepts after signing in (the site administrator adds it at once); an
    unknown e-mail address gets a new account, with no password yet, and joins."""
    require(actor, organization, "members.manage")
    setup.check_role(role)
    name = email.strip()
    if not name:
        raise ServiceError("give an e-mail address or a user name")
    model = get_user_model()
    user = model.objects.filter(Q(username=name) | Q(email__iexact=name), is_active=True).first()
    if user is None:
        if "@" not in name:
            return Invited()  # the same answer as for an account that exists
        user = model(username=name, email=name)
        user.set_unusable_password()
        user.save()
        audit.record(actor, organization, "user", name, "create", {"email": ("", name)},
                     "invited")
        setup.add_member(actor, organization, user, role, invited=True)
        return Invited(new_user=user)
    if actor.local or actor.is_superuser:
        if not Membership.objects.filter(user=user, organization=organization).exists():
            setup.add_member(actor, organization, user, role)
        return Invited()
    return Invited(invitation=invitations.invite_existing(actor, organization, user, role, name))


@transaction.atomic
def change_role(actor: Actor, organization: Organization, user, role: str) -> None:
    require(actor, organization, "members.manage")
    membership = _membership(organization, user)
    if membership.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(organization)
    setup.add_member(actor, organization, user, role)


@transaction.atomic
def remove_member(actor: Actor, organization: Organization, user) -> None:
    require(actor, organization, "members.manage")
    membership = _membership(organization, user)
    if membership.role == Role.OWNER:
        _keep_an_owner(organization)
    membership.delete()
    audit.record(actor, organization, "membership", user.get_username(), "delete",
                 {"role": (membership.role, "")})
    offboarding.revoke_access(actor, user, organization, why="member removed")


def _membership(organization: Organization, user) -> Membership:
    found = Membership.objects.filter(organization=organization, user=user).first()
    if found is None:
        raise ServiceError(f"{user.get_username()} is not a member of {organization.slug}")
    return found


def _keep_an_owner(organization: Organization) -> None:
    owners = Membership.objects.select_for_update().filter(organization=organization,
                                                           role=Role.OWNER)
    if len(owners) <= 1:
        raise ServiceError(f"{organization.slug} needs at least one owner")
