"""The OpenID Connect client: Authlib's Django integration.

Authlib reads the provider's discovery document, sends the authorization request with PKCE
(S256), a state and a nonce kept in the session, exchanges the code, and checks the ID
token: its signature against the provider's published keys, issuer, audience (our client
id), expiry and nonce. A state or nonce is used once: Authlib drops it from the session as
soon as the answer comes back, so a replayed answer finds nothing to match.

(Chosen over mozilla-django-oidc, which has no discovery and wants each endpoint configured,
and django-allauth, which brings its own account models and pages in place of ours.)
"""

from __future__ import annotations

import functools
import time

from django.conf import settings

DISCOVERY = "/.well-known/openid-configuration"
METADATA_MAX_AGE = 3600  # seconds


class ProviderUnavailable(Exception):
    """The provider cannot be reached, or its discovery document is not usable."""


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


@functools.cache
def _registry(issuer: str, client_id: str):
    from authlib.integrations.django_client import OAuth

    oauth = OAuth()
    oauth.register(
        "provider", client_id=client_id, client_secret=settings.OIDC_CLIENT_SECRET or None,
        server_metadata_url=issuer + DISCOVERY,
        client_kwargs={"scope": settings.OIDC_SCOPES, "code_challenge_method": "S256",
                       "default_timeout": settings.OIDC_TIMEOUT,
                       # a public client (no secret) authenticates by PKCE alone
                       "token_endpoint_auth_method": ("client_secret_basic"
                                                      if settings.OIDC_CLIENT_SECRET
                                                      else "none")})
    return oauth.create_client("provider")


def client():
    """The provider's client, with its discovery document loaded (ProviderUnavailable if it
    cannot be); a document that failed to load is fetched again next time."""
    provider = _registry(settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID)
    if time.time() - provider.server_metadata.get("_loaded_at", 0) > METADATA_MAX_AGE:
        provider.server_metadata = {}  # keys and endpoints are read again once an hour
    try:
        provider.load_server_metadata()
    except Exception as exc:  # requests' connection errors, bad JSON, HTTP errors
        provider.server_metadata = {}
        raise ProviderUnavailable(describe(exc)) from None
    _check_metadata(provider.server_metadata)
    return provider


def _check_metadata(metadata: dict) -> None:
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
               if not metadata.get(k)]
    if missing:
        provider_metadata_reset()
        raise ProviderUnavailable(f"its discovery document lacks {', '.join(missing)}")
    if metadata["issuer"].rstrip("/") != settings.OIDC_ISSUER:
        provider_metadata_reset()
        raise ProviderUnavailable(f"its discovery document names issuer "
                                  f"{metadata['issuer']!r}, not {settings.OIDC_ISSUER!r}")


def claims_options() -> dict:
    """What the ID token must say. Authlib checks the issuer by default but the audience
    only through ``azp``, which a token issued to another client can carry with our id: the
    audience is named here so that it is always checked."""
    issuer = _registry(settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID).server_metadata["issuer"]
    return {"iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": settings.OIDC_CLIENT_ID},
            "exp": {"essential": True}, "sub": {"essential": True}}


def provider_metadata_reset() -> None:
    _registry(settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID).server_metadata = {}


def describe(exc: Exception) -> str:
    """A short reason, without any URL query string or token."""
    import requests

    if isinstance(exc, requests.ConnectionError):
        return "it does not answer (connection refused or no route)"
    if isinstance(exc, requests.Timeout):
        return f"it did not answer within {settings.OIDC_TIMEOUT:g} seconds"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"its discovery document answered HTTP {exc.response.status_code}"
    if isinstance(exc, ValueError):
        return "its discovery document is not JSON"
    return type(exc).__name__


def check_discovery() -> str:
    """For check-deploy: '' when the discovery document loads and is usable, else why not."""
    try:
        client()
    except ProviderUnavailable as exc:
        return str(exc)
    return ""
