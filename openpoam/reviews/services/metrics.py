"""A system's progress metrics, from its items and its CMMC score history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from openpoam.domain import metrics
from openpoam.domain.poam import PoamItemData
from openpoam.reviews.services.quality import check_settings
from openpoam.tracker.documents import MOVES, ChunkedItems
from openpoam.tracker.models import System


def score_history(system: System) -> list[tuple[date, int]]:
    return [(on, score) for on, score in
            system.assessments.exclude(score=None).order_by("assessed_on", "pk")
            .values_list("assessed_on", "score")]


def system_metrics(system: System, today: date,
                   items: Iterable[PoamItemData] | None = None) -> metrics.Metrics:
    """The metrics, the items read a chunk at a time unless given (memory that does not
    grow with the POA&M)."""
    tally = metrics_tally(system, today)
    for item in ChunkedItems(system, today=today, with_history=MOVES) if items is None else items:
        tally.add(item)
    return system_metrics_of(system, tally)


def metrics_tally(system: System, today: date) -> metrics.Tally:
    """An empty tally for ``system``: add its items, then ``system_metrics_of``."""
    return metrics.Tally(today, fedramp_deadlines=system.framework_enum.is_fedramp
                         and not system.is_cr26)


def system_metrics_of(system: System, tally: metrics.Tally) -> metrics.Metrics:
    closeout = (check_settings(system, tally.today).closeout_deadline
                if system.framework_enum.is_cmmc else None)
    return tally.metrics(scores=score_history(system), closeout_deadline=closeout,
                         fedramp_system=system.framework_enum.is_fedramp, cr26=system.is_cr26)
