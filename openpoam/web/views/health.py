"""/healthz for load balancers: 200 when every check passes, else 503; JSON, no sign-in."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from openpoam.jobs import health


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, body = health.report()
    return JsonResponse(body, status=200 if healthy else 503)
