"""Sign-in with the organization's provider (OpenID Connect) or a CAC/PIV card at the proxy.

The provider's answer is checked by Authlib (openpoam/accounts/oidc.py); the account and
its memberships are decided by services/sso.py. A provider sign-in that does not count as
multifactor goes on to the product's own code step (login-verify) for accounts that have
an authenticator; an organization that requires one sends the rest to enrol.
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth import login
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from openpoam import proxies
from openpoam.accounts import oidc
from openpoam.accounts.services import mfa, signin, sso
from openpoam.web.views.accounts.common import client_address, next_page

ID_TOKEN = "openpoam_oidc_id_token"  # kept for the provider's sign-out (id_token_hint)
NEXT = "openpoam_oidc_next"
PENDING = "openpoam_pending_user"  # the same key as the password step's (signin.py)
BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
@require_safe
def sso_start(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        return _not_configured(request, "Single sign-on")
    try:
        provider = oidc.client()
    except oidc.ProviderUnavailable as exc:
        sso.refused("oidc", "provider_unavailable", client_address(request))
        return _unavailable(request, str(exc))

    request.session[NEXT] = next_page(request)
    return provider.authorize_redirect(request, request.build_absolute_uri(reverse("sso-callback")),
                                       nonce=_nonce())


def _nonce() -> str:
    import secrets

    return secrets.token_urlsafe(24)


@never_cache
@require_safe
def sso_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        return _not_configured(request, "Single sign-on")
    address = client_address(request)
    try:
        provider = oidc.client()
        token = provider.authorize_access_token(request, claims_options=oidc.claims_options())
    except oidc.ProviderUnavailable as exc:
        sso.refused("oidc", "provider_unavailable", address)
        return _unavailable(request, str(exc))
    except Exception as exc:  # Authlib's OAuthError, joserfc's JoseError, requests' errors
        code = _error_code(exc)
        sso.refused("oidc", code, address)
        if code == "provider_unavailable":
            return _unavailable(request, oidc.describe(exc))
        return _refused(request, code, _reason(code, exc))
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        sso.refused("oidc", "missing_id_token", address)
        return _refused(request, "missing_id_token", "The provider sent no ID token.")
    try:
        result = sso.oidc_sign_in(claims, address)
    except sso.SsoRefused as exc:
        who = str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("email")
                  or claims["sub"])
        sso.refused(who, exc.code, address)
        return _refused(request, exc.code, str(exc))
    return _finish(request, result.user, token.get("id_token", ""),
                   result.mfa_by_provider, "provider", address)


def _finish(request: HttpRequest, user, id_token: str, mfa_done: bool, method: str,
            address: str) -> HttpResponse:
    target = request.session.pop(NEXT, "") or settings.LOGIN_REDIRECT_URL
    if not mfa_done and mfa.has_mfa(user):
        request.session.cycle_key()
        request.session[PENDING] = user.pk
        request.session[ID_TOKEN] = id_token
        url = reverse("login-verify")
        return redirect(url + ("?" + urlencode({"next": target}) if target.startswith("/") else ""))
    login(request, user, backend=BACKEND)
    if id_token:
        request.session[ID_TOKEN] = id_token
    if mfa_done:
        django_otp.login(request, sso.mfa_device(user))
    signin.signed_in(user, address, method + (" with multifactor" if mfa_done else ""))
    return redirect(target)


def provider_logout_url(request: HttpRequest, id_token: str) -> str:
    """The provider's end-session address (RP-initiated logout), or '' if it has none."""
    if not (id_token and oidc.enabled()):
        return ""
    try:
        metadata = oidc.client().server_metadata
    except oidc.ProviderUnavailable:
        return ""
    end = metadata.get("end_session_endpoint")
    if not end:
        return ""
    query = urlencode({"id_token_hint": id_token, "client_id": settings.OIDC_CLIENT_ID,
                       "post_logout_redirect_uri": request.build_absolute_uri(reverse("login"))})
    return f"{end}{'&' if '?' in end else '?'}{query}"


@never_cache
@require_safe
def cac_login(request: HttpRequest) -> HttpResponse:
    """The proxy checked the card (ssl_verify_client) and passes who it is in a header; that
    header means something only when the request comes from a trusted proxy."""
    if not settings.CAC_HEADER:
        return _not_configured(request, "Smart-card sign-in")
    address = proxies.client_address(request)
    if not proxies.peer_is_trusted(request):
        sso.refused("card", "untrusted_peer", address, method="card")
        return _refused(request, "untrusted_peer", "Smart-card sign-in works only through "
                                                   "the organization's proxy.")
    value = _header(request, settings.CAC_HEADER)
    verified = _header(request, settings.CAC_VERIFY_HEADER) if settings.CAC_VERIFY_HEADER else "SUCCESS"
    if not value or verified != "SUCCESS":
        sso.refused("card", "no_verified_card", address, method="card")
        return _refused(request, "no_verified_card", "The proxy did not pass a verified "
                                                     "smart card.")
    user = sso.card_user(value)
    if user is None:
        sso.refused(value, "card_not_mapped", address, method="card")
        return _refused(request, "card_not_mapped", "This card is not mapped to an account; "
                                                    "ask your administrator.")
    # A card is something held plus its PIN: multifactor by itself.
    return _finish(request, user, "", True, "card", address)


def _not_configured(request: HttpRequest, what: str) -> HttpResponse:
    messages.error(request, f"{what} is not set up here: sign in with your user name.")
    return redirect("login")


def _header(request: HttpRequest, name: str) -> str:
    return request.META.get("HTTP_" + name.upper().replace("-", "_"), "").strip()


def _error_code(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.RequestException):
        return "provider_unavailable"
    return str(getattr(exc, "error", "") or type(exc).__name__)[:100]


REASONS = {
    "mismatching_state": "This sign-in answer does not belong to a sign-in started here (it "
                         "was already used, or it is stale). Start again.",
    "access_denied": "The provider refused the sign-in.",
    "bad_signature": "The provider's ID token is not signed by the provider.",
    "expired_token": "The provider's ID token has expired.",
}

CLAIMS = {"aud": " (it was issued to another application)",
          "nonce": " (it belongs to another sign-in: a replayed token)",
          "iss": " (it comes from another issuer)"}


def _reason(code: str, exc: Exception) -> str:
    if code in REASONS:
        return REASONS[code]
    if code in ("invalid_claim", "missing_claim"):  # names the claim, never its value
        claim = str(getattr(exc, "claim", "") or "?")[:40]
        why = CLAIMS.get(claim, "")
        verb = "lacks" if code == "missing_claim" else "has a wrong"
        return f"The provider's ID token {verb} '{claim}' claim{why}."
    return f"The provider refused the sign-in ({code})."


def _refused(request: HttpRequest, code: str, message: str) -> HttpResponse:
    return render(request, "accounts/sso_error.html",
                  {"title": "Sign-in refused", "message": message, "code": code}, status=403)


def _unavailable(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "accounts/sso_error.html", {
        "title": "The sign-in provider is not available",
        "message": f"OpenPOAM cannot use the sign-in provider at {settings.OIDC_ISSUER}: "
                   f"{reason}. Try again later, or tell your administrator.",
        "code": "provider_unavailable"}, status=502)
