"""Bulk edit: changes to many items at once, the one write path the web list and the API
share, with one rule set: at most MAX_ITEMS items, and a justification that each item's
history records. All or nothing: if one item refuses (the workflow, a date rule, a stale
version), nothing changes and the message names that item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from openpoam.tracker.models import Person, PoamItem
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError, require

MAX_ITEMS = 1000
# What the web list changes on every ticked item at once.
CHANGES = ("owner", "status", "scheduled_completion")


@dataclass
class StatusMove:
    """A workflow move, as ``items.set_status`` takes it."""

    status: str
    actual_completion: date | None = None
    approver: Person | str | None = None
    rationale: str = ""
    review_date: date | None = None
    reason: str = ""
    expected_version: int | None = None


@dataclass
class ItemChange:
    """One item's part of a bulk edit: fields (as the services take them), controls and
    dependencies when given, a workflow move when given, and the version the editor read.
    ``justification`` overrides the edit's shared one for this item."""

    item: PoamItem
    fields: dict = field(default_factory=dict)
    controls: list[str] | None = None
    depends_on: list[str] | None = None
    status: StatusMove | None = None
    expected_version: int | None = None
    justification: str = ""


class BulkRefused(ServiceError):
    """One item refused; ``index`` is its place in the edit and ``reason`` the service's own
    message (which starts with the field it refuses)."""

    def __init__(self, index: int, item: PoamItem, reason: str) -> None:
        prefix = "" if reason.startswith(item.poam_id) else f"{item.poam_id}: "
        super().__init__(f"{prefix}{reason}; nothing was changed")
        self.index, self.poam_id, self.reason = index, item.poam_id, reason


@transaction.atomic
def bulk_edit(actor: Actor, changes: list[ItemChange], justification: str = "", *,
              today: date | None = None) -> list[PoamItem]:
    """Apply every change, or none; returns the items as they are after it."""
    if not changes:
        raise ServiceError("bulk change: select at least one item")
    if len(changes) > MAX_ITEMS:
        raise ServiceError(f"bulk change: at most {MAX_ITEMS:,} items at a time "
                           f"({len(changes):,} given)")
    shared = (justification or "").strip()
    if not shared and not all(c.justification.strip() for c in changes):
        raise ServiceError("justification: a bulk change needs a justification; each item's "
                           "history keeps it")
    for organization in {c.item.organization for c in changes}:
        require(actor, organization, "poam.edit")
    done = []
    for index, change in enumerate(changes):
        try:
            done.append(_apply(actor, change, change.justification.strip() or shared, today))
        except (PermissionDenied, item_services.StaleVersion):
            raise
        except ServiceError as exc:
            raise BulkRefused(index, change.item, str(exc)) from None
    return done


def bulk_change(actor: Actor, items: list[PoamItem], change: str, value, justification: str,
                *, today: date | None = None) -> int:
    """The web list's form: one ``change`` (owner: Person|None, status: str,
    scheduled_completion: date) to every item; returns how many changed."""
    if change not in CHANGES:
        raise ServiceError(f"bulk change: {change!r} is not one of {', '.join(CHANGES)}")
    before = {item.pk: item.version for item in items}
    if change == "status":
        edits = [ItemChange(item, status=StatusMove(value) if item.status != value else None)
                 for item in items]
    else:
        edits = [ItemChange(item, fields={change: value}) for item in items]
    after = bulk_edit(actor, edits, justification, today=today)
    return sum(item.version != before[item.pk] for item in after)


def _apply(actor: Actor, change: ItemChange, why: str, today: date | None) -> PoamItem:
    owner = change.fields.get("owner")
    if isinstance(owner, Person) and owner.organization_id != change.item.organization_id:
        raise ServiceError("owner: that person belongs to another organization")
    item = change.item
    if change.fields or change.controls is not None or change.depends_on is not None \
            or change.expected_version is not None:
        item = item_services.edit_item(actor, item, change.fields, controls=change.controls,
                                       depends_on=change.depends_on, justification=why,
                                       expected_version=change.expected_version)
    move = change.status
    if move is not None:
        item = item_services.set_status(
            actor, item, move.status, actual_completion=move.actual_completion,
            approver=move.approver, rationale=move.rationale, review_date=move.review_date,
            reason=move.reason or why, today=today, expected_version=move.expected_version)
    return item
