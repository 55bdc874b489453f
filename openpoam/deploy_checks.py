"""Deployment checks of our own, run by `openpoam check-deploy` next to Django's.

IDs openpoam.W001-W003; each message says what to set.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Tags, Warning, register

from openpoam import proxies

_PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache",
                       "django.core.cache.backends.dummy.DummyCache")


@register(Tags.security, deploy=True)
def check_proxy_deployment(app_configs=None, **kwargs):
    found = []
    if "*" in settings.ALLOWED_HOSTS:
        found.append(Warning(
            "ALLOWED_HOSTS contains '*': any Host header is accepted (links in e-mails and "
            "redirects can be pointed elsewhere).",
            hint="Set OPENPOAM_ALLOWED_HOSTS to the names the site is reached by.",
            id="openpoam.W001"))
    if getattr(settings, "HTTPS", False) and not proxies.trusted_networks():
        found.append(Warning(
            "OPENPOAM_HTTPS=1 with no trusted proxy: X-Forwarded-Proto is believed from no one, so "
            "behind a TLS-terminating proxy every request is redirected to https again.",
            hint="Set OPENPOAM_TRUSTED_PROXIES to the proxy's address (or network); serving TLS "
                 "directly without a proxy is not supported by `openpoam serve`.",
            id="openpoam.W002"))
    servers = app_servers()
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if servers > 1 and backend in _PER_PROCESS_CACHES:
        found.append(Warning(
            f"{servers} app servers (OPENPOAM_APP_SERVERS) with a per-process cache: API rate "
            "limits are counted by each server on its own.",
            hint="Set OPENPOAM_CACHE_URL to a shared cache (redis://host:6379/0).",
            id="openpoam.W003"))
    return found


def app_servers() -> int:
    """How many app servers share the database, as the deployment declares it."""
    try:
        return max(1, int(os.environ.get("OPENPOAM_APP_SERVERS", "1")))
    except ValueError:
        return 1
