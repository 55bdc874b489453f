"""An organization's members, managed by its owners; and the organization's MFA rule."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from openpoam.accounts.services import invitations, lockout, members, users
from openpoam.web.views.accounts.common import actor_of, organization_or_404
from openpoam.tracker.models import Membership, Role
from openpoam.tracker.services import ServiceError, setup

ROLE_CHOICES = [(r.value, r.label) for r in (Role.OWNER, Role.EDITOR, Role.ASSESSOR, Role.VIEWER)]


@require_safe
@login_required
def member_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = organization_or_404(request, org_slug, "members.manage")
    rows = members.member_rows(actor_of(request), org)
    locked = lockout.locked_names([r["username"] for r in rows], timezone.now())
    for row in rows:
        row["locked"] = row["username"] in locked
    return render(request, "accounts/members.html", {
        "organization": org, "members": rows, "roles": ROLE_CHOICES,
        "invitations": invitations.pending_in(org),
        "invite_link": request.session.pop("invite_link", "")})


@require_POST
@login_required
def member_add(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = organization_or_404(request, org_slug, "members.manage")
    typed = request.POST.get("email", "").strip()
    try:
        done = members.invite(actor_of(request), org, typed, request.POST.get("role", Role.VIEWER))
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("members", org_slug=org.slug)
    if done.new_user is not None:
        link = _set_password_link(request, done.new_user)
        request.session["invite_link"] = link
        messages.success(request, f"Invited {typed}: "
                                  f"{_send_invitation(done.new_user, org, link)}")
        return redirect("members", org_slug=org.slug)
    if done.invitation is not None and done.invitation.user.email:
        _send_notice(done.invitation.user.email, org, request.build_absolute_uri(
            reverse("invitations")))
    # One answer whatever the address or name belongs to: the inviter learns nothing of it.
    messages.success(request, f"Invited {typed}. If it names an account, its holder sees the "
                              "invitation after signing in and joins on accepting it.")
    return redirect("members", org_slug=org.slug)


@require_POST
@login_required
def member_role(request: HttpRequest, org_slug: str, user_id: int) -> HttpResponse:
    org = organization_or_404(request, org_slug, "members.manage")
    user = _member_or_404(org, user_id)
    _run(request, lambda: members.change_role(actor_of(request), org, user,
                                              request.POST.get("role", "")),
         f"{user.get_username()} is now {request.POST.get('role', '')}.")
    return redirect("members", org_slug=org.slug)


@require_POST
@login_required
def member_remove(request: HttpRequest, org_slug: str, user_id: int) -> HttpResponse:
    org = organization_or_404(request, org_slug, "members.manage")
    user = _member_or_404(org, user_id)
    _run(request, lambda: members.remove_member(actor_of(request), org, user),
         f"{user.get_username()} was removed.")
    return redirect("members", org_slug=org.slug)


@require_POST
@login_required
def member_unlock(request: HttpRequest, org_slug: str, user_id: int) -> HttpResponse:
    org = organization_or_404(request, org_slug, "members.manage")
    user = _member_or_404(org, user_id)
    _run(request, lambda: users.unlock(actor_of(request), user),
         f"{user.get_username()} may sign in again.")
    return redirect("members", org_slug=org.slug)


@require_POST
@login_required
def org_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = organization_or_404(request, org_slug, "org.manage")
    required = request.POST.get("require_mfa") == "on"
    _run(request, lambda: setup.update_organization(actor_of(request), org,
                                                    require_mfa=required),
         "Every member now needs a second factor." if required
         else "A second factor is now optional.")
    return redirect("members", org_slug=org.slug)


def _run(request: HttpRequest, change, success: str) -> None:
    try:
        change()
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)


def _member_or_404(org, user_id: int):
    membership = Membership.objects.filter(organization=org, user_id=user_id).first()
    if membership is None:
        raise Http404("No such member.")
    return get_user_model().objects.get(pk=user_id)


def _set_password_link(request: HttpRequest, user) -> str:
    path = reverse("set-password", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                                           "token": default_token_generator.make_token(user)})
    return request.build_absolute_uri(path)


# Without OPENPOAM_EMAIL_HOST, mail is only printed on the server's console (settings.py).
CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


def _send_invitation(user, org, link: str) -> str:
    """Send the invitation when a mail server is set; say what really happened."""
    link_below = "the one-time link to set a password is shown below, once"
    if settings.EMAIL_BACKEND == CONSOLE_MAIL:
        return (f"no mail server is set (OPENPOAM_EMAIL_HOST), so no e-mail went out; "
                f"{link_below}: give it to them yourself.")
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    sent = send_mail(f"You are invited to {org.name} on OpenPOAM",
                     f"Set your password within {days} days with this one-time link:\n\n"
                     f"{link}\n", None, [user.email], fail_silently=True)
    if not sent:
        return (f"the mail server did not take the e-mail (see the server log); {link_below}: "
                "give it to them yourself.")
    return f"an e-mail with a one-time link to set a password was sent; {link_below} too."


def _send_notice(address: str, org, link: str) -> None:
    send_mail(f"You are invited to {org.name} on OpenPOAM",
              f"Sign in to OpenPOAM to accept or decline:\n\n{link}\n",
              None, [address], fail_silently=True)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's pending invitations, to accept or decline."""
    if request.method == "POST":
        choice = request.POST.get("answer", "")
        number = request.POST.get("invitation", "")
        try:
            if choice not in ("accept", "decline") or not (number.isascii() and number.isdigit()):
                raise ServiceError("choose accept or decline for one invitation")
            done = invitations.answer(request.user, int(number), choice == "accept")
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"You joined {done.organization.name}." if done.accepted
                             else f"You declined {done.organization.name}.")
        return redirect("invitations")
    return render(request, "accounts/invitations.html",
                  {"invitations": invitations.pending_for(request.user)})
