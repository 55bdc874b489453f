"""An organization's members, managed by its owners; and the organization's MFA rule."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
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
    return request.build_absolute_uri(invitations.set_password_path(user))


_send_invitation = invitations.send_invitation
_send_notice = invitations.send_notice


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
