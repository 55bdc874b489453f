"""Changing a person (an owner of items and milestones) after they were added."""

from __future__ import annotations

from django.db import transaction

from openpoam.tracker.models import Person
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services import audit, item_checks
from openpoam.tracker.services.setup import _save, _validated, check_person_user


KEEP = object()  # update_person: leave the account link as it is


@transaction.atomic
def update_person(actor: Actor, person: Person, *, name: str, email: str = "",
                  title: str = "", user=KEEP) -> Person:
    """Change the person's name, e-mail and title, and (unless ``user`` is KEEP) the account
    they sign in as (see ``link_user``)."""
    require(actor, person.organization, "poam.edit")
    name = (name or "").strip()
    if not name:
        raise ServiceError("a person needs a name")
    taken = Person.objects.filter(organization=person.organization, name__iexact=name) \
        .exclude(pk=person.pk).exists()
    if taken:
        raise ServiceError(f"{person.organization.slug} already has a person named {name!r}")
    person.name, person.email, person.title = name, email.strip(), title.strip()
    person = _save(_validated(person))
    item_checks.refresh_owned(person)  # the owner checks read the name (and eMASS the e-mail)
    return person if user is KEEP else link_user(actor, person, user)


@transaction.atomic
def link_user(actor: Actor, person: Person, user) -> Person:
    """Say which account (a member of the organization) the person signs in as, or none:
    what the person owns then shows in that user's work and notifications reach them."""
    require(actor, person.organization, "poam.edit")
    person = Person.objects.select_for_update(no_key=True).get(pk=person.pk)
    if user is not None:
        check_person_user(person.organization, user, person)
    old = person.user.get_username() if person.user_id else ""
    new = user.get_username() if user is not None else ""
    if old == new:
        return person
    person.user = user
    person.save(update_fields=["user"])
    audit.record(actor, person.organization, "person", person.name, "update",
                 {"user": (old, new)})
    return person
