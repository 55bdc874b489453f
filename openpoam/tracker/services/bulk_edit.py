"""One change to many items at once (owner, status or scheduled completion), with one
justification that each item's history records. All or nothing: if one item refuses
(the workflow, a date rule), nothing changes and the message names that item."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from openpoam.tracker.models import Person, PoamItem, Role
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.actors import Actor, ServiceError, require

MAX_ITEMS = 500
CHANGES = ("owner", "status", "scheduled_completion")


@transaction.atomic
def bulk_change(actor: Actor, items: list[PoamItem], change: str, value, justification: str,
                *, today: date | None = None) -> int:
    """Apply ``change`` (owner: Person|None, status: str, scheduled_completion: date) to
    every item; returns how many changed. Raises ServiceError naming the item that refused."""
    if change not in CHANGES:
        raise ServiceError(f"bulk change: {change!r} is not one of {', '.join(CHANGES)}")
    if not items:
        raise ServiceError("bulk change: select at least one item")
    if len(items) > MAX_ITEMS:
        raise ServiceError(f"bulk change: at most {MAX_ITEMS} items at a time")
    if not (justification or "").strip():
        raise ServiceError("bulk change: a justification is required; each item's history "
                           "keeps it")
    for organization in {item.organization for item in items}:
        require(actor, organization, Role.EDITOR)
    changed = 0
    for item in items:
        try:
            changed += _change_one(actor, item, change, value, justification.strip(), today)
        except ServiceError as exc:
            text = str(exc)
            prefix = "" if text.startswith(item.poam_id) else f"{item.poam_id}: "
            raise ServiceError(f"{prefix}{text}; nothing was changed") from None
    return changed


def _change_one(actor: Actor, item: PoamItem, change: str, value, why: str,
                today: date | None) -> int:
    if change == "status":
        if item.status == value:
            return 0
        item_services.set_status(actor, item, value, reason=why, today=today)
        return 1
    if change == "owner" and isinstance(value, Person) and \
            value.organization_id != item.organization_id:
        raise ServiceError("owner: that person belongs to another organization")
    before = item.version
    after = item_services.update_item(actor, item, {change: value}, justification=why)
    return int(after.version != before)
