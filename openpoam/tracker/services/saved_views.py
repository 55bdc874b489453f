"""Saved list views: a person names the list's current filters and finds them again on the
list. Personal settings, not POA&M content: no history record; scoped to the system (and
so the organization) the person may see."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import QueryDict

from openpoam.tracker.filters import ListQuery
from openpoam.tracker.models import SavedView, System
from openpoam.tracker.services.actors import Actor, ServiceError, require

MAX_VIEWS = 50  # per person and system: a menu, not a store


def views_of(actor: Actor, system: System) -> list[SavedView]:
    if actor.user is None:
        return []
    return list(SavedView.objects.filter(system=system, user=actor.user))


@transaction.atomic
def save_view(actor: Actor, system: System, name: str, query_string: str) -> SavedView:
    """Name the filters in ``query_string`` (the list's ?... ); the page number is dropped
    and unknown filters are left out (ListQuery reads only what it knows)."""
    require(actor, system.organization, "poam.view")
    if actor.user is None:
        raise ServiceError("saved view: only a signed-in person has saved views")
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("name: give the view a name")
    if len(name) > 80:
        raise ServiceError(f"name: at most 80 characters ({len(name)} given)")
    query = ListQuery.from_params(QueryDict(query_string.lstrip("?"))).query_string()
    if query == "?":
        raise ServiceError("saved view: choose some filters first; the plain list needs no name")
    if SavedView.objects.filter(system=system, user=actor.user).count() >= MAX_VIEWS:
        raise ServiceError(f"saved view: at most {MAX_VIEWS} views per list; delete one first")
    try:
        with transaction.atomic():
            return SavedView.objects.create(organization=system.organization, system=system,
                                            user=actor.user, name=name, query=query)
    except IntegrityError:
        raise ServiceError(f"name: you already have a view named {name!r} here") from None


@transaction.atomic
def delete_view(actor: Actor, system: System, view_id: int) -> None:
    deleted, _ = SavedView.objects.filter(pk=view_id, system=system,
                                          user=actor.user).delete()
    if not deleted:
        raise ServiceError("saved view: no such view of yours on this list")
