"""Organizations, their systems and their people."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from openpoam.api import lookups, pagination
from openpoam.api.errors import ApiError
from openpoam.api.schemas import (ERRORS, OrganizationOut, OrganizationPage, PageParams, PersonIn,
                                  PersonOut, PersonPage, SystemChange, SystemIn, SystemOut,
                                  SystemPage)
from openpoam.tracker.models import Person, System
from openpoam.tracker.services import setup
from openpoam.tracker.services.actors import role_in

router = Router(tags=["organizations"])


def system_out(system: System) -> dict:
    return {"slug": system.slug, "name": system.name, "acronym": system.acronym,
            "uuid": str(system.uuid), "framework": system.framework,
            "impact_level": system.impact_level, "designation": system.designation,
            "description": system.description, "auto_close": system.auto_close}


def _org_out(request: HttpRequest, org) -> dict:
    role = role_in(lookups.actor(request), org)
    return {"slug": org.slug, "name": org.name, "role": role.value if role else ""}


@router.get("/orgs", response={200: OrganizationPage, **ERRORS},
            summary="The organization of this token (one page, for the shape of every list)")
def list_organizations(request: HttpRequest):
    org = lookups.access(request).organization
    found = [_org_out(request, org)] if role_in(lookups.actor(request), org) else []
    return {"organizations": found, "next_cursor": None}


@router.get("/orgs/{org}", response={200: OrganizationOut, **ERRORS})
def get_organization(request: HttpRequest, org: str):
    return _org_out(request, lookups.organization(request, org))


@router.get("/orgs/{org}/systems", response={200: SystemPage, **ERRORS})
def list_systems(request: HttpRequest, org: str, params: Query[PageParams]):
    found = System.objects.filter(organization=lookups.organization(request, org))
    rows, cursor = pagination.by_pk(found, params.cursor or None, params.limit)
    return {"systems": [system_out(s) for s in rows], "next_cursor": cursor}


@router.post("/orgs/{org}/systems", response={201: SystemOut, **ERRORS}, summary="Create a system (owner)")
def create_system(request: HttpRequest, org: str, payload: SystemIn):
    system = setup.create_system(lookups.actor(request), lookups.organization(request, org),
                                 **payload.dict())
    return Status(201, system_out(system))


@router.get("/orgs/{org}/systems/{system}", response={200: SystemOut, **ERRORS})
def get_system(request: HttpRequest, org: str, system: str):
    return system_out(lookups.system(request, org, system))


@router.patch("/orgs/{org}/systems/{system}", response={200: SystemOut, **ERRORS},
              summary="Change a system's settings (owner)")
def update_system(request: HttpRequest, org: str, system: str, payload: SystemChange):
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items()}
    if any(v is None for v in changes.values()):
        name = next(k for k, v in changes.items() if v is None)
        raise ApiError(422, f"{name}: cannot be null", name)
    found = setup.update_system(lookups.actor(request), lookups.system(request, org, system),
                                **changes)
    return system_out(found)


@router.get("/orgs/{org}/persons", response={200: PersonPage, **ERRORS})
def list_persons(request: HttpRequest, org: str, params: Query[PageParams]):
    found = Person.objects.filter(organization=lookups.organization(request, org))
    rows, cursor = pagination.by_pk(found, params.cursor or None, params.limit)
    return {"persons": rows, "next_cursor": cursor}


@router.post("/orgs/{org}/persons", response={201: PersonOut, **ERRORS}, summary="Add a person (editor)")
def add_person(request: HttpRequest, org: str, payload: PersonIn):
    person = setup.add_person(lookups.actor(request), lookups.organization(request, org),
                              payload.name, email=payload.email, title=payload.title)
    return Status(201, person)
