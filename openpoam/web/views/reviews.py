"""Pages of the monthly cadence: reviews, snapshots and their comparison, metrics, the
executive report, calendar feeds. Lookups go through the access helpers (404 for other
tenants); every change goes through ``openpoam.reviews.services`` (templates: reviews/)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from openpoam.domain.numbers import is_whole_number, whole_number
from openpoam.formats import registry
from openpoam.formats.base import FormatError
from openpoam import charts
from openpoam.reviews.models import CalendarFeed, Review, ReviewEntry, Snapshot
from openpoam.reviews.services import calendar as calendars
from openpoam.reviews.services import report as reports
from openpoam.reviews.services import review as reviews
from openpoam.reviews.services.metrics import system_metrics
from openpoam.tracker.models import Person, PoamItem
from openpoam.tracker.services.actors import PermissionDenied, ServiceError, may
from openpoam.tracker.services.exports import download_name
from openpoam.web.views import access
from openpoam.web.views.pages import system_context
from openpoam.web.views.system_pages import EXPORTS, export_links



def _can_edit(request: HttpRequest, organization) -> bool:
    return may(access.actor_of(request), organization, "poam.edit")


def _refuse_unless_editor(request: HttpRequest, organization) -> None:
    """Writes by someone who may only read answer 403 before any service is called."""
    if request.method == "POST" and not _can_edit(request, organization):
        raise Forbidden("Your role may not change this.")


def _context(request, system, tab: str) -> dict:
    return {**system_context(system), "tab": tab,
            "can_edit": _can_edit(request, system.organization)}


def _review_or_404(system, month: str) -> Review:
    try:
        found = Review.objects.filter(system=system, month=reviews.parse_month(month)).first()
    except ServiceError:
        found = None
    if found is None:
        raise Http404("No such review.")
    return found


def _snapshot_or_404(system, number) -> Snapshot:
    found = Snapshot.objects.filter(system=system, pk=number).first()
    if found is None:
        raise Http404("No such snapshot.")
    return found


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def review_list(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    _refuse_unless_editor(request, system.organization)
    if request.method == "POST":
        try:
            started = reviews.start_review(access.actor_of(request), system,
                                           reviews.parse_month(request.POST.get("month", "")))
        except ServiceError as exc:
            messages.error(request, str(exc))
            return redirect("system-reviews", org_slug, system_slug)
        return redirect("system-review", org_slug, system_slug, f"{started.month:%Y-%m}")
    context = {**_context(request, system, "reviews"),
               "reviews": system.reviews.select_related("snapshot"),
               "snapshots": system.snapshots.defer("content")[:60],
               "this_month": f"{timezone.localdate():%Y-%m}",
               "formats": export_links()}
    return render(request, "reviews/review_list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def review_detail(request: HttpRequest, org_slug: str, system_slug: str,
                  month: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    review = _review_or_404(system, month)
    _refuse_unless_editor(request, system.organization)
    if request.method == "POST":
        return _finish(request, review)
    context = {**_context(request, system, "reviews"), "review": review,
               "state": reviews.progress(review), "actions": ReviewEntry.ACTIONS}
    return render(request, "reviews/review_detail.html", context)


def _finish(request: HttpRequest, review: Review) -> HttpResponse:
    try:
        reviews.finish_review(access.actor_of(request), review, request.POST.get("summary", ""),
                              allow_unreviewed=request.POST.get("allow_unreviewed") == "on")
        messages.success(request, "Review finished; the POA&M is frozen in its snapshot.")
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("system-review", review.system.organization.slug, review.system.slug,
                    f"{review.month:%Y-%m}")


@require_POST
@login_required
def review_entry(request: HttpRequest, org_slug: str, system_slug: str, month: str,
                 poam_id: str) -> HttpResponse:
    """Record one item's review; answers the table row for HTMX, else redirects back."""
    system = access.system_or_404(request, org_slug, system_slug)
    review = _review_or_404(system, month)
    _refuse_unless_editor(request, system.organization)
    item = PoamItem.objects.filter(system=system, poam_id=poam_id.upper()).first()
    if item is None:
        raise Http404("No such POA&M item.")
    error = ""
    try:
        entry = reviews.record_entry(access.actor_of(request), review, item,
                                     request.POST.get("action", ""), request.POST.get("note", ""))
    except ServiceError as exc:
        entry, error = ReviewEntry.objects.filter(review=review, poam_id=item.poam_id).first(), \
            str(exc)
    if request.headers.get("HX-Request"):
        context = {**_context(request, system, "reviews"), "review": review,
                   "row": {"item": item, "owner": item.owner.name if item.owner else "",
                           "entry": entry}, "error": error,
                   "actions": ReviewEntry.ACTIONS}
        return render(request, "reviews/_review_row.html", context)
    if error:
        messages.error(request, error)
    return redirect("system-review", org_slug, system_slug, month)


@require_safe
@login_required
def snapshot_compare(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    if not (is_whole_number(request.GET.get("old")) and is_whole_number(request.GET.get("new"))):
        messages.info(request, "Choose the two snapshots to compare.")
        return redirect("system-reviews", org_slug, system_slug)
    old = _snapshot_or_404(system, request.GET.get("old") or 0)
    new = _snapshot_or_404(system, request.GET.get("new") or 0)
    try:
        diff = reviews.compare_snapshots(access.actor_of(request), old, new)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("system-reviews", org_slug, system_slug)
    first, second = sorted((old, new), key=lambda s: s.taken_at)
    return render(request, "reviews/snapshot_compare.html",
                  {**_context(request, system, "reviews"), "old": first, "new": second,
                   "diff": diff})


@require_safe
@login_required
def snapshot_export(request: HttpRequest, org_slug: str, system_slug: str, number: int,
                    format_key: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    snapshot = _snapshot_or_404(system, number)
    if format_key not in EXPORTS:
        raise Http404("No such export format.")
    buffer = io.BytesIO()
    try:
        reviews.export_snapshot(access.actor_of(request), snapshot, format_key, buffer)
        exporter = registry.default().exporter(format_key)
    except FormatError:
        raise Http404("No such export format.") from None
    name = download_name(system, format_key, exporter.extension, snapshot.taken_at.date(),
                         kind="poam-snapshot")
    return _attachment(buffer.getvalue(), exporter.media_type, name)


def _attachment(content: bytes, media_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def metrics_page(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    numbers = system_metrics(system, timezone.localdate())
    context = {**_context(request, system, "metrics"), "metrics": numbers,
               "burndown_chart": charts.line_chart("Open items, week by week",
                                                   numbers.burndown, "open items"),
               "risk_chart": charts.bar_chart("Open items by risk", numbers.open_by_risk),
               "age_chart": charts.bar_chart("Open items by age", numbers.open_by_age),
               "score_chart": charts.line_chart("SPRS score", numbers.score_trend, "points")
               if numbers.score_trend else None}
    return render(request, "reviews/metrics.html", context)


@require_safe
@login_required
def report_pdf(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    try:
        content = reports.report_pdf(access.actor_of(request), system)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("system-metrics", org_slug, system_slug)
    name = f"{system.slug}-report-{timezone.localdate().isoformat()}.pdf"
    return _attachment(content, "application/pdf", name)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def calendar_feeds(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    actor = access.actor_of(request)
    new_url = ""
    if request.method == "POST":
        try:
            new_url = _create_or_revoke(request, system)
        except PermissionDenied:
            raise Forbidden("Your role may not change this.") from None
        except ServiceError as exc:
            messages.error(request, str(exc))
    people = Person.objects.filter(organization=system.organization)
    context = {**_context(request, system, "reviews"), "feeds": calendars.feeds(
        actor, system.organization), "people": people, "new_url": new_url}
    return render(request, "reviews/calendars.html", context)


def _create_or_revoke(request: HttpRequest, system) -> str:
    actor = access.actor_of(request)
    if request.POST.get("revoke"):
        feed = CalendarFeed.objects.filter(organization=system.organization,
                                           pk=whole_number(request.POST["revoke"])).first()
        if feed is None:
            raise Http404("No such feed.")
        calendars.revoke_feed(actor, feed)
        messages.success(request, "The calendar feed was revoked.")
        return ""
    person_id = request.POST.get("person")
    if person_id:
        person = Person.objects.filter(organization=system.organization,
                                       pk=whole_number(person_id)).first()
        if person is None:
            raise Http404("No such person.")
        _, token = calendars.create_feed(actor, person=person)
    else:
        _, token = calendars.create_feed(actor, system=system)
    return request.build_absolute_uri(reverse("calendar-feed", args=[token]))


@never_cache
@require_safe
def calendar_feed(request: HttpRequest, feed_token: str) -> HttpResponse:
    """The feed itself: no sign-in (calendar programs cannot), the private token is the key."""
    feed = calendars.feed_for_token(feed_token)
    if feed is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendars.feed_ics(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="poam-milestones.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
