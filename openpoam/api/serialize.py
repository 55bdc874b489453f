"""Rows -> the API's JSON, from the plain data every reader shares (tracker.documents)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone

from openpoam.domain.poam import PoamItemData
from openpoam.tracker.documents import (item_data, milestone_moves, page_items, stored_item,
                                        to_jsonable)
from openpoam.tracker.models import AffectedAsset, ChangeEvent, PoamItem, System
from openpoam.tracker.services.history import item_events

# PoamItemData fields the API leaves out: history has its own endpoint; false_positive
# repeats the status.
_LEFT_OUT = ("history", "false_positive")


def item_out(row: PoamItem, today: date | None = None,
             events: list[ChangeEvent] | None = None,
             asset_counts: tuple[int, int] | None = None,
             plain: PoamItemData | None = None) -> dict:
    """``events``: the item's history, for its milestones' date changes (lists leave it out).
    ``asset_counts`` (all, open): given for list rows, whose assets are not loaded;
    ``plain``: the row as plain data already (``page_items``)."""
    if plain is None:
        plain = item_data(row, today or timezone.localdate(), events)
    data = _plain(plain, _LEFT_OUT)
    if asset_counts is None:
        asset_counts = (len(data["assets"]),
                        sum(1 for a in data["assets"] if a["remediated_on"] is None))
    data["asset_count"], data["open_asset_count"] = asset_counts
    data.update(system=row.system.slug, version=row.version,
                approver=row.approver.name if row.approver_id else "",
                acceptance_rationale=row.acceptance_rationale,
                review_date=row.review_date.isoformat() if row.review_date else None,
                closure_proposed=row.closure_proposed)
    return data


def _plain(value, left_out: tuple[str, ...] = ()):
    """Like ``to_jsonable`` for dataclasses, without ``asdict``'s deep copies: a page of
    items lists tens of thousands of assets."""
    names = _FIELDS.get(type(value))
    if names is None and is_dataclass(value):
        names = _FIELDS.setdefault(type(value), tuple(f.name for f in fields(value)))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names if name not in left_out}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return to_jsonable(value)


_FIELDS: dict[type, tuple[str, ...]] = {}


def list_queryset(system: System):
    """Items as lists show them: the rows, whose controls, milestones, evidence and
    dependencies ``page_out`` reads for a whole page at once; not the assets, which a
    monthly scan makes tens of thousands of: ``asset_counts`` counts them per page."""
    return (PoamItem.objects.filter(system=system)
            .select_related("owner", "system", "organization", "approver"))


def page_out(rows: list[PoamItem], today: date) -> list[dict]:
    """A list page's rows (``list_queryset``) as the API's JSON."""
    counts = asset_counts(rows)
    return [item_out(row, today, asset_counts=counts[row.pk], plain=plain)
            for row, plain in zip(rows, page_items(rows, today))]


def asset_counts(rows: list[PoamItem]) -> dict[int, tuple[int, int]]:
    counts = (AffectedAsset.objects.filter(item_id__in=[r.pk for r in rows]).order_by()
              .values("item_id")
              .annotate(total=Count("id"), open=Count("id", filter=Q(remediated_on__isnull=True))))
    found = {c["item_id"]: (c["total"], c["open"]) for c in counts}
    return {r.pk: found.get(r.pk, (0, 0)) for r in rows}


def fresh_item(row: PoamItem) -> dict:
    """The item as stored now, with everything it shows, milestone date changes included.
    Of its history only those date changes are read (the API leaves the rest out): an item
    edited all day long has thousands of events."""
    stored = (PoamItem.objects.filter(system=row.system)
              .select_related("owner", "system", "organization", "approver").get(pk=row.pk))
    moves = milestone_moves(item_events(row)).order_by("at", "id")
    return item_out(stored, plain=stored_item(stored, timezone.localdate(), list(moves)))


def event_out(event: ChangeEvent) -> dict:
    return {"id": event.pk, "at": event.at, "actor": event.actor_name, "poam_id": event.poam_id,
            "item_uuid": str(event.item_uuid), "entity": event.entity,
            "entity_uuid": str(event.entity_uuid), "action": event.action, "field": event.field,
            "old": event.old_value, "new": event.new_value,
            "justification": event.justification, "import_id": event.import_record_id}
