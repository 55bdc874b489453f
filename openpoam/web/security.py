"""A strict Content-Security-Policy for every page: the app's own scripts, styles and
images only. Imported scan and POA&M text is untrusted; should anything ever slip past
template escaping, the browser still refuses inline scripts and foreign sources.

Enable it in settings.MIDDLEWARE, after SecurityMiddleware:
    "openpoam.web.security.ContentSecurityPolicyMiddleware",
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def policy() -> str:
    """POLICY, with the OpenID provider's origin allowed as a form's target: signing out
    redirects there to end the provider's session too (RP-initiated logout)."""
    from urllib.parse import urlsplit

    from django.conf import settings

    issuer = urlsplit(getattr(settings, "OIDC_ISSUER", ""))
    if not (issuer.scheme and issuer.netloc):
        return POLICY
    return POLICY.replace("form-action 'self'",
                          f"form-action 'self' {issuer.scheme}://{issuer.netloc}")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view may set a stricter policy of its own (evidence downloads do).
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy()
        return response
