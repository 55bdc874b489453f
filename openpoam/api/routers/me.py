"""The caller's own work: ``GET /api/v1/me/work`` (tracker/services/my_work.py).

A token acts in one organization, so the list holds what waits on the token's user there;
the web page and `openpoam work` show every organization the person belongs to.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema

from openpoam.api import lookups
from openpoam.api.schemas import ERRORS
from openpoam.tracker.services import notify
from openpoam.reviews.services.my_work import my_work

router = Router(tags=["me"])


class WorkRowOut(Schema):
    kind: str
    organization: str
    organization_name: str
    system: str
    system_name: str
    reference: str
    title: str
    detail: str
    due: date | None
    overdue: bool
    href: str
    url: str


class WorkSectionOut(Schema):
    kind: str
    label: str
    total: int
    rows: list[WorkRowOut]


class WorkOrganizationOut(Schema):
    slug: str
    name: str
    role: str


class WorkOut(Schema):
    user: str
    today: date
    horizon_days: int
    total: int
    organizations: list[WorkOrganizationOut]
    sections: list[WorkSectionOut]


@router.get("/me/work", response={200: WorkOut, **ERRORS},
            summary="What waits on the token's user: requests to decide, dates due within 14 "
                    "days or overdue, items without an owner, reviews, CR26 evaluations")
def get_my_work(request: HttpRequest):
    access = lookups.access(request)
    user = lookups.actor(request).user
    data = my_work(user, organization=access.organization).to_dict()
    for section in data["sections"]:
        for row in section["rows"]:
            row["url"] = notify.absolute_url(row["href"])
    return data
