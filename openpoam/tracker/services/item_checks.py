"""The quality checks' stored results: each item's findings (``domain.checks.item_findings``)
as ``ItemCheck`` rows, kept with the item.

Every change the services make to an item is recorded in its history (``history.Recorder``);
when the history is saved, the changed items' rows are written again in the same
transaction (``refresh``), a chunk at a time on imports (one read of the chunk, one
delete and one insert statement). What the rules read beyond the item (framework,
thresholds, the CMMC assessment, the rules' revision) is the system's *basis*; when it is
not the one the rows were written with, ``ensure_current`` writes the whole system again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from openpoam.domain import checks, emass_checks
from openpoam.domain import cmmc as cmmc_rules
from openpoam.domain.cmmc.model import Result
from openpoam.domain.cmmc.payload import parse_payload
from openpoam.domain.poam import CLOSED_STATUSES, Framework, PoamItemData
from openpoam.tracker.documents import (ITEM_FIELDS, MOVES, ChunkedItems, Parts,
                                        item_from_values)
from openpoam.tracker.models import (CheckBasis, Cr26RatingEvent, Cr26Vulnerability, ItemCheck,
                                     ItemDependency, PoamItem, System)
from openpoam.tracker.services import assessments
from openpoam.tracker.services.bulk import insert_rows, plain_default
from openpoam.tracker.services.cr26 import class_changes, to_domain

# Raise when a rule changes what it finds: every system's rows are then written again.
RULES_REVISION = 1
CHUNK = 2000
_COLUMNS = ["system_id", "item_id", "poam_id", "position", "code", "severity", "message",
            "citation", "wording", "starts", "ends", "repeat"]


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


def stored_settings(system: System) -> checks.CheckSettings:
    """What the stored rules read: a CR26 system's records and hour stay out (its CR26
    rules are worked out when read), the rest as ``check_settings``."""
    if system.is_cr26:
        stale_days = getattr(settings, "OPENPOAM_STALE_DAYS", 30)
        return checks.CheckSettings(stale_days=stale_days,
                                    cr26_now=datetime(2000, 1, 1, tzinfo=UTC))
    return check_settings(system)


def basis(system: System, rules: checks.CheckSettings) -> str:
    emass = system.framework_enum is Framework.RMF
    return repr((RULES_REVISION, system.framework, rules.stale_days, rules.cmmc_level,
                 rules.closeout_deadline, sorted((k, str(v)) for k, v in rules.cmmc_results.items()),
                 rules.cmmc_assessed, rules.is_cr26, system.organization.name if emass else ""))


def findings(system: System, rules: checks.CheckSettings, item,
             since: date | None = None) -> list[checks.Finding]:
    """One item's findings from ``since`` on: the quality checks, and on an RMF system what
    eMASS refuses."""
    found = checks.item_findings(item, system.framework_enum, rules, since)
    if system.framework_enum is Framework.RMF:
        found += [checks.Finding(i) for i in emass_checks.check_item(item,
                                                                       system.organization.name)]
    return found


def refresh(system: System, item_ids: list[int]) -> None:
    """Write the stored results of these items of ``system`` again (after their change)."""
    rules = stored_settings(system)
    current = CheckBasis.objects.filter(system=system).values_list("basis", flat=True).first()
    if current != basis(system, rules):
        rebuild(system)
        return
    with transaction.atomic():
        for start in range(0, len(item_ids), CHUNK):
            part = item_ids[start:start + CHUNK]
            ItemCheck.objects.filter(item_id__in=part).delete()
            _write(system, rules, ChunkedItems(system, today=timezone.localdate(),
                                               with_history=MOVES, ids=part, chunk=CHUNK,
                                               assets=False))


def rebuild(system: System) -> int:
    """Every item of the system again; returns the number of rows written."""
    rules = stored_settings(system)
    with transaction.atomic():
        ItemCheck.objects.filter(system=system).delete()
        written = _write(system, rules, ChunkedItems(system, today=timezone.localdate(),
                                                     with_history=MOVES, chunk=CHUNK,
                                                     assets=False))
        CheckBasis.objects.update_or_create(system=system,
                                            defaults={"basis": basis(system, rules)})
    return written


def ensure_current(system: System) -> None:
    """Rebuild the system's rows if they were written with another basis (or never)."""
    current = CheckBasis.objects.filter(system=system).values_list("basis", flat=True).first()
    if current != basis(system, stored_settings(system)):
        rebuild(system)


def bring_up_to_date():
    """After an upgrade: rebuild every system whose rows were written with another basis
    (or never), so no first view of a checks page has to; yields (system, rows written)."""
    for system in System.objects.select_related("organization").order_by("pk"):
        current = CheckBasis.objects.filter(system=system).values_list("basis",
                                                                        flat=True).first()
        if current != basis(system, stored_settings(system)):
            yield system, rebuild(system)


def write_created(system: System, items: list[dict], pks: dict, controls: list) -> set:
    """The stored results of items an import has just created, from the rows it wrote
    (reading a chunk back cost as much as working out its checks). ``items`` are the item
    rows by column name (the columns left out hold their model default), ``pks`` their
    UUID -> pk, ``controls`` ControlReference objects (no rule looks at affected assets, so
    they are left out, as ``refresh`` leaves them); the items have no milestones, evidence, dependencies or history moves yet.
    Returns the UUIDs written, for ``Recorder.save(checked=...)``."""
    return write_new(system, set(pks),
                     lambda today: created_items(items, pks, controls, today))


def write_new(system: System, uuids: set, created) -> set:
    """The stored results of the items ``uuids`` an import has just created, from
    ``created(today)``: their (pk, PoamItemData) as a read of them would give. Returns
    ``uuids`` (none when the system's rows are not current: the refresh after the history
    is saved rebuilds them then, with the history these items are about to get)."""
    rules = stored_settings(system)
    current = CheckBasis.objects.filter(system=system).values_list("basis", flat=True).first()
    if current != basis(system, rules):
        return set()
    today = timezone.localdate()
    with transaction.atomic():
        _write_pairs(system, rules, created(today), today)
    return uuids


def created_items(items: list[dict], pks: dict, controls: list,
                  today: date) -> Iterator[tuple[int, PoamItemData]]:
    """(pk, the item as ChunkedItems reads it back) for rows just written."""
    parts: dict[int, Parts] = defaultdict(Parts)
    for item_id, catalog, control_id in sorted(
            (c.item_id, getattr(c.catalog, "value", c.catalog), c.control_id) for c in controls):
        parts[item_id].controls.append((catalog, control_id))
    defaults = _item_defaults()
    zone = timezone.get_current_timezone()
    for row in items:
        pk = pks[row["uuid"]]
        values = {**defaults, **row, "owner_name": None, "owner_email": None,
                  "approver_name": None}
        yield pk, item_from_values(values, parts.pop(pk, None) or Parts(), today, zone)


@cache
def _item_defaults() -> dict:
    """What a column left out of an item row holds (``bulk.insert_rows``'s defaults)."""
    return {f.attname: f.get_default() if plain_default(f) else None
            for f in PoamItem._meta.concrete_fields if f.attname in ITEM_FIELDS}


def _write(system: System, rules: checks.CheckSettings, items: ChunkedItems) -> int:
    pks = dict(PoamItem.objects.filter(system=system, **(
        {"id__in": items.ids} if items.ids is not None else {})).values_list("uuid", "id"))
    return _write_pairs(system, rules, ((pks[_uuid(item.uuid)], item) for item in items),
                        timezone.localdate())


def _write_pairs(system: System, rules: checks.CheckSettings, pairs, today: date) -> int:
    """Insert the rows of these (item pk, item data) pairs; returns how many."""
    rows, written = [], 0
    for item_pk, item in pairs:
        repeats: Counter = Counter()
        for position, found in enumerate(findings(system, rules, item, today)):
            if found.end is not None and found.end <= today:
                continue  # over before today: days only move forward, it never holds again
            issue = found.issue
            rows.append((system.pk, item_pk, item.poam_id, position, issue.code,
                         issue.severity.value, issue.message, issue.citation,
                         _wording(issue.message), found.start, found.end, repeats[issue.code]))
            repeats[issue.code] += 1
        if len(rows) >= CHUNK * 4:
            insert_rows(ItemCheck, _COLUMNS, rows)
            written, rows = written + len(rows), []
    insert_rows(ItemCheck, _COLUMNS, rows)
    return written + len(rows)


def _uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


def _wording(message: str) -> int:
    """A 63-bit hash of a message: equal messages, equal numbers."""
    return int.from_bytes(hashlib.blake2b(message.encode(), digest_size=8).digest(),
                          "big") >> 1


def refresh_owned(person) -> None:
    """After a person's name or e-mail changed: the stored results of the items they own."""
    refresh_uuids(PoamItem.objects.filter(owner=person).values_list("uuid", flat=True))


def refresh_uuids(item_uuids) -> None:
    """After a history save: the stored results of the items these events were about."""
    by_system: dict[int, list[int]] = defaultdict(list)
    wanted = list(item_uuids)
    for start in range(0, len(wanted), CHUNK):
        for system_id, pk in (PoamItem.objects.filter(uuid__in=wanted[start:start + CHUNK])
                              .values_list("system_id", "id")):
            by_system[system_id].append(pk)
    for system in System.objects.filter(pk__in=by_system).select_related("organization"):
        refresh(system, by_system[system.pk])


# --- reading ----------------------------------------------------------------------------------


def held_on(today: date) -> Q:
    """The stored rows that hold on ``today``."""
    return ((Q(starts__isnull=True) | Q(starts__lte=today))
            & (Q(ends__isnull=True) | Q(ends__gt=today)))


def summary(system: System, today: date, shown: int) -> dict:
    """The checks page: one group per kind of problem (count, wording, its first ``shown``
    items in POA&M ID order), errors and warnings, from the stored rows that hold today
    plus what is worked out when read (the POA&M-wide checks, a CR26 system's rules)."""
    ensure_current(system)
    rows = ItemCheck.objects.filter(held_on(today), system=system)
    if system.is_cr26 and system.framework_enum.is_fedramp:
        # A tracked item's deadlines are the CR26 ones: no scheduled completion needed.
        tracked = Cr26Vulnerability.objects.filter(system=system).values("item__poam_id")
        rows = rows.exclude(code="no-scheduled-completion", poam_id__in=tracked)
    groups, errors, warnings = [], 0, 0
    for group in (rows.values("code", "severity").order_by()
                  .annotate(issues=Count("*"), repeats=Max("repeat"),
                            low=Min("wording"), high=Max("wording"))):
        of_group = rows.filter(code=group["code"], severity=group["severity"])
        group["items"] = group["issues"]  # one row per item, unless an item repeats the kind
        if group["repeats"]:
            group["items"] = of_group.aggregate(n=Count("poam_id", distinct=True))["n"]
        message, citation = (of_group.order_by("poam_id", "position")
                             .values_list("message", "citation").first())
        ids = list(of_group.order_by("poam_id").values_list("poam_id", flat=True)
                   .distinct()[:shown])
        groups.append({"code": group["code"], "severity": group["severity"],
                       "message": message, "citation": citation,
                       "hint": checks.hint(group["code"]), "varies": group["low"] != group["high"],
                       "count": group["items"], "items": ids,
                       "more": max(0, group["items"] - shown)})
        if group["severity"] == "error":
            errors += group["issues"]
        else:
            warnings += group["issues"]
    live = live_issues(system, today)
    groups += group_issues(live, shown)
    errors += sum(1 for i in live if i.severity.value == "error")
    warnings += sum(1 for i in live if i.severity.value != "error")
    groups.sort(key=lambda g: (g["severity"] != "error", -g["count"], g["code"]))
    return {"groups": groups, "errors": errors, "warnings": warnings,
            "item_count": PoamItem.objects.filter(system=system).count()}


def live_issues(system: System, today: date) -> list[checks.Issue]:
    """What is not stored: the checks of the POA&M as a whole (dependencies, one date for
    most items), and a CR26 system's CR26 rules (they follow its records and the hour)."""
    closed = [s.value for s in CLOSED_STATUSES]
    items = PoamItem.objects.filter(system=system)
    per_date = dict(items.exclude(status__in=closed).values_list("scheduled_completion")
                    .annotate(n=Count("*")).order_by())  # one pass: None = no date
    open_count = sum(per_date.values())
    open_dates = Counter({day: n for day, n in per_date.items() if day is not None})
    links, known = _links(system, closed)
    issues = checks.set_issues(links, known, open_dates, open_count, stored_settings(system))
    if system.is_cr26 and system.framework_enum.is_fedramp:
        rules = check_settings(system, today)
        for poam_id, status in items.order_by("poam_id").values_list("poam_id", "status"):
            issues += checks.cr26_issues(poam_id, status in closed, rules)
    return issues


def _links(system: System, closed: list[str]) -> tuple[list[checks.Link], set[str]]:
    """The items that wait for another or are waited for, in POA&M ID order."""
    waits: dict[str, list[str]] = defaultdict(list)
    due: dict[str, date | None] = {}
    for poam_id, status, scheduled, target, target_system, target_status, target_due in (
            ItemDependency.objects.filter(item__system=system).values_list(
                "item__poam_id", "item__status", "item__scheduled_completion",
                "depends_on__poam_id", "depends_on__system_id", "depends_on__status",
                "depends_on__scheduled_completion")):
        waits[poam_id].append(target)
        due[poam_id] = None if status in closed else scheduled
        if target_system == system.pk:
            due.setdefault(target, None if target_status in closed else target_due)
    links = [checks.Link(poam_id, tuple(sorted(waits.get(poam_id, ()))), due[poam_id])
             for poam_id in sorted(due)]
    return links, set(due)


def group_issues(issues, shown: int) -> list[dict]:
    """One row per kind of problem with the items it affects: errors first, then most items."""
    groups: dict[tuple, dict] = {}
    for issue in issues:
        key = (issue.code, issue.severity.value)
        group = groups.setdefault(key, {"code": issue.code, "severity": issue.severity.value,
                                        "message": issue.message, "citation": issue.citation,
                                        "hint": checks.hint(issue.code),
                                        "ids": {}, "varies": False})
        if issue.poam_id:
            group["ids"][issue.poam_id] = None  # a dict keeps the order and drops repeats
        if issue.message != group["message"]:
            group["varies"] = True
    result = []
    for group in groups.values():
        ids = list(group.pop("ids"))
        result.append({**group, "count": len(ids), "items": ids[:shown],
                       "more": max(0, len(ids) - shown)})
    return sorted(result, key=lambda g: (g["severity"] != "error", -g["count"], g["code"]))
