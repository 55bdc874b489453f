"""Saved list views: name the list's filters, find them on the list, delete them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from openpoam.tracker.services import saved_views
from openpoam.tracker.services.actors import ServiceError
from openpoam.web.views import access
from openpoam.web.views.actions import action


@action
def saved_view_add(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    query = request.POST.get("query", "")
    back = reverse("system", args=[org_slug, system_slug])
    try:
        view = saved_views.save_view(access.actor_of(request), system,
                                     request.POST.get("name", ""), query)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect(back + (query if query.startswith("?") else ""))
    messages.success(request, f"View “{view.name}” saved.")
    return redirect(back + view.query)


@action
def saved_view_delete(request: HttpRequest, org_slug: str, system_slug: str,
                      view_id: int) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    try:
        saved_views.delete_view(access.actor_of(request), system, view_id)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "View deleted.")
    return redirect(reverse("system", args=[org_slug, system_slug]))
