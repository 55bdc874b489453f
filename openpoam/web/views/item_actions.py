"""Changing one item: create, edit, status, vendor check-in, comments, approval requests.

Each view looks the item up through ``access`` (404 for strangers), calls one service
(or ``forms``, which calls services in one transaction) and redirects to the item; a
refusal shows the item page again with the service's message as it is.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from openpoam.tracker.models import ApprovalRequest
from openpoam.tracker.services import comments, requests
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.actors import PermissionDenied, ServiceError
from openpoam.tracker.services.fields import TEXT_LIMITS, coerce, parse_date
from openpoam.web import forms
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, action, forbidden
from openpoam.web.views.item_page import render_item, section_of
from openpoam.web.views.pages import system_context


def item_url(item) -> str:
    return reverse("item", args=[item.organization.slug, item.system.slug, item.poam_id])


def done(request: HttpRequest, item, text: str) -> HttpResponse:
    """Back to the item page, on the group of sections the change was made in."""
    messages.success(request, text)
    section = section_of(request.path)
    return redirect(item_url(item) + (f"?section={section}" if section else ""))


def optional_date(text: str, name: str):
    return parse_date(text.strip(), name) if (text or "").strip() else None


# ---- create and edit --------------------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def item_new(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    if not access.may(request, system.organization, "poam.edit"):
        return forbidden(request, "You may read this system's POA&M but not add items to it.")
    error = ""
    if request.method == "POST":
        try:
            item = forms.create_item(access.actor_of(request), system, request.POST)
            return done(request, item, f"{item.poam_id} created.")
        except ServiceError as exc:
            error = str(exc)
    return _item_form(request, system, None, error)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def item_edit(request: HttpRequest, org_slug: str, system_slug: str,
              poam_id: str) -> HttpResponse:
    system, item = access.item_or_404(request, org_slug, system_slug, poam_id)
    if not access.may(request, system.organization, "poam.edit"):
        return forbidden(request, "You may read this item but not change it.")
    error = ""
    if request.method == "POST":
        try:
            item = forms.update_item(access.actor_of(request), item, request.POST)
            return done(request, item, f"{item.poam_id} saved.")
        except ServiceError as exc:
            error = str(exc)
    return _item_form(request, system, item, error)


def _item_form(request: HttpRequest, system, item, error: str) -> HttpResponse:
    values = request.POST if error else _initial(item)
    context = {**system_context(system), "record": item, "error": error, "values": values,
               "rmf_fields": forms.rmf_form(values),
               "people": list(system.organization.people.all()),
               "source_choices": forms.SOURCE_CHOICES, "risk_choices": forms.RISK_CHOICES,
               "today": timezone.localdate(), "limits": TEXT_LIMITS}
    return render(request, "web/item_form.html", context,
                  status=UNPROCESSABLE if error else 200)


def _initial(item) -> dict:
    if item is None:
        return {"detected_on": timezone.localdate().isoformat(), "source": "other",
                "original_risk": "moderate"}
    values = {}
    for name in forms.FORM_FIELDS:
        value = getattr(item, name)
        if name == "owner":
            value = value.name if value else ""
        elif name == "cves":
            value = ", ".join(value or [])
        elif isinstance(value, bool):
            value = "on" if value else ""
        values[name] = "" if value is None else str(value)
    values["controls"] = ", ".join(c.control_id for c in item.controls.all())
    values["depends_on"] = ", ".join(d.poam_id for d in item.depends_on.all())
    values["version"] = str(item.version)
    return values


# ---- status, vendor, comments -----------------------------------------------------------

@action
def item_status(request: HttpRequest, org_slug: str, system_slug: str,
                poam_id: str) -> HttpResponse:
    system, item = access.item_or_404(request, org_slug, system_slug, poam_id)
    post = request.POST
    try:
        item = item_services.set_status(
            access.actor_of(request), item, post.get("status", ""),
            actual_completion=optional_date(post.get("actual_completion", ""),
                                             "actual_completion"),
            reason=post.get("reason", ""))
    except PermissionDenied:
        raise  # a 403 page (actions.action)
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed="status", error=str(exc),
                           status=UNPROCESSABLE)
    return done(request, item, f"{item.poam_id} is now {item.status_enum.label}.")


@action
def vendor_checkin(request: HttpRequest, org_slug: str, system_slug: str,
                   poam_id: str) -> HttpResponse:
    system, item = access.item_or_404(request, org_slug, system_slug, poam_id)
    try:
        checked = coerce("vendor_last_checkin", request.POST.get("checked_on", ""))
        item = item_services.vendor_checkin(access.actor_of(request), item, checked,
                                            request.POST.get("note", ""))
    except PermissionDenied:
        raise  # a 403 page (actions.action)
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed="vendor", error=str(exc),
                           status=UNPROCESSABLE)
    return done(request, item, "Vendor check-in recorded.")


@action
def comment_add(request: HttpRequest, org_slug: str, system_slug: str,
                poam_id: str) -> HttpResponse:
    system, item = access.item_or_404(request, org_slug, system_slug, poam_id)
    try:
        comments.add_comment(access.actor_of(request), item, request.POST.get("text", ""))
    except PermissionDenied:
        raise  # a 403 page (actions.action)
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed="comment", error=str(exc),
                           status=UNPROCESSABLE)
    return done(request, item, "Comment added.")


# ---- approval requests ------------------------------------------------------------------

@action
def request_add(request: HttpRequest, org_slug: str, system_slug: str,
                poam_id: str) -> HttpResponse:
    system, item = access.item_or_404(request, org_slug, system_slug, poam_id)
    post = request.POST
    try:
        made = requests.request_approval(
            access.actor_of(request), item, post.get("kind", ""), post.get("rationale", ""),
            review_date=optional_date(post.get("review_date", ""), "review_date"),
            proposed_risk=post.get("proposed_risk", ""))
    except PermissionDenied:
        raise  # a 403 page (actions.action)
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed="request", error=str(exc),
                           status=UNPROCESSABLE)
    return done(request, item, f"{made.get_kind_display()} requested; another person with "
                                "the owner role decides it.")


@action
def request_decide(request: HttpRequest, org_slug: str, system_slug: str, poam_id: str,
                   request_id: int) -> HttpResponse:
    # Editors may withdraw here (a 403 page for others); whether this one may decide is the
    # service's answer, shown on the item page.
    system, item = access.editable_item_or_404(request, org_slug, system_slug, poam_id,
                                               action=requests.ASKER_ROLE)
    pending = get_object_or_404(ApprovalRequest, pk=request_id, item=item)
    try:
        decided = requests.answer(access.actor_of(request), pending,
                                  request.POST.get("decision", ""), request.POST.get("note", ""))
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed=f"decide-{request_id}",
                           error=str(exc), status=UNPROCESSABLE)
    return done(request, item,
                f"{decided.get_kind_display()} {decided.get_state_display().lower()}.")
