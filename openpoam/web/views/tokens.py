"""The API tokens page: a signed-in user makes tokens for the organizations they belong
to (the secret is shown once) and revokes them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from openpoam.accounts.services import tokens
from openpoam.domain.numbers import whole_number
from openpoam.tracker.models import Membership
from openpoam.tracker.services.actors import Actor, ServiceError


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    actor = Actor.for_user(request.user)
    memberships = list(Membership.objects.filter(user=request.user)
                       .select_related("organization").order_by("organization__name"))
    context: dict = {"memberships": memberships, "error": "", "new_secret": "", "form": {},
                     "default_days": tokens.DEFAULT_EXPIRY_DAYS,
                     "max_days": tokens.MAX_EXPIRY_DAYS}
    if request.method == "POST":
        context["form"] = request.POST
        org = next((m.organization for m in memberships
                    if m.organization.slug == request.POST.get("organization")), None)
        try:
            if org is None:
                raise ServiceError("organization: choose one of your organizations")
            made = tokens.create_token(actor, request.user, org, request.POST.get("name", ""),
                                       read_only=request.POST.get("read_only") == "on",
                                       expires_in_days=_days(request.POST.get("expires_in")))
            context.update(new_secret=made.secret, new_token=made.token, form={})
        except ServiceError as exc:
            context["error"] = str(exc)
    context["tokens"] = list(tokens.tokens_of(request.user))
    response = render(request, "web/api_tokens.html", context)
    response["Cache-Control"] = "no-store"  # the page may hold a secret
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    """Revoke one of the user's tokens (form field ``token``); anything else changes nothing."""
    token = tokens.tokens_of(request.user).filter(pk=_int(request.POST.get("token")),
                                                  revoked_at__isnull=True).first()
    if token is not None:
        tokens.revoke_token(Actor.for_user(request.user), token)
    return redirect("api-tokens")


def _int(text: str | None) -> int | None:
    return whole_number(text)


def _days(text: str | None) -> int:
    """The form's "expires in (days)"; blank means the default."""
    text = (text or "").strip()
    if not text:
        return tokens.DEFAULT_EXPIRY_DAYS
    if not (text.isascii() and text.isdigit()):
        raise ServiceError(f"expires_in: {text[:20]!r} is not a whole number of days")
    return int(text)
