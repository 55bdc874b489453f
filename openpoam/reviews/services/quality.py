"""Quality checks of a system, with what the rules need beyond the items (CMMC inputs)."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

from openpoam.domain import checks, emass_checks
from openpoam.domain.poam import Framework, PoamItemData
from openpoam.tracker.documents import MOVES, ChunkedItems
from openpoam.tracker.models import System
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.item_checks import check_settings, cr26_tracking

__all__ = ["FAIL_ON", "check_settings", "cr26_tracking", "gate", "issue_dict", "run_checks",
           "spooled_gate"]


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
