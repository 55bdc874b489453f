"""Bulk edit: changes to many items at once, the one write path the web list, the import
result's "work on the new items" page, the API and the CLI share, with one rule set: at most
MAX_ITEMS items, and a justification that each item's history records.

One call checks the role once per organization, locks every item in one query (in key
order, so two bulk edits cannot deadlock), validates each item with the domain, raises each
changed item's version once and appends one history record set. All or nothing: if items
refuse (the workflow, a date rule, a stale version), nothing changes and the message names
every item that refused and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from openpoam.tracker.models import ChangeEvent, ImportRecord, Person, PoamItem
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services import notify
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder

MAX_ITEMS = 1000
# How many refusing items a message names before it counts the rest.
NAMED_FAILURES = 10


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
class NewMilestone:
    """A milestone to add to an item: the next in its sequence."""

    description: str
    due: date | None = None
    owner: Person | None = None


@dataclass
class ItemChange:
    """One item's part of a bulk edit: fields (as the services take them), controls and
    dependencies when given, a workflow move when given, a milestone to add when given,
    and the version the editor read. ``justification`` overrides the edit's shared one for
    this item."""

    item: PoamItem
    fields: dict = field(default_factory=dict)
    controls: list[str] | None = None
    depends_on: list[str] | None = None
    status: StatusMove | None = None
    milestone: NewMilestone | None = None
    expected_version: int | None = None
    justification: str = ""


@dataclass
class Plan:
    """The same change for every selected item (the web forms, the CLI): ``owner`` only
    when ``set_owner`` (None then means nobody), the others when given."""

    set_owner: bool = False
    owner: Person | None = None
    status: str = ""
    scheduled_completion: date | None = None
    milestone: NewMilestone | None = None

    def is_empty(self) -> bool:
        return not (self.set_owner or self.status or self.scheduled_completion
                    or self.milestone)


class BulkRefused(ServiceError):
    """Items refused; ``failures`` lists (index, poam_id, reason) for each, in the edit's
    order. ``index``, ``poam_id`` and ``reason`` are the first one's."""

    def __init__(self, failures: list[tuple[int, str, str]]) -> None:
        self.failures = failures
        self.index, self.poam_id, self.reason = failures[0]
        named = [_named(poam_id, reason) for _, poam_id, reason in failures[:NAMED_FAILURES]]
        more = len(failures) - NAMED_FAILURES
        tail = f"; and {more} more item{'s' if more != 1 else ''}" if more > 0 else ""
        super().__init__("; ".join(named) + tail + "; nothing was changed")


def _named(poam_id: str, reason: str) -> str:
    return reason if reason.startswith(poam_id) else f"{poam_id}: {reason}"


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
    locked = {item.pk: item for item in PoamItem.objects.select_for_update(no_key=True, of=("self",))
              .select_related("organization", "system", "owner")
              .filter(pk__in=[c.item.pk for c in changes]).order_by("pk")}
    recorder, done, failures = Recorder(actor), [], []
    for index, change in enumerate(changes):
        item = locked.get(change.item.pk)
        if item is None:
            failures.append((index, change.item.poam_id, "no longer exists"))
            continue
        try:
            _apply(actor, item, change, change.justification.strip() or shared, recorder,
                   today)
        except item_services.StaleVersion:
            raise
        except ServiceError as exc:
            failures.append((index, item.poam_id, str(exc)))
            continue
        done.append(item)
    if failures:
        raise BulkRefused(failures)
    assigned = {event.item_uuid for event in recorder.events
                if event.entity == "item" and event.field == "owner"}
    recorder.save()
    notify.items_assigned_later([item for item in done if item.uuid in assigned], actor.user)
    return done


def change_all(actor: Actor, items: list[PoamItem], plan: Plan, justification: str, *,
               today: date | None = None) -> int:
    """The same ``plan`` for every item (the web forms, the CLI); returns how many changed."""
    if plan.is_empty():
        raise ServiceError("bulk change: choose what to change (owner, status, scheduled "
                           "completion or a milestone)")
    fields = {}
    if plan.set_owner:
        fields["owner"] = plan.owner
    if plan.scheduled_completion:
        fields["scheduled_completion"] = plan.scheduled_completion
    before = {item.pk: item.version for item in items}
    edits = [ItemChange(item, fields=dict(fields), milestone=plan.milestone,
                        status=StatusMove(plan.status)
                        if plan.status and item.status != plan.status else None)
             for item in items]
    after = bulk_edit(actor, edits, justification, today=today)
    return sum(item.version != before[item.pk] for item in after)


def _apply(actor: Actor, item: PoamItem, change: ItemChange, why: str, recorder: Recorder,
           today: date | None) -> None:
    """One item's change under the bulk edit's lock; events go to the shared recorder."""
    owner = change.fields.get("owner")
    if isinstance(owner, Person) and owner.organization_id != item.organization_id:
        raise ServiceError("owner: that person belongs to another organization")
    item_services.check_version(item, change.expected_version)
    start = len(recorder.events)
    item_services.apply_edit(item, change.fields, recorder, controls=change.controls,
                             depends_on=change.depends_on, justification=why)
    move = change.status
    if move is not None:
        item_services.check_version(item, move.expected_version)
        item_services.apply_status(
            actor, item, move.status, recorder, actual_completion=move.actual_completion,
            approver=move.approver, rationale=move.rationale, review_date=move.review_date,
            reason=move.reason or why, today=today)
    if change.milestone is not None:
        plan = change.milestone
        milestone_services.apply_milestone(item, plan.description, plan.due, plan.owner,
                                           recorder, justification=why)
    if len(recorder.events) > start:
        item_services.check_values(item)
        item.version += 1
        item.save()


def new_item_ids(record: ImportRecord) -> list[str]:
    """The POA&M IDs an import created that are still in its system: what "work on the new
    items" selects after an import."""
    created = (ChangeEvent.objects.filter(import_record=record, entity="item",
                                          action=ChangeEvent.CREATE, field="")
               .values_list("poam_id", flat=True))
    return list(PoamItem.objects.filter(system=record.system, poam_id__in=created)
                .order_by("poam_id").values_list("poam_id", flat=True))
