"""Organizations, systems, people and memberships."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from openpoam.domain.poam import Designation, Framework
from openpoam.tracker.models import Membership, Organization, Person, Role, System
from openpoam.tracker.services.actors import Actor, ServiceError, require


def _validated(obj):
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ServiceError(_first_error(exc)) from None
    return obj


def _first_error(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        name, messages = next(iter(exc.message_dict.items()))
        return f"{name}: {messages[0]}"
    return exc.messages[0]


@transaction.atomic
def create_organization(actor: Actor, slug: str, name: str) -> Organization:
    if not actor.is_superuser:
        raise ServiceError("only an administrator can create organizations")
    if Organization.objects.filter(slug=slug).exists():
        raise ServiceError(f"an organization with the slug {slug!r} already exists")
    return _save(_validated(Organization(slug=slug, name=name)))


@transaction.atomic
def create_system(actor: Actor, organization: Organization, *, slug: str, name: str,
                  framework: str, acronym: str = "", impact_level: str = "",
                  designation: str = Designation.INTERNAL, description: str = "",
                  auto_close: bool = True) -> System:
    require(actor, organization, Role.OWNER)
    _enum(Framework, framework, "framework")
    _enum(Designation, designation, "designation")
    if System.objects.filter(organization=organization, slug=slug).exists():
        raise ServiceError(f"{organization.slug} already has a system {slug!r}")
    system = System(organization=organization, slug=slug, name=name, framework=framework,
                    acronym=acronym, impact_level=impact_level, designation=designation,
                    description=description, auto_close=auto_close)
    return _save(_validated(system))


@transaction.atomic
def update_system(actor: Actor, system: System, **changes) -> System:
    require(actor, system.organization, Role.OWNER)
    for name, value in changes.items():
        if name == "framework":
            _enum(Framework, value, name)
        if name == "designation":
            _enum(Designation, value, name)
        setattr(system, name, value)
    return _save(_validated(system))


@transaction.atomic
def add_person(actor: Actor, organization: Organization, name: str, *, email: str = "",
               title: str = "", user=None) -> Person:
    require(actor, organization, Role.EDITOR)
    if not name.strip():
        raise ServiceError("a person needs a name")
    if Person.objects.filter(organization=organization, name=name.strip()).exists():
        raise ServiceError(f"{organization.slug} already has a person named {name!r}")
    return _save(_validated(Person(organization=organization, name=name.strip(), email=email,
                                   title=title, user=user)))


@transaction.atomic
def add_member(actor: Actor, organization: Organization, user, role: str) -> Membership:
    require(actor, organization, Role.OWNER)
    _enum(Role, role, "role")
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role})
    return membership


def _enum(enum, value: str, name: str) -> None:
    try:
        enum(value)
    except ValueError:
        raise ServiceError(f"{name}: {value!r} is not one of "
                           f"{', '.join(m.value for m in enum)}") from None


def _save(obj):
    try:
        obj.save()
    except IntegrityError as exc:
        raise ServiceError(f"could not save {obj._meta.verbose_name}: {exc}") from None
    return obj
