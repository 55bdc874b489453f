"""A system's POA&M list: search, filters, sort and pages from ``tracker.filters`` (the
one definition the API and CLI share), and a bulk change of the ticked items.

A page costs a fixed number of queries whatever the number of items: the page's rows
with their owners, their controls, the count (filtered lists only: unfiltered, the
summary's total is the count), and the numbers above the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, ExpressionWrapper, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.domain.poam import Risk, Status
from openpoam.tracker.filters import (DELAYED, NO_OWNER, RISK_CHOICES, SORT_CHOICES,
                                      SOURCE_CHOICES, STATUS_CHOICES, ListQuery, delayed_q)
from openpoam.tracker import keyset
from openpoam.tracker.models import ControlReference, PoamItem, System
from openpoam.tracker.services import saved_views
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.summary import Summary, system_summary
from openpoam.web.views import access, bulk_work
from openpoam.web.views.actions import UNPROCESSABLE, action
from openpoam.web.views.pages import system_context


@dataclass
class Row:
    poam_id: str
    title: str
    status: Status
    effective_risk: Risk
    original_risk: Risk
    adjusted: bool
    owner: str
    scheduled_completion: date | None
    controls: list[str]
    delayed: bool


def list_rows(system: System, query: ListQuery, today: date, count: int | None = None):
    """The page of rows, and the paginator's page (for its numbers and links); ``count``:
    how many items the query finds, when known."""
    queryset = (query.apply(PoamItem.objects.filter(system=system), today)
                .select_related("owner")
                .prefetch_related(Prefetch("controls",
                                           queryset=ControlReference.objects.only(
                                               "item_id", "control_id")))
                .annotate(is_delayed=ExpressionWrapper(delayed_q(today),
                                                       output_field=BooleanField()))
                .only("poam_id", "title", "status", "original_risk", "adjusted_risk",
                      "scheduled_completion", "updated_at", "owner__name"))
    page = query.paginate(queryset, count=count)
    rows = [Row(poam_id=r.poam_id, title=r.title, status=Status(r.status),
                effective_risk=Risk(r.effective_risk), original_risk=Risk(r.original_risk),
                adjusted=bool(r.adjusted_risk), owner=r.owner.name if r.owner else "",
                scheduled_completion=r.scheduled_completion,
                controls=[c.control_id for c in r.controls.all()], delayed=bool(r.is_delayed))
            for r in page.object_list]
    return rows, page


@require_safe
@login_required
def system_items(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    return _render_list(request, system)


def _render_list(request: HttpRequest, system: System, *, error: str = "",
                 status: int = 200) -> HttpResponse:
    query = ListQuery.from_params(request.GET)
    today = timezone.localdate()
    summary = system_summary(system, today)
    # Unfiltered, the list is every item: the summary's (cached) total spares a count of
    # the whole system on every page.
    rows, page = list_rows(system, query, today,
                           count=None if query.is_filtered else summary.total)
    people = list(system.organization.people.all())
    context = {
        **system_context(system),
        "items": rows, "page": page, "summary": summary,
        "count_links": _count_links(summary, query),
        "query": query, "people": people, "no_owner": NO_OWNER,
        "status_choices": STATUS_CHOICES, "risk_choices": RISK_CHOICES,
        "source_choices": SOURCE_CHOICES, "sort_choices": SORT_CHOICES,
        "sort_id": query.sort_column("id"), "sort_due": query.sort_column("due"),
        "sort_risk": query.sort_column("risk"),
        "pages": _page_links(page, query),
        "can_edit": access.may(request, system.organization, "poam.edit"),
        **bulk_work.form_context(system, people),
        "saved_views": saved_views.views_of(access.actor_of(request), system),
        "current_query": query.query_string(),
        "error": error, "posted": request.POST if error else {},
        "filter_problems": [message + " (left out of the search)"
                            for _, message in ListQuery.problems(request.GET)],
    }
    template = "web/_items_results.html" if _wants_results(request) else "web/system_items.html"
    return render(request, template, context, status=status)


def _wants_results(request: HttpRequest) -> bool:
    """The live search asks for the results region only (HTMX, not a boosted page load)."""
    return request.headers.get("HX-Target") == "results"


def _count_links(summary: Summary, query: ListQuery) -> list[dict]:
    """The counts on top of the list; each one filters the list (keeping the rest)."""
    entries = ([("", "All items", summary.total)]
               + [(c.value, c.label, c.count) for c in summary.by_status]
               + [(DELAYED, "Delayed", summary.delayed)])
    return [{"value": value, "label": label, "count": count,
             "href": query.query_string(status=value), "current": query.status == value}
            for value, label, count in entries]


def _page_links(page, query: ListQuery) -> dict:
    """Keyset links: each names the row its page starts after (or ends before), so a page
    deep in the list costs what the first one does."""
    paginator = page.paginator
    return {
        "first": query.query_string(page=1) if page.has_previous() else "",
        "previous": query.query_string(page=max(1, page.number - 1),
                                       before=page.previous_cursor())
        if page.has_previous() else "",
        "next": query.query_string(page=page.number + 1, after=page.next_cursor())
        if page.has_next() else "",
        "last": query.query_string(page=paginator.num_pages, before=keyset.LAST)
        if page.has_next() else "",
    }


@action
def bulk_change(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.editable_system_or_404(request, org_slug, system_slug)
    items = bulk_work.selected_items(system, request.POST.getlist("items"))
    try:
        count = bulk_work.apply(request, system, items)
    except ServiceError as exc:
        return _render_list(request, system, error=str(exc), status=UNPROCESSABLE)
    messages.success(request, bulk_work.changed_message(count))
    back = request.POST.get("back", "")
    return redirect(reverse("system", args=[org_slug, system_slug])
                    + (back if back.startswith("?") else ""))
