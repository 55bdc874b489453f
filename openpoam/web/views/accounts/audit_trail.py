"""The organization's audit trail, for its owners: filter by person, entity and date."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from openpoam.web.views.accounts.common import organization_or_404
from openpoam.tracker.models import ChangeEvent, Membership
from openpoam.domain.dates import DateError, parse_iso_date
from openpoam.tracker.services import checkpoints

PAGE_SIZE = 50


@require_safe
@login_required
def audit_trail(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = organization_or_404(request, org_slug, "audit.view")
    filters = {name: request.GET.get(name, "").strip()
               for name in ("person", "entity", "since", "until")}
    errors = []
    rows = _events(org, filters, errors)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "accounts/audit.html", {
        "organization": org, "page": page, "filters": filters, "errors": errors,
        "query": query, "entities": _entities(org),
        "people": _distinct(org, "actor_name"), "key": checkpoints.public_key_info()})


def _events(org, filters: dict, errors: list):
    """The organization's chain, plus the sign-in events of its current members."""
    members = Membership.objects.filter(organization=org).values_list("user_id", flat=True)
    rows = ChangeEvent.objects.filter(
        Q(organization=org) | Q(organization__isnull=True, entity="account",
                                actor_id__in=members))
    if filters["person"]:
        rows = rows.filter(actor_name=filters["person"])
    if filters["entity"]:
        rows = rows.filter(entity=filters["entity"])
    for name, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        if filters[name]:
            try:
                rows = rows.filter(**{lookup: parse_iso_date(filters[name].strip())})
            except DateError as exc:
                errors.append(f"{name}: {exc}")
    return rows.order_by("-at", "-id")


def _entities(org) -> list[str]:
    return ["account", *(e for e in _distinct(org, "entity") if e != "account")]


def _distinct(org, name: str) -> list[str]:
    return list(ChangeEvent.objects.filter(organization=org).order_by(name)
                .values_list(name, flat=True).distinct())
