"""Invitations of existing accounts: an owner invites, the account's holder accepts or
declines after signing in. Until then the account is not a member, its owner cannot unlock
it or require a second factor of it, and the inviter is told nothing about it."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from openpoam.accounts.models import Invitation
from openpoam.tracker.models import Membership, Organization
from openpoam.tracker.services import audit, setup
from openpoam.tracker.services.actors import Actor, ServiceError, require


@transaction.atomic
def invite_existing(actor: Actor, organization: Organization, user, role: str,
                    invited_as: str) -> Invitation | None:
    """A pending invitation (its role updated when one is pending); None when the account is
    already a member (the caller says the same thing either way)."""
    require(actor, organization, "members.manage")
    setup.check_role(role)
    if Membership.objects.filter(user=user, organization=organization).exists():
        return None
    pending = Invitation.objects.filter(organization=organization, user=user,
                                        answered_at__isnull=True).first()
    if pending is not None:
        pending.role = role
        pending.save(update_fields=["role"])
        return pending
    try:
        with transaction.atomic():
            made = Invitation.objects.create(organization=organization, user=user, role=role,
                                             invited_as=invited_as[:254], invited_by=actor.name,
                                             created_at=timezone.now())
    except IntegrityError:  # invited twice at the same moment
        return Invitation.objects.get(organization=organization, user=user,
                                      answered_at__isnull=True)
    audit.record(actor, organization, "invitation", invited_as[:200], "create",
                 {"role": ("", role)})
    return made


def pending_for(user) -> list[Invitation]:
    return list(Invitation.objects.filter(user=user, answered_at__isnull=True)
                .select_related("organization"))


def pending_in(organization: Organization) -> list[Invitation]:
    return list(Invitation.objects.filter(organization=organization, answered_at__isnull=True))


@transaction.atomic
def answer(user, invitation_id: int, accept: bool) -> Invitation:
    """The holder's answer; only their own pending invitations can be answered."""
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("organization")
                  .filter(pk=invitation_id, user=user, answered_at__isnull=True).first())
    if invitation is None:
        raise ServiceError("no such pending invitation")
    invitation.answered_at, invitation.accepted = timezone.now(), accept
    invitation.save(update_fields=["answered_at", "accepted"])
    actor = Actor.for_user(user)
    if accept:
        setup.join(actor, invitation.organization, user, invitation.role,
                   f"accepted the invitation of {invitation.invited_by}")
    else:
        audit.record(actor, invitation.organization, "invitation", invitation.invited_as[:200],
                     "update", {"accepted": ("", False)}, "declined")
    return invitation
