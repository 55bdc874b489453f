"""The executive report: one system's POA&M for leadership, as HTML and as PDF.

The PDF is rendered from the same HTML by WeasyPrint (well kept, prints CSS paged
media, draws inline SVG as vector graphics). It is given no way to fetch anything: every
resource is inline, and a URL in the page (there should be none) is refused.
"""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from openpoam.domain import checks
from openpoam.domain.poam import Designation
from openpoam import charts
from openpoam.reviews.services.metrics import system_metrics
from openpoam.reviews.services.quality import check_settings
from openpoam.tracker.documents import MOVES, build_document
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
    items = build_document(system, today=today, with_history=MOVES).items
    numbers = system_metrics(system, today, items)
    issues = checks.check_document(items, system.framework_enum, today,
                                   check_settings(system, today))
    open_items = [i for i in items if not i.status.is_closed]
    cmmc = assessments.summary(system, today) if system.framework_enum.is_cmmc else None
    return {
        "system": system, "organization": system.organization, "today": today,
        "generated_at": timezone.now(),
        "designation": system.designation_enum,
        "is_internal": system.designation_enum is Designation.INTERNAL,
        "metrics": numbers, "cmmc": cmmc["evaluation"] if cmmc else None,
        "top_risks": sorted(open_items, key=lambda i: (-i.effective_risk.rank,
                                                       i.scheduled_completion or date.max,
                                                       i.poam_id))[:TOP_RISKS],
        **_overdue(open_items),
        "owners": list(numbers.by_owner.items()),
        "check_summary": _check_summary(issues),
        "burndown_chart": charts.line_chart("Open items, week by week",
                                            numbers.burndown, "open items"),
        "score_chart": charts.line_chart("SPRS score", numbers.score_trend, "points")
        if numbers.score_trend else None,
        "risk_chart": charts.bar_chart("Open items by risk", numbers.open_by_risk),
    }


def _overdue(open_items: list) -> dict:
    overdue = sorted((i for i in open_items if i.delayed),
                     key=lambda i: (i.scheduled_completion or date.max, i.poam_id))
    return {"overdue": overdue[:OVERDUE_SHOWN],
            "overdue_more": max(len(overdue) - OVERDUE_SHOWN, 0)}


def _check_summary(issues: list[checks.Issue]) -> list[dict]:
    groups: dict[str, dict] = {}
    for issue in issues:
        group = groups.setdefault(issue.code, {"code": issue.code, "count": 0,
                                               "severity": issue.severity.value,
                                               "hint": checks.hint(issue.code)})
        group["count"] += 1
    return sorted(groups.values(), key=lambda g: (g["severity"] != "error", -g["count"]))


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
