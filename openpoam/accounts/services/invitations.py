"""Invitations of existing accounts: an owner invites, the account's holder accepts or
declines after signing in. Until then the account is not a member, its owner cannot unlock
it or require a second factor of it, and the inviter is told nothing about it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openpoam.accounts.models import Invitation
from openpoam.tracker.models import Membership, Organization
from openpoam.tracker.services import audit, setup
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import moment


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


def pending_of(actor: Actor, organization: Organization) -> list[Invitation]:
    """The organization's pending invitations, for those who manage its members."""
    require(actor, organization, "members.manage")
    return pending_in(organization)


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


def invitation_dict(invitation: Invitation) -> dict:
    """A pending invitation as it leaves the process: what the owner typed, never which
    account (if any) it named."""
    return {"id": invitation.pk, "invited_as": invitation.invited_as, "role": invitation.role,
            "invited_by": invitation.invited_by,
            "created_at": moment(invitation.created_at)}


def set_password_path(user) -> str:
    """The one-time address where a new account sets its first password."""
    return reverse("set-password", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                                           "token": default_token_generator.make_token(user)})


# Without OPENPOAM_EMAIL_HOST, mail is only printed on the server's console (settings.py).
CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


def send_invitation(user, organization: Organization, link: str) -> str:
    """Send a new account its set-password link when a mail server is set; say what
    really happened (the web page and the API show the link to the inviter, once)."""
    link_below = "the one-time link to set a password is shown below, once"
    if settings.EMAIL_BACKEND == CONSOLE_MAIL:
        return (f"no mail server is set (OPENPOAM_EMAIL_HOST), so no e-mail went out; "
                f"{link_below}: give it to them yourself.")
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    sent = send_mail(f"You are invited to {organization.name} on OpenPOAM",
                     f"Set your password within {days} days with this one-time link:\n\n"
                     f"{link}\n", None, [user.email], fail_silently=True)
    if not sent:
        return (f"the mail server did not take the e-mail (see the server log); {link_below}: "
                "give it to them yourself.")
    return f"an e-mail with a one-time link to set a password was sent; {link_below} too."


def send_notice(address: str, organization: Organization, link: str) -> None:
    """Tell an existing account it has an invitation waiting."""
    send_mail(f"You are invited to {organization.name} on OpenPOAM",
              f"Sign in to OpenPOAM to accept or decline:\n\n{link}\n",
              None, [address], fail_silently=True)
