"""The executive report: one system's POA&M for leadership, as HTML and as PDF.

The PDF is rendered from the same HTML by WeasyPrint (well kept, prints CSS paged
media, draws inline SVG as vector graphics). It is given no way to fetch anything: every
resource is inline, and a URL in the page (there should be none) is refused.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from openpoam.domain import checks
from openpoam.domain.poam import Designation
from openpoam import charts
from openpoam.domain.metrics import Metrics
from openpoam.reviews.services.metrics import metrics_tally, system_metrics_of
from openpoam.reviews.services.quality import check_settings
from openpoam.tracker.documents import MOVES, ChunkedItems
from openpoam.tracker.models import System
from openpoam.tracker.services import assessments
from openpoam.tracker.services.actors import Actor, ServiceError, require

TOP_RISKS = 10
# The report lists this many overdue items, the longest overdue first, and counts the rest:
# a PDF of 100,000 items would otherwise be thousands of pages (the export has them all).
OVERDUE_SHOWN = 100


def report_context(actor: Actor, system: System, today: date | None = None) -> dict:
    require(actor, system.organization, "poam.view")
    today = today or timezone.localdate()
    seen = _read_items(system, today)
    numbers = seen.metrics
    cmmc = assessments.summary(system, today) if system.framework_enum.is_cmmc else None
    return {
        "system": system, "organization": system.organization, "today": today,
        "generated_at": timezone.now(),
        "designation": system.designation_enum,
        "is_internal": system.designation_enum is Designation.INTERNAL,
        "metrics": numbers, "cmmc": cmmc["evaluation"] if cmmc else None,
        "top_risks": seen.top_risks.items, "overdue": seen.overdue.items,
        "overdue_more": max(seen.overdue_count - OVERDUE_SHOWN, 0),
        "owners": list(numbers.by_owner.items()),
        "check_summary": seen.check_summary,
        "burndown_chart": charts.line_chart("Open items, week by week",
                                            numbers.burndown, "open items"),
        "score_chart": charts.line_chart("SPRS score", numbers.score_trend, "points")
        if numbers.score_trend else None,
        "risk_chart": charts.bar_chart("Open items by risk", numbers.open_by_risk),
    }


class _Shortlist:
    """The first ``size`` items in ``key`` order of those offered, holding at most twice
    that many (the key ends with the POA&M ID, unique in a system: no ties)."""

    def __init__(self, size: int, key):
        self.size, self.key, self.items = size, key, []

    def offer(self, item) -> None:
        self.items.append(item)
        if len(self.items) >= 2 * self.size:
            self.items = heapq.nsmallest(self.size, self.items, key=self.key)

    def done(self) -> None:
        self.items = sorted(self.items, key=self.key)[:self.size]


@dataclass
class _Reading:
    metrics: Metrics
    check_summary: list[dict]
    top_risks: _Shortlist
    overdue: _Shortlist
    overdue_count: int


def _read_items(system: System, today: date) -> _Reading:
    """One pass over the items, read a chunk at a time: the metrics, the checks' counts,
    the top risks and the longest overdue, without holding the POA&M."""
    tally = metrics_tally(system, today)
    checker = checks.DocumentChecks(system.framework_enum, today, check_settings(system, today))
    counts = _IssueCounts()
    top = _Shortlist(TOP_RISKS, lambda i: (-i.effective_risk.rank,
                                           i.scheduled_completion or date.max, i.poam_id))
    overdue = _Shortlist(OVERDUE_SHOWN, lambda i: (i.scheduled_completion or date.max,
                                                   i.poam_id))
    overdue_count = 0
    for item in ChunkedItems(system, today=today, with_history=MOVES):
        tally.add(item)
        counts.add(checker.add(item))
        if not item.status.is_closed:
            top.offer(item)
            if item.delayed:
                overdue.offer(item)
                overdue_count += 1
    counts.add(checker.finish())
    top.done()
    overdue.done()
    return _Reading(system_metrics_of(system, tally), counts.summary(), top, overdue,
                    overdue_count)


class _IssueCounts:
    """Issues counted by code, in the order the codes first appear."""

    def __init__(self):
        self.groups: dict[str, dict] = {}

    def add(self, issues: list[checks.Issue]) -> None:
        for issue in issues:
            group = self.groups.setdefault(issue.code, {"code": issue.code, "count": 0,
                                                        "severity": issue.severity.value,
                                                        "hint": checks.hint(issue.code)})
            group["count"] += 1

    def summary(self) -> list[dict]:
        return sorted(self.groups.values(),
                      key=lambda g: (g["severity"] != "error", -g["count"]))


def report_html(actor: Actor, system: System, today: date | None = None) -> str:
    return render_to_string("reviews/report.html", report_context(actor, system, today))


def report_pdf(actor: Actor, system: System, today: date | None = None) -> bytes:
    html = report_html(actor, system, today)
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Pango library is missing on this machine
        raise ServiceError(f"cannot render PDF: {exc}. Install Pango (Debian: libpango-1.0-0)"
                           ) from None
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the report fetches nothing ({url!r} refused)")
