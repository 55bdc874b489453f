"""The portfolio: one row per system across every organization a person may see.

For the consultant or MSP with many client organizations, and the owner with several
systems. Computed with a fixed number of queries whatever the number of systems
(bench/bench_portfolio.py: 50 organizations x 5 systems x 2,000 items; the query count is
held by tests/web/test_portfolio_queries.py), never a loop of queries per system:

1. the systems, each with its latest history event, current CMMC assessment, last import
   and last finished review (one index seek per system for each, in the same query);
2. those assessments; 3. open items per system and risk, with how many are overdue (one
   grouped pass over the index ``item_status_risk``, never the rows); 4. items delayed
   only by a late milestone; 5. CR26 evaluations late (CR26 systems only).

The item counts (3, 4) are cached per system and day, keyed by the system's latest history
event: every change to an item, an import included, appends to the history in the same
transaction, so a changed system misses the cache and is counted again. The rest is read
every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from openpoam.domain.cmmc import clock
from openpoam.domain.fedramp.cr26 import CertClass
from openpoam.domain.fedramp.cr26.tables import EVU
from openpoam.domain.poam import CLOSED_STATUSES, Risk
from openpoam.reviews.models import Review
from openpoam.tracker.models import (Assessment, ChangeEvent, Cr26Vulnerability, ImportRecord,
                                     Milestone, PoamItem, System)
from openpoam.tracker.models.history import COUNTED

_CLOSED = [s.value for s in CLOSED_STATUSES]
RISKS = [r.value for r in Risk]  # low .. critical
# The columns a person may sort by, and the default: the most overdue first.
SORTS = ("organization", "system", "framework", "open", "critical", "high", "moderate", "low",
         "overdue", "delayed", "score", "closeout", "last_import", "last_review")


@dataclass
class PortfolioRow:
    organization: str
    organization_name: str
    system: str
    system_name: str
    framework: str
    framework_label: str
    href: str
    open_by_risk: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RISKS, 0))
    overdue: int = 0
    delayed: int = 0
    # CMMC (latest assessment): SPRS score of max, status, closeout deadline if Conditional
    sprs_score: int | None = None
    sprs_max: int | None = None
    cmmc_status: str = ""
    closeout_deadline: date | None = None
    # FedRAMP under CR26: evaluations past VER-TFR-EVU
    cr26: bool = False
    cr26_late_evaluations: int = 0
    last_import: datetime | None = None
    last_review: datetime | None = None

    @property
    def open(self) -> int:
        return sum(self.open_by_risk.values())

    def to_dict(self) -> dict:
        iso = (lambda v: v.isoformat() if v else None)
        return {"organization": self.organization, "organization_name": self.organization_name,
                "system": self.system, "system_name": self.system_name,
                "framework": self.framework, "href": self.href, "open": self.open,
                "open_by_risk": self.open_by_risk, "overdue": self.overdue,
                "delayed": self.delayed, "sprs_score": self.sprs_score,
                "sprs_max": self.sprs_max, "cmmc_status": self.cmmc_status,
                "closeout_deadline": iso(self.closeout_deadline), "cr26": self.cr26,
                "cr26_late_evaluations": self.cr26_late_evaluations,
                "last_import": iso(self.last_import), "last_review": iso(self.last_review)}


@dataclass
class Portfolio:
    today: date
    rows: list[PortfolioRow]
    sort: str = "overdue"
    descending: bool = True

    @property
    def organizations(self) -> int:
        return len({row.organization for row in self.rows})

    def totals(self) -> dict:
        return {"open": sum(r.open for r in self.rows),
                "overdue": sum(r.overdue for r in self.rows),
                "delayed": sum(r.delayed for r in self.rows)}

    def to_dict(self) -> dict:
        return {"today": self.today.isoformat(), "sort": self.sort,
                "descending": self.descending, "totals": self.totals(),
                "rows": [r.to_dict() for r in self.rows]}


def portfolio(organizations, today: date | None = None, now: datetime | None = None,
              sort: str = "overdue", descending: bool | None = None) -> Portfolio:
    """Every system of ``organizations`` (a queryset the caller scoped to the person)."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    systems = _systems(organizations)
    rows = {s.pk: _row(s) for s in systems}
    _item_counts(rows, systems, today)
    _cmmc(rows, [s.current_assessment for s in systems
                 if s.current_assessment is not None and s.framework_enum.is_cmmc])
    _cr26(rows, [s for s in systems if s.is_cr26], now)
    sort = sort if sort in SORTS else "overdue"
    if descending is None:
        descending = sort not in ("organization", "system", "framework", "closeout")
    ordered = sorted(rows.values(), key=lambda r: (r.organization_name.casefold(),
                                                   r.system_name.casefold()))
    ordered.sort(key=lambda r: _sort_key(r, sort, descending), reverse=descending)
    return Portfolio(today, ordered, sort, descending)


def _latest_of(queryset, field_name: str, *ordering: str) -> Subquery:
    """The newest row's ``field_name`` for each system (an index seek per system)."""
    return Subquery(queryset.filter(system=OuterRef("pk"))
                    .order_by(*(ordering or (f"-{field_name}",))).values(field_name)[:1])


def _systems(organizations) -> list[System]:
    # The current assessment is the one the system's page shows (assessments.latest: the
    # latest assessed, then recorded), not the last typed in.
    return list(System.objects.filter(organization__in=organizations)
                .annotate(latest_event=_latest_of(ChangeEvent.objects.filter(COUNTED), "id"),
                          current_assessment=_latest_of(Assessment.objects, "id",
                                                        "-assessed_on", "-id"),
                          last_import=_latest_of(ImportRecord.objects, "imported_at"),
                          last_review=_latest_of(Review.objects.filter(
                              finished_at__isnull=False), "finished_at"))
                .select_related("organization").order_by("organization__name", "name"))


def _row(system: System) -> PortfolioRow:
    org = system.organization
    return PortfolioRow(org.slug, org.name, system.slug, system.name, system.framework,
                        system.framework_enum.label,
                        reverse("system", args=[org.slug, system.slug]),
                        cr26=system.is_cr26, last_import=system.last_import,
                        last_review=system.last_review)


def _sort_key(row: PortfolioRow, sort: str, descending: bool):
    if sort in ("organization", "system", "framework"):
        return {"organization": row.organization_name, "system": row.system_name,
                "framework": row.framework_label}[sort].casefold()
    if sort in RISKS:
        return row.open_by_risk[sort]
    value = {"open": row.open, "overdue": row.overdue, "delayed": row.delayed,
             "score": row.sprs_score, "closeout": row.closeout_deadline,
             "last_import": row.last_import, "last_review": row.last_review}[sort]
    # Rows without a value go last whichever the direction.
    return (value is not None, value) if descending else (value is None, value)


def _item_counts(rows: dict[int, PortfolioRow], systems: list[System], today: date) -> None:
    """Open by risk, overdue and delayed: cached per system until a change that can move
    them (``history.COUNTED``) or the day changes, as tracker/services/summary.system_summary
    does; only the systems changed since are counted."""
    keys = {s.pk: f"openpoam:portfolio:{s.uuid}:{s.latest_event}:{today}" for s in systems}
    cached = cache.get_many(list(keys.values()))
    missing = []
    for system_id, key in keys.items():
        if key in cached:
            row = rows[system_id]
            row.open_by_risk, row.overdue, row.delayed = cached[key]
        else:
            missing.append(system_id)
    if missing:
        _open_items(rows, missing, today)
        _late_milestones(rows, missing, today)
        cache.set_many({keys[i]: (rows[i].open_by_risk, rows[i].overdue, rows[i].delayed)
                        for i in missing}, 24 * 3600)


def _open_items(rows: dict[int, PortfolioRow], ids: list[int], today: date) -> None:
    # Grouped in the order of the index item_status_risk, and counting only its columns
    # (not the id, which PostgreSQL would fetch from every row): an index-only pass.
    late = Q(scheduled_completion__lt=today)
    counts = (PoamItem.objects.filter(system_id__in=ids).exclude(status__in=_CLOSED).order_by()
              .values("system_id", "status", "adjusted_risk", "original_risk")
              .annotate(n=Count("*"), late=Count("scheduled_completion", filter=late)))
    for entry in counts:
        row = rows[entry["system_id"]]
        risk = entry["adjusted_risk"] or entry["original_risk"]  # PoamItem.effective_risk
        if risk in row.open_by_risk:
            row.open_by_risk[risk] += entry["n"]
        row.overdue += entry["late"]
        row.delayed += entry["late"]


def _late_milestones(rows: dict[int, PortfolioRow], ids: list[int], today: date) -> None:
    """Delayed = overdue + open items whose only lateness is an open milestone past due
    (filters.delayed_q, counted the way filters.delayed_count does, for all systems at once)."""
    counts = (Milestone.objects.filter(item__system_id__in=ids, completed_on__isnull=True,
                                       current_due__lt=today)
              .exclude(item__status__in=_CLOSED)
              .exclude(item__scheduled_completion__lt=today).order_by()
              .values("item__system_id").annotate(n=Count("item_id", distinct=True)))
    for entry in counts:
        rows[entry["item__system_id"]].delayed += entry["n"]


def _cmmc(rows: dict[int, PortfolioRow], assessment_ids: list[int]) -> None:
    if not assessment_ids:
        return
    for assessment in Assessment.objects.filter(pk__in=assessment_ids):
        row = rows[assessment.system_id]
        row.sprs_score, row.sprs_max = assessment.score, assessment.max_score
        row.cmmc_status = assessment.status
        # 32 CFR 170.21(b): a Conditional status must close out within 180 days.
        if assessment.status.lower().startswith("conditional") and assessment.status_date:
            row.closeout_deadline = clock.closeout_deadline(assessment.status_date)


def _cr26(rows: dict[int, PortfolioRow], systems: list[System], now: datetime) -> None:
    """Still not evaluated past VER-TFR-EVU (detection + 14/7/5/2 days by class)."""
    if not systems:
        return
    late = Q()
    for cert_class in {s.cr26_class for s in systems}:
        late |= Q(system__cr26_class=cert_class,
                  detected_at__lt=now - EVU[CertClass(cert_class)].delta)
    counts = (Cr26Vulnerability.objects
              .filter(late, system_id__in=[s.pk for s in systems], evaluated_at__isnull=True,
                      disposition="", accepted_at__isnull=True)
              .exclude(item__status__in=_CLOSED).order_by()
              .values("system_id").annotate(n=Count("id")))
    for entry in counts:
        rows[entry["system_id"]].cr26_late_evaluations = entry["n"]
