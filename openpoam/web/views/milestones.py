"""Milestones on the item page: add, complete, reschedule (with a justification), reorder."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from openpoam.domain.numbers import is_whole_number
from openpoam.tracker.models import Person
from openpoam.tracker.services import milestone_order
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.fields import parse_date
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, action
from openpoam.web.views.item_actions import done, optional_date, item_url
from openpoam.web.views.item_page import render_item


def _owner(item, text: str) -> Person | None:
    if not text.strip():
        return None
    person = Person.objects.filter(organization=item.organization, pk=text).first() \
        if is_whole_number(text) else None
    if person is None:
        raise ServiceError("milestone owner: choose a person of this organization")
    return person


@action
def milestone_add(request: HttpRequest, org_slug: str, system_slug: str,
                  poam_id: str) -> HttpResponse:
    system, item = access.editable_item_or_404(request, org_slug, system_slug, poam_id)
    post = request.POST
    try:
        milestone = milestone_services.add_milestone(
            access.actor_of(request), item, post.get("description", ""),
            optional_date(post.get("due", ""), "due"), _owner(item, post.get("owner", "")))
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed="milestone-add", error=str(exc),
                           status=UNPROCESSABLE)
    return done(request, item, f"Milestone {milestone.sequence} added.")


@action
def milestone_change(request: HttpRequest, org_slug: str, system_slug: str, poam_id: str,
                     sequence: int) -> HttpResponse:
    """One form per milestone row: complete it, close it as not needed (with a reason),
    move its date, or move it up or down."""
    system, item = access.editable_item_or_404(request, org_slug, system_slug, poam_id)
    post, actor = request.POST, access.actor_of(request)
    what = post.get("do", "")
    try:
        milestone = milestone_services.milestone_of(item, sequence)
        if what == "complete":
            milestone_services.complete_milestone(
                actor, milestone, parse_date(post.get("completed_on", "").strip(),
                                             "completed_on"))
            text = f"Milestone {sequence} completed."
        elif what == "reschedule":
            milestone_services.reschedule_milestone(
                actor, milestone, parse_date(post.get("due", "").strip(), "due"),
                post.get("justification", ""))
            text = f"Milestone {sequence} rescheduled."
        elif what == "not_needed":
            milestone_services.close_not_needed(
                actor, milestone, post.get("reason", ""),
                parse_date(post.get("completed_on", "").strip(), "completed_on"))
            text = f"Milestone {sequence} closed as not needed."
        elif what in ("up", "down"):
            milestone_order.move_milestone(actor, item, sequence, -1 if what == "up" else 1)
            return redirect(item_url(item) + "?section=milestones")
        elif what == "owner":
            milestone = milestone_services.set_milestone_owner(
                actor, milestone, _owner(item, post.get("owner", "")))
            text = (f"Milestone {sequence} is now {milestone.owner.name}'s." if milestone.owner
                    else f"Milestone {sequence} has no owner now.")
        else:
            raise ServiceError("milestone: choose complete, not needed, reschedule, owner, up "
                               "or down")
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed=f"milestone-{sequence}",
                           error=str(exc), status=UNPROCESSABLE)
    return done(request, item, text)
