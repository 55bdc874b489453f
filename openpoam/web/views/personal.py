"""A person's own pages: what waits on them (My work), their notifications and settings, and
the portfolio of every system they may see. Each reads one service and presents it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from openpoam.tracker.models import Notification
from openpoam.tracker.services import notify
from openpoam.tracker.services.actors import ServiceError
from openpoam.reviews.services.my_work import my_work as work_of
from openpoam.reviews.services.portfolio import SORTS, portfolio as portfolio_of
from openpoam.web.views import access
from openpoam.tracker.services.summary import summaries

PAGE_SIZE = 50


def work_page(request: HttpRequest, *, home: bool = False) -> HttpResponse:
    work = work_of(request.user)
    context = {"work": work, "is_home": home,
               "organizations": _systems(request) if home else []}
    return render(request, "web/my_work.html", context)


@require_safe
@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    return work_page(request)


def _systems(request: HttpRequest) -> list[dict]:
    """The organizations and their systems with counts, as the owners' home shows them."""
    organizations = access.organizations_with_systems(request)
    numbers = summaries([s.pk for org in organizations for s in org.systems.all()],
                        timezone.localdate())
    return [{"organization": org,
             "systems": [{"system": s, "summary": numbers[s.pk]} for s in org.systems.all()]}
            for org in organizations]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The person's own notifications, newest first; POST marks one (``id``) or all read."""
    if request.method == "POST":
        wanted = request.POST.get("id", "").strip()
        if wanted and not wanted.isdigit():
            messages.error(request, "id: a notification's number")
        else:
            notify.mark_read(request.user, [int(wanted)] if wanted else None)
        return redirect("notifications")
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    mine = Notification.objects.filter(user=request.user).select_related("organization")
    total = mine.count()
    rows = list(mine[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])
    return render(request, "web/notifications.html", {
        "notifications": rows, "unread": notify.unread_count(request.user), "page": page,
        "has_next": page * PAGE_SIZE < total, "has_previous": page > 1, "total": total})


@require_POST
@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read and go to the place to act (only the user's own; a path of this site)."""
    found = Notification.objects.filter(user=request.user, pk=notification_id).first()
    if found is None:
        return redirect("notifications")
    notify.mark_read(request.user, [found.pk])
    target = found.link if found.link.startswith("/") and not found.link.startswith("//") \
        else reverse("notifications")
    return redirect(target)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        choices = {kind: (f"{kind}:app" in request.POST, f"{kind}:email" in request.POST)
                   for kind, _ in Notification.KINDS}
        try:
            notify.save_settings(request.user, choices)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Your notification settings are saved.")
        return redirect("notification-settings")
    return render(request, "web/notification_settings.html", {
        "settings": notify.settings_of(request.user), "email": request.user.email})


@require_safe
@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "overdue")
    direction = request.GET.get("dir", "")
    result = portfolio_of(access.visible_organizations(request), sort=sort,
                          descending={"asc": False, "desc": True}.get(direction))
    columns = [_column(key, label, result) for key, label in (
        ("system", "System"), ("organization", "Organization"),
        ("critical", "Critical"), ("high", "High"), ("moderate", "Moderate"), ("low", "Low"),
        ("open", "Open"), ("overdue", "Overdue"), ("delayed", "Delayed"),
        ("score", "SPRS / CR26"), ("closeout", "Closeout by"),
        ("last_import", "Last scan"), ("last_review", "Last review"))]
    return render(request, "web/portfolio.html", {"portfolio": result, "columns": columns})


def _column(key: str, label: str, result) -> dict:
    assert key in SORTS
    current = result.sort == key
    # A click on the current column turns its direction round.
    direction = ("asc" if result.descending else "desc") if current else ""
    href = f"?sort={key}" + (f"&dir={direction}" if direction else "")
    aria = ("descending" if result.descending else "ascending") if current else ""
    return {"key": key, "label": label, "href": href, "aria_sort": aria, "current": current,
            "numeric": key not in ("system", "organization", "framework")}
