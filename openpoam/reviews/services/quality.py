"""Quality checks of a system, with what the rules need beyond the items (CMMC inputs)."""

from __future__ import annotations

from datetime import date

from openpoam.domain import checks, emass_checks
from openpoam.domain.poam import Framework, PoamItemData
from openpoam.tracker.documents import MOVES, build_document
from openpoam.tracker.models import System
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.item_checks import check_settings, cr26_tracking

__all__ = ["FAIL_ON", "check_settings", "cr26_tracking", "gate", "issue_dict", "run_checks"]


def run_checks(system: System, today: date,
               items: list[PoamItemData] | None = None,
               emass: bool = False) -> list[checks.Issue]:
    """Every quality check on a system's POA&M (items read with the milestone moves);
    for an RMF system (or with ``emass``) also what eMASS refuses on import."""
    if items is None:
        items = build_document(system, today=today, with_history=MOVES).items
    issues = checks.check_document(items, system.framework_enum, today,
                                   check_settings(system, today))
    if emass or system.framework_enum is Framework.RMF:
        issues += emass_checks.check_document(items, system.organization.name)
    return issues


def issue_dict(issue: checks.Issue) -> dict:
    return {"code": issue.code, "severity": issue.severity.value, "poam_id": issue.poam_id,
            "message": issue.message, "hint": checks.hint(issue.code),
            "citation": issue.citation}


FAIL_ON = ("error", "warning")


def gate(system: System, today: date, *, emass: bool = False, fail_on: str = "error",
         items: list[PoamItemData] | None = None) -> dict:
    """The quality checks as a pass/fail gate: the one result of `openpoam check --json`
    and the API's checks. ``fail_on`` "error" fails on an error-level finding; "warning"
    on any finding."""
    if fail_on not in FAIL_ON:
        raise ServiceError(f"fail_on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    if items is None:
        items = build_document(system, today=today, with_history=MOVES).items
    issues = [issue_dict(i) for i in run_checks(system, today, items, emass=emass)]
    errors = sum(1 for i in issues if i["severity"] == "error")
    failing = errors if fail_on == "error" else len(issues)
    return {"system": system.slug, "items": len(items), "errors": errors,
            "warnings": len(issues) - errors, "fail_on": fail_on, "passed": failing == 0,
            "issues": issues}
