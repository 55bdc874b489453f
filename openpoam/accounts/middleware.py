"""Session upkeep for signed-in users, once a minute rather than on every request:

- the idle timeout (NIST SP 800-171 Rev 2, 3.1.11: "Terminate (automatically) a user
  session after a defined condition"): the session is saved (and its cookie renewed for SESSION_COOKIE_AGE)
  when a minute has passed since the last save, so it ends after that long unused;
- an organization may require a second factor of all its members (3.5.3: "Use multifactor
  authentication for local and network access to privileged accounts and for network
  access to non-privileged accounts"): a signed-in member
  without a verified second factor is sent to enrol one (or to sign in again with it)
  before any other page. Whether a rule applies is looked up at most once a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from openpoam.accounts.services import mfa
from openpoam.tracker.models import Membership

# Pages a member may reach before the second factor: signing in and out, and enrolling.
OPEN_PAGES = {"login", "login-verify", "logout", "set-password", "mfa", "mfa-enrol",
              "sso-start", "sso-callback", "cac-login"}
SEEN, RULE = "openpoam_seen", "openpoam_mfa_rule"
TICK = 60  # seconds


def needs_second_factor(user) -> bool:
    return Membership.objects.filter(user=user, organization__require_mfa=True).exists()


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        _tick(request)
        if user.is_verified():
            return None
        match = request.resolver_match
        if match is None or match.url_name in OPEN_PAGES or match.namespace == "admin":
            return None
        if not request.session.get(RULE):
            return None
        if mfa.has_mfa(user):  # a session from before the rule: sign in again with the code
            logout(request)
            return redirect("login")
        return redirect("mfa-enrol")


def _tick(request: HttpRequest) -> None:
    now = int(time.time())
    if now - request.session.get(SEEN, 0) >= TICK:
        request.session[SEEN] = now
        request.session[RULE] = needs_second_factor(request.user)


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SEEN] = int(time.time())
        request.session[RULE] = needs_second_factor(user)


class NoStoreMiddleware:
    """Pages shown to a signed-in user (or answered to an API token) carry
    ``Cache-Control: no-store``: no browser back-button cache, shared computer or proxy keeps a
    copy of a POA&M after sign-out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = (user is not None and user.is_authenticated) or \
            "HTTP_AUTHORIZATION" in request.META
        if signed_in and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response
