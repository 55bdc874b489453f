"""Organizations, systems, people and memberships."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from openpoam.domain.poam import Designation, Framework
from openpoam.tracker.models import Membership, Organization, Person, Role, System
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError, require

# The fields whose values the audit trail shows when an entity is created.
ORGANIZATION_FIELDS = ("slug", "name", "require_mfa")
SYSTEM_FIELDS = ("slug", "name", "acronym", "framework", "impact_level", "designation",
                 "description", "auto_close")
PERSON_FIELDS = ("name", "email", "title")


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
    org = _save(_validated(Organization(slug=slug, name=name)))
    audit.record(actor, org, "organization", org.slug, "create", _created(org, ORGANIZATION_FIELDS))
    return org


@transaction.atomic
def update_organization(actor: Actor, organization: Organization, why: str = "",
                        **changes) -> Organization:
    require(actor, organization, "org.manage")
    changed = audit.changes_of(organization, changes)
    for name, value in changes.items():
        setattr(organization, name, value)
    _save(_validated(organization))
    if changed:
        audit.record(actor, organization, "organization", organization.slug, "update", changed,
                     why)
    return organization


@transaction.atomic
def create_system(actor: Actor, organization: Organization, *, slug: str, name: str,
                  framework: str, acronym: str = "", impact_level: str = "",
                  designation: str = Designation.INTERNAL, description: str = "",
                  auto_close: bool = True) -> System:
    require(actor, organization, "system.manage")
    _enum(Framework, framework, "framework")
    _enum(Designation, designation, "designation")
    if System.objects.filter(organization=organization, slug=slug).exists():
        raise ServiceError(f"{organization.slug} already has a system {slug!r}")
    system = System(organization=organization, slug=slug, name=name, framework=framework,
                    acronym=acronym, impact_level=impact_level, designation=designation,
                    description=description, auto_close=auto_close)
    _save(_validated(system))
    audit.record(actor, organization, "system", system.slug, "create",
                 _created(system, SYSTEM_FIELDS), system=system)
    return system


@transaction.atomic
def update_system(actor: Actor, system: System, why: str = "", **changes) -> System:
    """Change a system's settings; the framework moves every FedRAMP deadline, so each
    change is recorded with its old and new value and ``why``."""
    require(actor, system.organization, "system.manage")
    changed = audit.changes_of(system, changes)
    for name, value in changes.items():
        if name == "framework":
            _enum(Framework, value, name)
        if name == "designation":
            _enum(Designation, value, name)
        setattr(system, name, value)
    _save(_validated(system))
    if changed:
        audit.record(actor, system.organization, "system", system.slug, "update", changed, why,
                     system=system)
    return system


@transaction.atomic
def add_person(actor: Actor, organization: Organization, name: str, *, email: str = "",
               title: str = "", user=None) -> Person:
    require(actor, organization, "poam.edit")
    if not name.strip():
        raise ServiceError("a person needs a name")
    if Person.objects.filter(organization=organization, name=name.strip()).exists():
        raise ServiceError(f"{organization.slug} already has a person named {name!r}")
    if user is not None:
        check_person_user(organization, user)
    person = _save(_validated(Person(organization=organization, name=name.strip(), email=email,
                                     title=title, user=user)))
    audit.record(actor, organization, "person", person.name, "create",
                 _created(person, PERSON_FIELDS))
    return person


def check_person_user(organization: Organization, user, person: Person | None = None) -> None:
    """A person signs in as ``user`` only if that account is a member of the person's
    organization (what the person owns shows in the user's work, and notifications go to
    them) and no other person of the organization already does."""
    if not (getattr(user, "is_superuser", False)
            or Membership.objects.filter(organization=organization, user=user).exists()):
        raise ServiceError(f"user: {user.get_username()} is not a member of {organization.slug}")
    other = Person.objects.filter(organization=organization, user=user)
    if person is not None:
        other = other.exclude(pk=person.pk)
    if other.exists():
        raise ServiceError(f"user: {user.get_username()} already signs in as "
                           f"{other.first().name} in {organization.slug}")


@transaction.atomic
def add_member(actor: Actor, organization: Organization, user, role: str, *,
               invited: bool = False) -> Membership:
    """Give ``user`` a role in the organization (a new membership, or a changed role).

    An existing account joins only with its consent (accounts.services.invitations): a new
    membership is made directly only by the site administrator (or the local command line),
    or for an account made by this invitation (``invited``)."""
    require(actor, organization, "members.manage")
    check_role(role)
    membership = Membership.objects.filter(user=user, organization=organization).first()
    if membership is None:
        if not (actor.local or actor.is_superuser or invited):
            raise PermissionDenied(f"{actor.name} may not add an existing account directly: "
                                   "invite it; it joins when its holder accepts")
        membership = join(actor, organization, user, role)
    elif membership.role != role:
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(actor, organization, "membership", user.get_username(), "update",
                     {"role": (old, role)})
    return membership


def join(actor: Actor, organization: Organization, user, role: str, why: str = "") -> Membership:
    """The new membership itself; callers have decided that it may be made."""
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    audit.record(actor, organization, "membership", user.get_username(), "create",
                 {"role": ("", role)}, why)
    return membership


def check_role(role: str) -> None:
    _enum(Role, role, "role")


def _created(obj, names) -> dict[str, tuple]:
    return {name: ("", getattr(obj, name)) for name in names if getattr(obj, name) not in ("", None)}


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
