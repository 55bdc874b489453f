"""`openpoam check-deploy` (Django's `check --deploy`) reads the provider's discovery
document when single sign-on is configured, so a wrong issuer shows before users see it."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from openpoam.accounts import oidc


@checks.register(checks.Tags.security, deploy=True)
def oidc_discovery(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not settings.OIDC_ISSUER:
        return []
    if not settings.OIDC_CLIENT_ID:
        return [checks.Error("OPENPOAM_OIDC_ISSUER is set but OPENPOAM_OIDC_CLIENT_ID is not",
                             id="openpoam_sso.E001")]
    problem = oidc.check_discovery()
    if problem:
        return [checks.Error(f"the OpenID provider at {settings.OIDC_ISSUER} is not usable: "
                             f"{problem}", id="openpoam_sso.E002")]
    if not settings.LOCAL_SIGNIN and not settings.BREAK_GLASS_USERS:
        return [checks.Warning("password sign-in is off and no break-glass administrator is "
                               "named (OPENPOAM_BREAK_GLASS_USERS): nobody can sign in while "
                               "the provider is down", id="openpoam_sso.W001")]
    return []
