"""POA&M items: list (the web list's filters, cursor pages), get, create, update with
optimistic concurrency, status transitions, bulk changes, and their history."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from pydantic import Field

from openpoam.api import lookups, pagination
from openpoam.api.errors import ApiError, field_of
from openpoam.api.schemas import (ERRORS, BulkIn, BulkOut, HistoryPage, ItemCreate, ItemOut,
                                  ItemPage, ItemUpdate, PageParams, QueryInput, StatusChange)
from openpoam.api.serialize import event_out, fresh_item, list_queryset, page_out
from openpoam.domain.poam import AffectedAsset as AssetData
from openpoam.tracker import keyset
from openpoam.tracker.filters import ListQuery
from openpoam.tracker.models import ChangeEvent, PoamItem
from openpoam.tracker.services import bulk_edit
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.history import item_events
from openpoam.tracker.services.fields import (DATE, DECIMAL, ITEM_FIELDS, LIST, OPTIONAL_CHOICES,
                                              TEXT, person_named)

router = Router(tags=["items"])
# Not item fields: how the change is made rather than what it changes.
_CONTROL_KEYS = ("version", "justification", "controls", "depends_on", "poam_id", "status",
                 "milestone")


class ListParams(QueryInput):
    """The web list's filters (tracker/filters.py), and a cursor instead of page numbers."""

    status: str = Field(default="", description="A status, 'active' (not closed) or 'delayed'")
    risk: str = Field(default="", description="Effective risk: low, moderate, high, critical")
    source: str = Field(default="", description="Where the weakness was found")
    owner: str = Field(default="", max_length=20, description="A person's id, or 'none'")
    control: str = Field(default="", max_length=40, description="Items citing this control")
    q: str = Field(default="", max_length=200, description="Words to search for")
    overdue: bool = False
    stale: bool = False
    sort: str = Field(default="id", description="id, -id, due, -due, risk, -risk or updated")
    cursor: str = Field(default="", max_length=500)
    limit: int = Field(default=pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT)


@router.get("/orgs/{org}/systems/{system}/items", response={200: ItemPage, **ERRORS},
            summary="List a system's items (filters as on the web list)")
def list_items(request: HttpRequest, org: str, system: str, params: Query[ListParams]):
    found = lookups.system(request, org, system)
    query = _list_query(params)
    today = timezone.localdate()
    queryset = keyset.ordered(query.apply(list_queryset(found), today), query.sort)
    if params.cursor:
        try:
            queryset = queryset.filter(keyset.after(query.sort,
                                                    keyset.decode(params.cursor, query.sort)))
        except keyset.BadCursor as exc:
            raise ApiError(400, f"cursor: {exc}", "cursor") from None
    rows, cursor = pagination.page(queryset, params.limit,
                                   lambda row: keyset.encode(query.sort, row))
    return {"items": page_out(rows, today), "next_cursor": cursor}


def _list_query(params: ListParams) -> ListQuery:
    """The web list's query; here an unknown value is an error rather than ignored."""
    for name, message in ListQuery.problems(params.dict()):
        raise ApiError(422, message, name)
    values = params.dict(exclude={"cursor", "limit", "overdue", "stale"})
    values.update(overdue="1" if params.overdue else "", stale="1" if params.stale else "")
    return ListQuery.from_params(values)


@router.post("/orgs/{org}/systems/{system}/items", response={201: ItemOut, **ERRORS},
             summary="Create an item (editor)")
def create_item(request: HttpRequest, org: str, system: str, payload: ItemCreate):
    found = lookups.system(request, org, system)
    data = payload.dict(exclude_unset=True)
    fields = _fields(found.organization, {k: v for k, v in data.items()
                                          if k not in ("title", "detected_on", "controls",
                                                       "assets", "depends_on")})
    item = item_services.create_item(
        lookups.actor(request), found, title=payload.title, detected_on=payload.detected_on,
        controls=payload.controls, assets=[AssetData(**a.dict()) for a in payload.assets],
        depends_on=payload.depends_on, **fields)
    return Status(201, fresh_item(item))


@router.post("/orgs/{org}/items/bulk", response={200: BulkOut, **ERRORS},
            summary="Change many items at once: all or nothing, with a justification "
                    f"(at most {bulk_edit.MAX_ITEMS} items)")
def bulk(request: HttpRequest, org: str, payload: BulkIn):
    lookups.organization(request, org)
    edits = [_bulk_change(request, org, index, change)
             for index, change in enumerate(payload.changes)]
    try:
        changed = bulk_edit.bulk_edit(lookups.actor(request), edits, payload.justification)
    except bulk_edit.BulkRefused as exc:
        if len(exc.failures) == 1:
            raise _refused(exc.index, exc.poam_id, exc.reason) from None
        raise ApiError(400, f"changes[{exc.index}] ({exc.poam_id}) and "
                       f"{len(exc.failures) - 1} more refused: {exc}",
                       f"changes[{exc.index}].{field_of(exc.reason)}".rstrip(".")) from None
    return {"items": [fresh_item(item) for item in changed]}


def _refused(index: int, poam_id: str, reason: str) -> ApiError:
    field = f"changes[{index}].{field_of(reason)}".rstrip(".")
    return ApiError(400, f"changes[{index}] ({poam_id}): {reason}", field)


@router.get("/orgs/{org}/items/{poam_id}", response={200: ItemOut, **ERRORS})
def get_item(request: HttpRequest, org: str, poam_id: str):
    return fresh_item(lookups.item(request, org, poam_id))


@router.patch("/orgs/{org}/items/{poam_id}", response={200: ItemOut, **ERRORS},
              summary="Change fields; send the version you read (409 if it moved on)")
def update_item(request: HttpRequest, org: str, poam_id: str, payload: ItemUpdate):
    item = lookups.item(request, org, poam_id)
    return fresh_item(_apply(request, item, payload.dict(exclude_unset=True)))


@router.post("/orgs/{org}/items/{poam_id}/status", response={200: ItemOut, **ERRORS},
             summary="Move an item through the workflow")
def set_status(request: HttpRequest, org: str, poam_id: str, payload: StatusChange):
    item = lookups.item(request, org, poam_id)
    item = _set_status(request, item, payload)
    return fresh_item(item)


def _bulk_change(request: HttpRequest, org: str, index: int, change) -> bulk_edit.ItemChange:
    try:
        item = lookups.item(request, org, change.poam_id)
    except Http404:
        raise _refused(index, change.poam_id, f"poam_id: no item {change.poam_id} in {org}") \
            from None
    data = change.dict(exclude_unset=True)
    try:
        fields = _fields(item.organization, {k: v for k, v in data.items()
                                             if k not in _CONTROL_KEYS})
        milestone = None if change.milestone is None else bulk_edit.NewMilestone(
            change.milestone.description, change.milestone.due,
            person_named(item.organization, change.milestone.owner)
            if change.milestone.owner.strip() else None)
    except ServiceError as exc:
        raise _refused(index, item.poam_id, str(exc)) from None
    move = change.status
    return bulk_edit.ItemChange(
        item, fields=fields, milestone=milestone,
        controls=data.get("controls"), depends_on=data.get("depends_on"),
        expected_version=change.version, justification=change.justification,
        status=None if move is None else bulk_edit.StatusMove(
            move.status, actual_completion=move.actual_completion, approver=move.approver,
            rationale=move.rationale, review_date=move.review_date, reason=move.reason,
            expected_version=move.version))


def _apply(request: HttpRequest, item: PoamItem, data: dict) -> PoamItem:
    actor = lookups.actor(request)
    changes = _fields(item.organization, {k: v for k, v in data.items()
                                          if k not in _CONTROL_KEYS})
    return item_services.edit_item(actor, item, changes, controls=data.get("controls"),
                                   depends_on=data.get("depends_on"),
                                   justification=data.get("justification", ""),
                                   expected_version=data["version"])


def _set_status(request: HttpRequest, item: PoamItem, change: StatusChange) -> PoamItem:
    return item_services.set_status(
        lookups.actor(request), item, change.status, actual_completion=change.actual_completion,
        approver=change.approver, rationale=change.rationale, review_date=change.review_date,
        reason=change.reason, expected_version=change.version)


def _fields(organization, data: dict) -> dict:
    """JSON values -> the services' values: names become people, null text becomes ''."""
    fields = {}
    for name, value in data.items():
        kind = ITEM_FIELDS.get(name)
        if name == "owner":
            value = person_named(organization, value) if value else None
        elif value is None and (kind == TEXT or name in OPTIONAL_CHOICES):
            value = ""
        elif value is None and kind == LIST:
            value = []
        elif value is None and kind not in (DATE, DECIMAL):
            raise ApiError(422, f"{name}: cannot be null", name)
        fields[name] = value
    return fields


@router.get("/orgs/{org}/items/{poam_id}/history", response={200: HistoryPage, **ERRORS},
            tags=["history"], summary="An item's change history, oldest first")
def item_history(request: HttpRequest, org: str, poam_id: str, params: Query[PageParams]):
    item = lookups.item(request, org, poam_id)
    events = item_events(item)
    rows, cursor = pagination.by_pk(events, params.cursor or None, params.limit)
    return {"events": [event_out(e) for e in rows], "next_cursor": cursor}


@router.get("/orgs/{org}/systems/{system}/history", response={200: HistoryPage, **ERRORS},
            tags=["history"], summary="A system's change history, oldest first")
def system_history(request: HttpRequest, org: str, system: str, params: Query[PageParams]):
    found = lookups.system(request, org, system)
    events = ChangeEvent.objects.filter(system=found)
    rows, cursor = pagination.by_pk(events, params.cursor or None, params.limit)
    return {"events": [event_out(e) for e in rows], "next_cursor": cursor}
