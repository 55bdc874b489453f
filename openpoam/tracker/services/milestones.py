"""Milestones: dated steps of a remediation. The original due date never changes;
moving the current one needs a justification, and both stay visible."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max

from openpoam.domain import workflow
from openpoam.tracker.models import Milestone, Person, PoamItem
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder
from openpoam.tracker.services.items import lock


@transaction.atomic
def add_milestone(actor: Actor, item: PoamItem, description: str, due: date | None,
                  owner: Person | None = None, recorder: Recorder | None = None) -> Milestone:
    require(actor, item.organization, "poam.edit")
    item = lock(item)
    own = recorder is None
    recorder = recorder or Recorder(actor)
    milestone = apply_milestone(item, description, due, owner, recorder)
    if own:
        recorder.save()
    return milestone


def apply_milestone(item: PoamItem, description: str, due: date | None, owner: Person | None,
                    recorder: Recorder, justification: str = "") -> Milestone:
    """Add the next milestone to an item the caller has locked and may edit."""
    if not description.strip():
        raise ServiceError("milestone: a description is required")
    if owner is not None and owner.organization_id != item.organization_id:
        raise ServiceError("milestone owner: that person belongs to another organization")
    last = item.milestones.aggregate(m=Max("sequence"))["m"] or 0
    milestone = Milestone.objects.create(item=item, sequence=last + 1,
                                         description=description.strip(), original_due=due,
                                         current_due=due, owner=owner)
    recorder.add(item, "create", entity="milestone", entity_uuid=milestone.uuid,
                 field_name=f"milestone {milestone.sequence}",
                 new=f"{milestone.description} (due {due.isoformat() if due else 'undated'})"
                     + (f", owner {owner.name}" if owner else ""),
                 justification=justification)
    return milestone


@transaction.atomic
def set_milestone_owner(actor: Actor, milestone: Milestone, owner: Person | None) -> Milestone:
    """Give a milestone to a person of the item's organization (or to nobody)."""
    require(actor, milestone.item.organization, "poam.edit")
    milestone = (Milestone.objects.select_for_update(no_key=True, of=("self",))
                 .select_related("owner", "item").get(pk=milestone.pk))
    if owner is not None and owner.organization_id != milestone.item.organization_id:
        raise ServiceError("milestone owner: that person belongs to another organization")
    if milestone.owner_id == (owner.pk if owner else None):
        return milestone
    old = milestone.owner
    milestone.owner = owner
    milestone.save(update_fields=["owner"])
    recorder = Recorder(actor)
    recorder.add(milestone.item, "update", entity="milestone", entity_uuid=milestone.uuid,
                 field_name=f"milestone {milestone.sequence} owner",
                 old=old.name if old else "", new=owner.name if owner else "")
    recorder.save()
    return milestone


@transaction.atomic
def reschedule_milestone(actor: Actor, milestone: Milestone, new_due: date,
                         justification: str) -> Milestone:
    require(actor, milestone.item.organization, "poam.edit")
    milestone = Milestone.objects.select_for_update(no_key=True).get(pk=milestone.pk)
    if milestone.completed_on:
        raise ServiceError(f"milestone {milestone.sequence} is already complete")
    try:
        workflow.check_reschedule(milestone.current_due, new_due, justification)
    except workflow.TransitionError as exc:
        raise ServiceError(f"milestone {milestone.sequence}: {exc}") from None
    old = milestone.current_due
    milestone.current_due = new_due
    if milestone.original_due is None:
        milestone.original_due = new_due  # first date given: it becomes the original
    milestone.save(update_fields=["current_due", "original_due"])
    recorder = Recorder(actor)
    recorder.add(milestone.item, "update", entity="milestone", entity_uuid=milestone.uuid,
                 field_name=f"milestone {milestone.sequence} due", old=old, new=new_due,
                 justification=justification.strip())
    recorder.save()
    return milestone


def complete_milestone(actor: Actor, milestone: Milestone, completed_on: date) -> Milestone:
    return _close(actor, milestone, completed_on)


def close_not_needed(actor: Actor, milestone: Milestone, reason: str,
                     closed_on: date) -> Milestone:
    """Close a milestone that the remediation no longer needs; the reason goes to the history."""
    try:
        workflow.check_not_needed(reason)
    except workflow.TransitionError as exc:
        raise ServiceError(f"milestone {milestone.sequence}: {exc}") from None
    return _close(actor, milestone, closed_on, reason.strip())


@transaction.atomic
def _close(actor: Actor, milestone: Milestone, on: date, not_needed: str = "") -> Milestone:
    require(actor, milestone.item.organization, "poam.edit")
    milestone = Milestone.objects.select_for_update(no_key=True).get(pk=milestone.pk)
    if milestone.completed_on:
        raise ServiceError(f"milestone {milestone.sequence} was already "
                           f"{'closed' if milestone.not_needed_reason else 'completed'} on "
                           f"{milestone.completed_on.isoformat()}")
    milestone.completed_on, milestone.not_needed_reason = on, not_needed
    milestone.save(update_fields=["completed_on", "not_needed_reason"])
    recorder = Recorder(actor)
    how = "closed as not needed" if not_needed else "completed"
    recorder.add(milestone.item, "update", entity="milestone", entity_uuid=milestone.uuid,
                 field_name=f"milestone {milestone.sequence} {how}", new=on,
                 justification=not_needed)
    recorder.save()
    return milestone


def milestone_of(item: PoamItem, sequence: int) -> Milestone:
    milestone = item.milestones.filter(sequence=sequence).first()
    if milestone is None:
        raise ServiceError(f"{item.poam_id} has no milestone {sequence}")
    return milestone
