"""A system's dashboard: open items by risk, what is overdue, what nobody touched in 30
days, the burn-down of open items, the SPRS score trend and the closeout countdown. A
FedRAMP system under the CR26 rules also shows its overdue evaluations and reductions, which
replace the classic 30/90/180-day deadlines there.

Every number is one aggregate query over the system's items, so the page costs the
same at 100 items and at 100,000; those over every item are cached until a change that can
move them.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from openpoam.domain import metrics
from openpoam.domain.poam import CLOSED_STATUSES, Risk, Status
from openpoam.tracker.filters import ListQuery, open_items, overdue_q, stale_q
from openpoam.tracker.models import Milestone, PoamItem, System
from openpoam.tracker.services import assessments, cr26_reports, summary
from openpoam import charts
from openpoam.web.views import access
from openpoam.web.views.pages import system_context

WEEKS = 12
_CLOSED = [s.value for s in CLOSED_STATUSES]


@require_safe
@login_required
def system_dashboard(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    today = timezone.localdate()
    items = PoamItem.objects.filter(system=system)
    by_risk, burn, overdue, overdue_milestones = _counts(system, items, today)
    trend = sprs_trend(system)
    context = {
        **system_context(system), "tab": "dashboard",
        "risk_bars": charts.bars([(r.label, by_risk[r], f"bar--{r.value}")
                                  for r in sorted(Risk, key=lambda r: -r.rank)]),
        "open_total": sum(by_risk.values()),
        "overdue": overdue,
        "overdue_list": list(items.filter(overdue_q(today))
                             .order_by("scheduled_completion", "poam_id")
                             .only("poam_id", "title", "scheduled_completion")[:10]),
        "overdue_milestones": overdue_milestones,
        "stale": items.filter(stale_q(today)).count(),
        "burn": burn, "burn_points": charts.polyline(burn),
        "burn_max": max((p.value for p in burn), default=0), "top": charts.TOP,
        "trend": trend, "trend_points": charts.polyline(trend),
        "closeout": _closeout(system, today),
        "cr26": cr26_reports.dashboard(cr26_reports.snapshot(system)) if system.is_cr26 else None,
        "links": {"overdue": ListQuery(overdue=True).query_string(),
                  "stale": ListQuery(stale=True).query_string(),
                  "delayed": ListQuery(status="delayed").query_string()},
        "baseline": charts.BASELINE_Y, "chart_w": charts.DASH_WIDTH, "chart_h": charts.DASH_HEIGHT,
        "left": charts.LEFT,
    }
    return render(request, "web/system_dashboard.html", context)


def _counts(system: System, items, today: date) -> tuple:
    """The aggregates over every item (about 150 ms at 100,000 items), cached until a change
    that can move them or the day changes (``summary.counts_version``): comments and text
    edits keep them. The stale count and the overdue list (titles) are read each time."""
    key = f"openpoam:dashboard:{system.uuid}:{summary.counts_version(system)}:{today}"
    counts = cache.get(key)
    if counts is None:
        late_milestones = (Milestone.objects.filter(item__system=system, completed_on__isnull=True,
                                                    current_due__lt=today)
                           .exclude(item__status__in=_CLOSED))
        counts = (open_by_risk(items), burn_down(items, today),
                  items.filter(overdue_q(today)).count(), late_milestones.count())
        cache.set(key, counts, 24 * 3600)
    return counts


def open_by_risk(items) -> dict[Risk, int]:
    counts = {r: 0 for r in Risk}
    rows = (open_items(items).order_by().values("adjusted_risk", "original_risk")
            .annotate(n=Count("id")))
    for row in rows:
        counts[Risk(row["adjusted_risk"] or row["original_risk"])] += row["n"]
    return counts


def burn_down(items, today: date) -> list[charts.Point]:
    """Open items at the end of each of the last WEEKS weeks, by the domain's rule
    (``metrics.open_at``), from one grouped query that reads the covering index."""
    groups = (items.order_by().values_list("detected_on", "status", "actual_completion",
                                           "status_date").annotate(n=Count("id")))
    spans = ((found, metrics.closing_date(Status(status), done, on), n)
             for found, status, done, on, n in groups)
    points = metrics.open_at(spans, metrics.week_ends(today, WEEKS))
    return charts.line([(day.isoformat(), count) for day, count in points], low=0)


def sprs_trend(system: System) -> list[charts.Point]:
    rows = list(system.assessments.order_by("assessed_on", "pk")
                .values_list("assessed_on", "score", "max_score")[:24])
    if not rows:
        return []
    top = max((m for _, _, m in rows if m is not None), default=110)
    return charts.line([(d.isoformat(), s) for d, s, _ in rows], low=-203, high=top)


def _closeout(system: System, today: date) -> dict | None:
    if assessments.level_for(system) is None:
        return None
    current = assessments.latest(system)
    if current is None:
        return None
    evaluation = assessments.evaluation(current, today)
    if not evaluation.get("closeout_deadline"):
        return None
    return {"deadline": evaluation["closeout_deadline"], "days_left": evaluation.get("days_left"),
            "expired": evaluation.get("expired"), "status": evaluation.get("status")}
