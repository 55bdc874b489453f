"""Counts shown on the home page and above a system's list: per status, and delayed.

"Delayed" is derived by the domain rule (``workflow.is_delayed``), never stored, so it is
computed here from two small queries whatever the number of systems or items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count

from openpoam.domain.poam import CLOSED_STATUSES, Status
from openpoam.domain.workflow import is_delayed
from openpoam.tracker.models import Milestone, PoamItem


@dataclass
class StatusCount:
    status: Status
    count: int

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def value(self) -> str:
        return self.status.value


@dataclass
class Summary:
    """One system's numbers: items per status (every status, zeros included) and delayed."""

    by_status: list[StatusCount] = field(default_factory=list)
    delayed: int = 0

    @property
    def total(self) -> int:
        return sum(entry.count for entry in self.by_status)

    @property
    def active(self) -> int:
        return sum(entry.count for entry in self.by_status if not entry.status.is_closed)


def summaries(system_ids: Iterable[int], today: date) -> dict[int, Summary]:
    ids = list(system_ids)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (PoamItem.objects.filter(system_id__in=ids).order_by()
            .values("system_id", "status").annotate(n=Count("id")))
    for row in rows:
        counts[row["system_id"]][row["status"]] = row["n"]
    delayed = delayed_counts(ids, today)
    return {system_id: Summary(by_status=[StatusCount(s, counts[system_id].get(s.value, 0))
                                          for s in Status],
                               delayed=delayed.get(system_id, 0))
            for system_id in ids}


def delayed_counts(system_ids: list[int], today: date) -> dict[int, int]:
    """Delayed items per system, by the domain's rule, over open items only."""
    closed = [s.value for s in CLOSED_STATUSES]
    items = list(PoamItem.objects.filter(system_id__in=system_ids).exclude(status__in=closed)
                 .values_list("pk", "system_id", "status", "scheduled_completion"))
    dues: dict[int, list[date | None]] = defaultdict(list)
    milestones = (Milestone.objects.filter(item__system_id__in=system_ids,
                                           completed_on__isnull=True)
                  .exclude(item__status__in=closed).values_list("item_id", "current_due"))
    for item_id, due in milestones:
        dues[item_id].append(due)
    result: dict[int, int] = defaultdict(int)
    for pk, system_id, status, scheduled in items:
        if is_delayed(Status(status), scheduled, dues[pk], today):
            result[system_id] += 1
    return dict(result)
