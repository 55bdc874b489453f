"""A system's progress metrics, from its items and its CMMC score history."""

from __future__ import annotations

from datetime import date

from openpoam.domain import metrics
from openpoam.domain.poam import PoamItemData
from openpoam.reviews.services.quality import check_settings
from openpoam.tracker.documents import MOVES, build_document
from openpoam.tracker.models import System


def score_history(system: System) -> list[tuple[date, int]]:
    return [(on, score) for on, score in
            system.assessments.exclude(score=None).order_by("assessed_on", "pk")
            .values_list("assessed_on", "score")]


def system_metrics(system: System, today: date,
                   items: list[PoamItemData] | None = None) -> metrics.Metrics:
    if items is None:
        items = build_document(system, today=today, with_history=MOVES).items
    closeout = (check_settings(system, today).closeout_deadline
                if system.framework_enum.is_cmmc else None)
    return metrics.compute(items, today, scores=score_history(system),
                           closeout_deadline=closeout,
                           fedramp_system=system.framework_enum.is_fedramp,
                           cr26=system.is_cr26)
