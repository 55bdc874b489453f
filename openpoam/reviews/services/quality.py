"""Quality checks of a system, with what the rules need beyond the items (CMMC inputs)."""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.utils import timezone

from openpoam.domain import checks, emass_checks
from openpoam.domain import cmmc as cmmc_rules
from openpoam.domain.cmmc.model import Result
from openpoam.domain.cmmc.payload import parse_payload
from openpoam.domain.poam import Framework, PoamItemData
from openpoam.tracker.documents import MOVES, ChunkedItems
from openpoam.tracker.models import Cr26RatingEvent, Cr26Vulnerability, System
from openpoam.tracker.services import assessments
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.cr26 import class_changes, to_domain


def check_settings(system: System, today: date | None = None) -> checks.CheckSettings:
    """Thresholds from the settings, the latest CMMC assessment's deadline and results, and
    a CR26 system's records (as of ``today``: now, or the end of a past or future day)."""
    stale_days = getattr(settings, "OPENPOAM_STALE_DAYS", 30)
    if system.is_cr26:
        return checks.CheckSettings(stale_days=stale_days, cr26_now=_instant(today),
                                    cr26=cr26_tracking(system))
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
               items: Iterable[PoamItemData] | None = None,
               emass: bool = False) -> list[checks.Issue]:
    """Every quality check on a system's POA&M (items read with the milestone moves, a
    chunk at a time unless given); for an RMF system (or with ``emass``) also what eMASS
    refuses on import."""
    return list(_issues(system, today, items, emass, Counter()))


def _issues(system: System, today: date, items: Iterable[PoamItemData] | None, emass: bool,
            counts: Counter) -> Iterator[checks.Issue]:
    """The issues as they are found (the document's checks, then eMASS's), the items read
    counted into ``counts["items"]``."""
    checker = checks.DocumentChecks(system.framework_enum, today, check_settings(system, today))
    with_emass = emass or system.framework_enum is Framework.RMF
    organization = system.organization.name
    refused: list[checks.Issue] = []
    for item in ChunkedItems(system, today=today, with_history=MOVES) if items is None else items:
        counts["items"] += 1
        yield from checker.add(item)
        if with_emass:
            refused += emass_checks.check_item(item, organization)
    yield from checker.finish()
    yield from refused


def _instant(today: date | None) -> datetime:
    now = timezone.now()
    if today is None or today == timezone.localdate(now):
        return now
    return datetime.combine(today, time(23, 59, 59), UTC)


def cr26_tracking(system: System) -> dict[str, checks.Cr26Tracking]:
    """POA&M ID -> its CR26 record, as the domain reads it (three queries for the system)."""
    vulns = list(Cr26Vulnerability.objects.filter(system=system)
                 .select_related("item", "system", "group_lead__item"))
    events: dict[int, list[Cr26RatingEvent]] = defaultdict(list)
    for event in Cr26RatingEvent.objects.filter(vulnerability__system=system):
        events[event.vulnerability_id].append(event)
    changes = class_changes(system)
    return {v.item.poam_id: checks.Cr26Tracking(
                to_domain(v, events[v.pk], changes),
                v.group_lead.item.poam_id if v.group_lead_id else "")
            for v in vulns}


def issue_dict(issue: checks.Issue) -> dict:
    return {"code": issue.code, "severity": issue.severity.value, "poam_id": issue.poam_id,
            "message": issue.message, "hint": checks.hint(issue.code),
            "citation": issue.citation}


FAIL_ON = ("error", "warning")


def gate(system: System, today: date, *, emass: bool = False, fail_on: str = "error",
         items: Iterable[PoamItemData] | None = None) -> dict:
    """The quality checks as a pass/fail gate: the one result of `openpoam check --json`
    and the API's checks. ``fail_on`` "error" fails on an error-level finding; "warning"
    on any finding."""
    _check_fail_on(fail_on)
    counts: Counter = Counter()
    issues = [issue_dict(i) for i in _issues(system, today, items, emass, counts)]
    counts.update(i["severity"] for i in issues)
    return {**_verdict(system, counts, fail_on), "issues": issues}


@contextmanager
def spooled_gate(system: System, today: date, *, emass: bool = False, fail_on: str = "error"):
    """``gate`` for a POA&M of any size: yields its result without the issues, and the
    issues (as ``issue_dict``) read back one at a time from a temporary file, where they
    were written as found (100,000 items may have 500,000 of them)."""
    _check_fail_on(fail_on)
    counts: Counter = Counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n",
                                prefix="checks-") as spool:
        for issue in _issues(system, today, None, emass, counts):
            counts[issue.severity.value] += 1
            spool.write(json.dumps(issue_dict(issue), ensure_ascii=False) + "\n")
        spool.seek(0)
        yield _verdict(system, counts, fail_on), (json.loads(line) for line in spool)


def _check_fail_on(fail_on: str) -> None:
    if fail_on not in FAIL_ON:
        raise ServiceError(f"fail_on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")


def _verdict(system: System, counts: Counter, fail_on: str) -> dict:
    errors, warnings = counts["error"], counts["warning"]
    failing = errors if fail_on == "error" else errors + warnings
    return {"system": system.slug, "items": counts["items"], "errors": errors,
            "warnings": warnings, "fail_on": fail_on, "passed": failing == 0}
