"""Sign-in in two steps: the password, then (for accounts with an authenticator) a code.

Between the steps the session holds only the user's id; nobody is signed in until the
second step succeeds. Every failure counts toward the lockout and is recorded.
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from openpoam.accounts import oidc
from openpoam.accounts.services import invitations, signin, sso
from openpoam.web.views.accounts import sso as sso_views
from openpoam.web.views.accounts.common import actor_of, client_address, next_page
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor

PENDING = "openpoam_pending_user"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _landing(user) -> str:
    """After signing in: pending invitations first, else the home page."""
    return "invitations" if invitations.pending_for(user) else settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method != "POST":
        return redirect(next_page(request) or settings.LOGIN_REDIRECT_URL)
    context = {"next": next_page(request), "username": "", **_other_ways()}
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        context["username"] = username
        if not sso.password_allowed(username):
            signin.fail(username, client_address(request), "password sign-in is off")
            context["error"] = signin.PASSWORD_OFF_MESSAGE
            return render(request, "accounts/login.html", context, status=200)
        try:
            result = signin.check_password(request, username, request.POST.get("password", ""),
                                           client_address(request))
        except signin.SignInRefused as exc:
            context["error"] = str(exc)
            return render(request, "accounts/login.html", context, status=200)
        if result.needs_code:
            request.session.cycle_key()
            request.session[PENDING] = result.user.pk
            url = str(reverse_lazy("login-verify"))
            if context["next"]:
                url += "?" + urlencode({"next": context["next"]})
            return redirect(url)
        login(request, result.user, backend=BACKEND)
        signin.signed_in(result.user, client_address(request), "password")
        return redirect(context["next"] or _landing(result.user))
    return render(request, "accounts/login.html", context)


def _other_ways() -> dict:
    """Single sign-on and smart cards, where configured, and whether passwords are on."""
    return {"sso_provider": settings.OIDC_PROVIDER_NAME if oidc.enabled() else "",
            "cac_enabled": bool(settings.CAC_HEADER), "local_signin": settings.LOCAL_SIGNIN}


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    user = get_user_model().objects.filter(pk=request.session.get(PENDING),
                                           is_active=True).first()
    if user is None:
        return redirect("login")
    context = {"next": next_page(request)}
    if request.method == "POST":
        try:
            device = signin.check_code(user, request.POST.get("code", ""),
                                       client_address(request))
        except signin.SignInRefused as exc:
            context["error"] = str(exc)
            return render(request, "accounts/login_verify.html", context)
        login(request, user, backend=BACKEND)
        django_otp.login(request, device)
        method = "authenticator" if device.__class__.__name__ == "TOTPDevice" else "recovery code"
        signin.signed_in(user, client_address(request), method)
        return redirect(context["next"] or _landing(user))
    return render(request, "accounts/login_verify.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    id_token = request.session.get(sso_views.ID_TOKEN, "")
    if request.user.is_authenticated:
        audit.record(actor_of(request), None, "account", request.user.get_username(),
                     "sign-out", client_address=client_address(request))
    logout(request)
    # Signed in with the provider: end its session too (RP-initiated logout), where offered.
    return redirect(sso_views.provider_logout_url(request, id_token)
                    or settings.LOGOUT_REDIRECT_URL)


class SetPasswordView(PasswordResetConfirmView):
    """The one-time link an invited member (or a reset account) sets a password with."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(actor_of_user(form.user), None, "account", form.user.get_username(),
                     "update", {"password": ("", "set")}, "one-time link",
                     client_address=client_address(self.request))
        return response


def actor_of_user(user):
    return Actor.for_user(user)


# Django's view redirects before it looks at the method: refuse other methods first.
set_password = require_http_methods(["GET", "HEAD", "POST"])(SetPasswordView.as_view())
