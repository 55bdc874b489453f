"""Quality checks of a system, with what the rules need beyond the items (CMMC inputs)."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from openpoam.domain import checks
from openpoam.domain import cmmc as cmmc_rules
from openpoam.domain.cmmc.model import Result
from openpoam.domain.cmmc.payload import parse_payload
from openpoam.domain.poam import PoamItemData
from openpoam.tracker.documents import MOVES, build_document
from openpoam.tracker.models import System
from openpoam.tracker.services import assessments


def check_settings(system: System) -> checks.CheckSettings:
    """Thresholds from the settings, and the latest CMMC assessment's deadline and results."""
    stale_days = getattr(settings, "OPENPOAM_STALE_DAYS", 30)
    level = assessments.level_for(system) if system.framework_enum.is_cmmc else None
    latest = assessments.latest(system) if level else None
    if latest is None:
        return checks.CheckSettings(stale_days=stale_days, cmmc_level=level)
    evaluation = cmmc_rules.evaluate(parse_payload(latest.payload())[0])
    return checks.CheckSettings(stale_days=stale_days, cmmc_level=level,
                                closeout_deadline=evaluation.closeout_deadline,
                                cmmc_results={k: v for k, v in evaluation.results.items()
                                              if v in (Result.NOT_MET, Result.PARTIAL)},
                                cmmc_assessed=True)


def run_checks(system: System, today: date,
               items: list[PoamItemData] | None = None) -> list[checks.Issue]:
    """Every quality check on a system's POA&M (items read with the milestone moves)."""
    if items is None:
        items = build_document(system, today=today, with_history=MOVES).items
    return checks.check_document(items, system.framework_enum, today, check_settings(system))


def issue_dict(issue: checks.Issue) -> dict:
    return {"code": issue.code, "severity": issue.severity.value, "poam_id": issue.poam_id,
            "message": issue.message, "hint": checks.hint(issue.code),
            "citation": issue.citation}
