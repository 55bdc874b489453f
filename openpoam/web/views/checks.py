"""A system's POA&M quality checks (``domain.checks``), fast at 100,000 items.

The page reads the checks' stored results (``tracker.services.item_checks``: written with
each item's change, the rows that hold today read through one index) and works out only
what spans the POA&M (dependencies, shared dates) and a CR26 system's rules. Each kind of
problem lists its first items; the list page finds the rest.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.tracker.services import item_checks
from openpoam.web.views import access
from openpoam.web.views.pages import system_context

ITEMS_SHOWN = 60  # per kind of problem


@require_safe
@login_required
def system_checks(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    result = item_checks.summary(system, timezone.localdate(), ITEMS_SHOWN)
    return render(request, "web/system_checks.html",
                  {**system_context(system), "tab": "checks", "items_shown": ITEMS_SHOWN,
                   **result})
