"""A system's POA&M quality checks (``domain.checks``), fast enough for 100,000 items.

The checks need every item as plain data (``documents.build_document``: one
``values_list`` query per table, not model instances), and of the history only why
milestone dates moved. The result is kept in the cache under a key that
changes with any change to the system (its newest history event, its item count, its
framework, the day), so it is computed once per change, not once per visit. Each kind of
problem lists its first items; the list page finds the rest.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.domain import checks
from openpoam.tracker.models import ChangeEvent, PoamItem, System
from openpoam.reviews.services.quality import run_checks
from openpoam.web.views import access
from openpoam.web.views.pages import system_context

ITEMS_SHOWN = 60  # per kind of problem
CACHE_SECONDS = 24 * 3600


@require_safe
@login_required
def system_checks(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    result = check_results(system, timezone.localdate())
    return render(request, "web/system_checks.html",
                  {**system_context(system), "tab": "checks", **result})


def check_results(system: System, today: date) -> dict:
    key = _cache_key(system, today)
    result = cache.get(key)
    if result is None:
        result = _compute(system, today)
        cache.set(key, result, CACHE_SECONDS)
    return result


def _cache_key(system: System, today: date) -> str:
    latest = ChangeEvent.objects.filter(system=system).aggregate(m=Max("id"))["m"]
    count = PoamItem.objects.filter(system=system).aggregate(n=Count("id"))["n"]
    return f"openpoam:checks:{system.uuid}:{latest}:{count}:{system.framework}:{today}"


def _compute(system: System, today: date) -> dict:
    issues = run_checks(system, today)
    return {"groups": group_issues(issues),
            "errors": sum(1 for i in issues if i.severity.value == "error"),
            "warnings": sum(1 for i in issues if i.severity.value != "error"),
            "item_count": PoamItem.objects.filter(system=system).count(),
            "items_shown": ITEMS_SHOWN}


def group_issues(issues) -> list[dict]:
    """One row per kind of problem with the items it affects: errors first, then most items."""
    groups: dict[tuple, dict] = {}
    for issue in issues:
        key = (issue.code, issue.severity.value)
        group = groups.setdefault(key, {"code": issue.code, "severity": issue.severity.value,
                                        "message": issue.message, "citation": issue.citation,
                                        "hint": checks.hint(issue.code),
                                        "ids": {}, "varies": False})
        if issue.poam_id:
            group["ids"][issue.poam_id] = None  # a dict keeps the order and drops repeats
        if issue.message != group["message"]:
            group["varies"] = True
    result = []
    for group in groups.values():
        ids = list(group.pop("ids"))
        result.append({**group, "count": len(ids), "items": ids[:ITEMS_SHOWN],
                       "more": max(0, len(ids) - ITEMS_SHOWN)})
    return sorted(result, key=lambda g: (g["severity"] != "error", -g["count"]))
