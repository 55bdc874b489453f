"""Putting an item's milestones in a new order. Sequence numbers are the milestones'
names in the history and exports ("milestone 2"), so a reorder is recorded."""

from __future__ import annotations

from django.db import transaction

from openpoam.tracker.models import Milestone, PoamItem
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder
from openpoam.tracker.services.items import lock


@transaction.atomic
def move_milestone(actor: Actor, item: PoamItem, sequence: int, offset: int) -> None:
    """Move milestone ``sequence`` up (offset -1) or down (+1) by swapping with its neighbour."""
    require(actor, item.organization, "poam.edit")
    item = lock(item)
    order = list(item.milestones.order_by("sequence").values_list("sequence", flat=True))
    if sequence not in order:
        raise ServiceError(f"{item.poam_id} has no milestone {sequence}")
    index = order.index(sequence)
    other = index + offset
    if offset not in (-1, 1) or not 0 <= other < len(order):
        raise ServiceError(f"milestone {sequence} is already the "
                           f"{'first' if offset < 0 else 'last'}")
    reorder(actor, item, _swapped(order, index, other))


def _swapped(order: list[int], a: int, b: int) -> list[int]:
    order = list(order)
    order[a], order[b] = order[b], order[a]
    return order


def reorder(actor: Actor, item: PoamItem, sequences: list[int]) -> None:
    """``sequences``: the current sequence numbers in the wanted order."""
    require(actor, item.organization, "poam.edit")
    rows = {m.sequence: m for m in Milestone.objects.select_for_update(no_key=True).filter(item=item)}
    if sorted(sequences) != sorted(rows):
        raise ServiceError("milestones: the new order must list every milestone once")
    # Two steps: the (item, sequence) pair is unique at every moment.
    top = max(rows, default=0) + len(rows) + 1
    for offset, old in enumerate(sequences):
        Milestone.objects.filter(pk=rows[old].pk).update(sequence=top + offset)
    for offset, old in enumerate(sequences):
        Milestone.objects.filter(pk=rows[old].pk).update(sequence=offset + 1)
    if sequences != sorted(sequences):
        recorder = Recorder(actor)
        recorder.add(item, "update", entity="milestone", field_name="milestone order",
                     old=sorted(rows), new=sequences)
        recorder.save()
