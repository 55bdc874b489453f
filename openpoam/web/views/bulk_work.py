"""Work on many items at once: the list's ticked items, or the items an import created
("Work on the N new items" on the import's page). One form sets the owner, the scheduled
completion, the status and adds a milestone to every selected item with one justification,
through the one bulk service (tracker/services/bulk_edit.py) the API and CLI call too."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.contrib.auth.decorators import login_required

from openpoam.domain.numbers import is_whole_number
from openpoam.domain.poam import Risk, Status
from openpoam.tracker.models import ImportRecord, Person, PoamItem, Role, System
from openpoam.tracker.services import bulk_edit
from openpoam.tracker.services.actors import PermissionDenied, ServiceError
from openpoam.tracker.services.fields import coerce, parse_date
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, forbidden
from openpoam.web.views.pages import system_context

NOBODY = "-"  # the owner choice that clears the owner ("" keeps each item's own)
SHOWN = 200  # items listed on the work page; the change applies to all selected


def bulk_statuses() -> list[Status]:
    """Statuses a bulk change may set: the approved ones need a request and a decision."""
    return [s for s in Status if s not in (Status.RISK_ACCEPTED, Status.FALSE_POSITIVE)]


def plan_from(post: QueryDict, system: System) -> bulk_edit.Plan:
    """The form's fields -> the plan; the older one-change form (change=..., value_...)
    is read too. Raises ServiceError naming the field."""
    organization = system.organization
    if post.get("change"):
        return _legacy_plan(post, system)
    plan = bulk_edit.Plan()
    owner = post.get("owner", "").strip()
    if owner:
        plan.set_owner = True
        plan.owner = None if owner == NOBODY else _person(organization, owner, "owner")
    status = post.get("status", "").strip()
    if status:
        if status not in {s.value for s in bulk_statuses()}:
            raise ServiceError(f"status: {status!r} cannot be set for many items at once")
        plan.status = status
    due = post.get("scheduled_completion", "").strip()
    if due:
        plan.scheduled_completion = parse_date(due, "scheduled_completion")
    description = post.get("milestone_description", "").strip()
    milestone_due = post.get("milestone_due", "").strip()
    milestone_owner = post.get("milestone_owner", "").strip()
    if description or milestone_due or milestone_owner:
        if not description:
            raise ServiceError("milestone_description: a new milestone needs a description")
        plan.milestone = bulk_edit.NewMilestone(
            description=description,
            due=parse_date(milestone_due, "milestone_due") if milestone_due else None,
            owner=_person(organization, milestone_owner, "milestone_owner")
            if milestone_owner else None)
    return plan


def _legacy_plan(post: QueryDict, system: System) -> bulk_edit.Plan:
    change = post.get("change", "")
    text = post.get(f"value_{change}", "")
    if change == "owner":
        return bulk_edit.Plan(set_owner=True, owner=coerce("owner", text, system.organization))
    if change == "scheduled_completion":
        value = coerce("scheduled_completion", text)
        if value is None:
            raise ServiceError("scheduled_completion: give the new date")
        return bulk_edit.Plan(scheduled_completion=value)
    if change == "status":
        return bulk_edit.Plan(status=text)
    raise ServiceError(f"bulk change: {change!r} is not one of owner, status, "
                       "scheduled_completion")


def _person(organization, text: str, name: str) -> Person:
    person = (Person.objects.filter(organization=organization, pk=text).first()
              if is_whole_number(text) else None)
    if person is None:
        raise ServiceError(f"{name}: choose a person of {organization.name}")
    return person


def selected_items(system: System, ids: list[str]) -> list[PoamItem]:
    wanted = [p.strip().upper() for p in ids if p.strip()]
    return list(PoamItem.objects.select_related("organization", "system")
                .filter(system=system, poam_id__in=wanted).order_by("poam_id"))


def apply(request: HttpRequest, system: System, items: list[PoamItem]) -> int:
    """Parse the form and make the one service call; raises ServiceError."""
    plan = plan_from(request.POST, system)
    return bulk_edit.change_all(access.actor_of(request), items, plan,
                                request.POST.get("justification", ""))


def changed_message(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''} changed."


def form_context(system: System, people: list[Person] | None = None) -> dict:
    if people is None:
        people = list(system.organization.people.order_by("name"))
    return {"people": people,
            "bulk_statuses": bulk_statuses(), "nobody": NOBODY}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def work_on_items(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    """GET ?import=ID (the items that import created) or ?items=ID&items=ID; POST applies
    the form to the ticked ones."""
    if request.method == "POST":
        try:
            system = access.editable_system_or_404(request, org_slug, system_slug)
        except PermissionDenied as exc:
            return forbidden(request, str(exc))
        source = request.POST
    else:
        system = access.system_or_404(request, org_slug, system_slug)
        source = request.GET
    record, ids = None, source.getlist("items")
    if source.get("import", "").strip():
        record = ImportRecord.objects.filter(system=system, pk=source["import"]).first() \
            if is_whole_number(source["import"]) else None
        if record is None:
            return _render(request, system, [], None, error="import: no such import of "
                           f"{system.name}", status=404)
        if request.method != "POST":
            ids = bulk_edit.new_item_ids(record)
    items = selected_items(system, ids)
    if request.method != "POST":
        return _render(request, system, items, record)
    try:
        count = apply(request, system, items)
    except ServiceError as exc:
        return _render(request, system, items, record, error=str(exc), status=UNPROCESSABLE)
    messages.success(request, changed_message(count))
    query = QueryDict(mutable=True)
    if record is not None:
        query["import"] = str(record.pk)
    else:
        query.setlist("items", [item.poam_id for item in items])
    return redirect(reverse("system-work", args=[org_slug, system_slug]) + "?"
                    + query.urlencode())


def _render(request: HttpRequest, system: System, items: list[PoamItem], record, *,
            error: str = "", status: int = 200) -> HttpResponse:
    rows = list(PoamItem.objects.filter(pk__in=[item.pk for item in items[:SHOWN]])
                .select_related("owner").prefetch_related("milestones").order_by("poam_id"))
    for row in rows:
        row.risk = Risk(row.effective_risk)  # the badge's level and words
    return render(request, "web/work_on_items.html", {
        **system_context(system), **form_context(system),
        "rows": rows, "ids": [item.poam_id for item in items], "count": len(items),
        "hidden_ids": [item.poam_id for item in items[SHOWN:]], "record": record,
        "can_edit": access.may(request, system.organization, "poam.edit"),
        "error": error, "posted": request.POST if error else {},
    }, status=status)
