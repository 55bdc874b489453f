"""Changing a person (an owner of items and milestones) after they were added."""

from __future__ import annotations

from django.db import transaction

from openpoam.tracker.models import Person
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.setup import _save, _validated


@transaction.atomic
def update_person(actor: Actor, person: Person, *, name: str, email: str = "",
                  title: str = "") -> Person:
    require(actor, person.organization, "poam.edit")
    name = (name or "").strip()
    if not name:
        raise ServiceError("a person needs a name")
    taken = Person.objects.filter(organization=person.organization, name__iexact=name) \
        .exclude(pk=person.pk).exists()
    if taken:
        raise ServiceError(f"{person.organization.slug} already has a person named {name!r}")
    person.name, person.email, person.title = name, email.strip(), title.strip()
    return _save(_validated(person))
