"""Counts shown on the home page, above a system's list and in the API: per status, and delayed.

"Delayed" is derived (``workflow.is_delayed``), never stored; its database form is
``filters.delayed_q`` and its count ``filters.delayed_count``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db.models import Count

from openpoam.domain.poam import Status
from openpoam.tracker.filters import delayed_count
from openpoam.tracker.models import ChangeEvent, PoamItem
from openpoam.tracker.models.history import COUNTED


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
    """Delayed items per system (``filters.delayed_count``: two indexed counts each)."""
    return {system_id: delayed_count(system_id, today) for system_id in system_ids}


def counts_version(system) -> int | None:
    """The system's latest event that can move its counts (``history.COUNTED``): the version
    the cached counts are keyed on. Every change to an item, an import included, appends to
    the history in the same transaction; writers of one organization append one at a time
    (``ChainHead``), so a larger id is always a later commit."""
    # Newest first with a limit, not MAX(): SQLite answers MAX() with a condition outside
    # the index by reading all of the system's events.
    return (ChangeEvent.objects.filter(COUNTED, system=system).order_by("-id")
            .values_list("id", flat=True).first())


def system_summary(system, today: date) -> Summary:
    """One system's numbers, cached until a change that can move them (``counts_version``)
    or the day changes: one query instead of four on the list page of a large system."""
    key = f"openpoam:summary:{system.uuid}:{counts_version(system)}:{today}"
    summary = cache.get(key)
    if summary is None:
        summary = summaries([system.pk], today)[system.pk]
        cache.set(key, summary, 24 * 3600)
    return summary
