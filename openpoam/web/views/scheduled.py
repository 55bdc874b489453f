"""The scheduled work, for the site's administrators: each periodic job (reminders, digests,
expired sessions, old job results, the KEV catalog, audit checkpoints, CR26 overdue notices)
with its last run, outcome and next run, and which scheduler holds the lease.

Staff with a second factor, as the admin site; anyone else gets 403."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from openpoam.jobs import schedule
from openpoam.web.views.actions import forbidden


@require_safe
@login_required
def scheduled_work(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_staff:
        return forbidden(request, "Only the site's administrators see the scheduled work.")
    if not user.is_verified():
        return forbidden(request, "The scheduled work needs a session signed in with a second "
                                  "factor: enrol one under \"Second factor\", then sign in again.")
    return render(request, "web/scheduled_work.html", schedule.overview())
