"""An organization's people and systems, and the requests waiting for a decision.

People (owners of items) are added and edited by editors; systems by owners, as on
the command line. Members and roles are managed on the accounts pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from openpoam.domain.numbers import is_whole_number
from openpoam.domain.poam import Designation, Framework
from openpoam.tracker.services import people, requests, setup
from openpoam.tracker.services.actors import ServiceError
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, forbidden
from openpoam.web.views.pages import system_context

FRAMEWORKS = [(f.value, f.label) for f in Framework]
DESIGNATIONS = [(d.value, d.label) for d in Designation]
IMPACTS = ["", "Low", "Moderate", "High"]


def _members(organization) -> list:
    return [m.user for m in organization.memberships.select_related("user")
            .order_by("user__username")]


def _member(organization, user_id: str):
    """The member the form names by id (none when blank); another account names nobody."""
    if not (user_id or "").strip():
        return None
    found = next((u for u in _members(organization) if str(u.pk) == user_id.strip()), None)
    if found is None:
        raise ServiceError("user: choose a member of the organization")
    return found


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def org_people(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = access.organization_or_404(request, org_slug)
    can_edit = access.may(request, organization, "poam.edit")
    error, editing = "", None
    if request.method == "POST":
        if not can_edit:
            return forbidden(request, "You may read this organization's people but not change them.")
        post = request.POST
        try:
            if is_whole_number(post.get("person")):
                editing = organization.people.filter(pk=post["person"]).first()
                if editing is None:
                    raise Http404("No such person.")
                people.update_person(access.actor_of(request), editing, name=post.get("name", ""),
                                     email=post.get("email", ""), title=post.get("title", ""),
                                     user=_member(organization, post.get("user", "")))
            else:
                setup.add_person(access.actor_of(request), organization, post.get("name", ""),
                                 email=post.get("email", "").strip(),
                                 title=post.get("title", "").strip(),
                                 user=_member(organization, post.get("user", "")))
            messages.success(request, f"{post.get('name', '').strip()} saved.")
            return redirect(reverse("org-people", args=[org_slug]))
        except ServiceError as exc:
            error = str(exc)
    context = {"organization": organization,
               "people": list(organization.people.select_related("user")),
               "members": _members(organization) if can_edit else [],
               "can_edit": can_edit, "error": error, "editing": editing,
               "posted": request.POST if error else {}}
    return render(request, "web/org_people.html", context,
                  status=UNPROCESSABLE if error else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def system_new(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = access.organization_or_404(request, org_slug)
    if not access.may(request, organization, "system.manage"):
        return forbidden(request, "Only an owner of the organization adds systems.")
    error = ""
    if request.method == "POST":
        post = request.POST
        try:
            system = setup.create_system(access.actor_of(request), organization,
                                         **_system_fields(post), slug=post.get("slug", "").strip())
            messages.success(request, f"{system.name} created.")
            return redirect(reverse("system", args=[org_slug, system.slug]))
        except ServiceError as exc:
            error = str(exc)
    values = request.POST if error else {"designation": "internal", "framework": "cmmc-l2",
                                         "auto_close": "on"}
    return _system_form(request, {"organization": organization}, values, error, None)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def system_settings(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    if not access.may(request, system.organization, "system.manage"):
        return forbidden(request, "Only an owner of the organization changes a system's settings.")
    error = ""
    if request.method == "POST":
        try:
            setup.update_system(access.actor_of(request), system, **_system_fields(request.POST))
            messages.success(request, "Settings saved.")
            return redirect(reverse("system-settings", args=[org_slug, system_slug]))
        except ServiceError as exc:
            error = str(exc)
            system.refresh_from_db()
    values = request.POST if error else {
        "name": system.name, "acronym": system.acronym, "framework": system.framework,
        "impact_level": system.impact_level, "designation": system.designation,
        "description": system.description, "auto_close": "on" if system.auto_close else ""}
    return _system_form(request, {**system_context(system), "tab": "settings"}, values, error,
                        system)


def _system_fields(post) -> dict:
    return {"name": post.get("name", "").strip(), "acronym": post.get("acronym", "").strip(),
            "framework": post.get("framework", ""), "impact_level": post.get("impact_level", ""),
            "designation": post.get("designation", ""),
            "description": post.get("description", "").strip(),
            "auto_close": bool(post.get("auto_close"))}


def _system_form(request, context, values, error, system) -> HttpResponse:
    context.update({"values": values, "error": error, "record": system,
                    "frameworks": FRAMEWORKS, "designations": DESIGNATIONS, "impacts": IMPACTS})
    return render(request, "web/system_form.html", context,
                  status=UNPROCESSABLE if error else 200)


@require_safe
@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Requests waiting for a decision in the user's organizations."""
    organizations = access.visible_organizations(request)
    pending = requests.pending_for(organizations.values_list("pk", flat=True))
    return render(request, "web/approvals.html", {"pending": pending})
