"""Applying reconcile()'s changes to the database in bulk, with history.

Called by imports.py inside one transaction. Statements are batched so a scan
of 100,000 findings takes a few hundred statements, not 100,000.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from openpoam.domain import fedramp, workflow
from openpoam.domain.controls import ControlIdError, normalise
from openpoam.domain.findings import Severity
from openpoam.domain.poam import Catalog, Risk, Source, Status
from openpoam.domain.reconcile import (AssetState, Changes, ExistingItem, NewItem,
                                       WeaknessDigest)
from openpoam.tracker import search
from openpoam.tracker.models import (AffectedAsset, ControlReference, Evidence, KnownExploited,
                                     Milestone, PoamItem, System)
from openpoam.tracker.services import evidence as evidence_store
from openpoam.tracker.services import item_checks
from openpoam.tracker.services.actors import ServiceError
from openpoam.tracker.services.bulk import insert_rows, read_rows, set_by_ids
from openpoam.tracker.services.history import Recorder
from openpoam.tracker.services.items import reserve_poam_ids
from openpoam.tracker.services import cr26  # noqa: I001  (FedRAMP CR26 hook, kept apart)

BATCH = 900  # ids per IN (...) clause: below every backend's parameter limit
SUMMARY_NAMES = 10  # asset names listed in one history line

RISK_OF = {Severity.INFO: Risk.LOW, Severity.LOW: Risk.LOW, Severity.MODERATE: Risk.MODERATE,
           Severity.HIGH: Risk.HIGH, Severity.CRITICAL: Risk.CRITICAL}


def tracked_keys(system: System) -> set[tuple[str, str]]:
    """The weakness keys the system has items for (open or closed)."""
    return set(PoamItem.objects.filter(system=system).exclude(scan_scope="")
               .values_list("scan_scope", "scan_weakness_id").distinct())


def existing_items(system: System) -> tuple[list[ExistingItem], dict]:
    """The system's scan-tracked items as plain data, oldest first, and asset row ids."""
    items: dict[int, ExistingItem] = {}
    rows = (PoamItem.objects.filter(system=system).exclude(scan_scope="")
            .order_by("created_at", "pk")
            .values_list("pk", "scan_scope", "scan_weakness_id", "status", "actual_completion",
                         "status_date"))
    for pk, scope, weakness_id, status, completed, status_date in rows:
        items[pk] = ExistingItem(ref=pk, weakness_key=(scope, weakness_id),
                                 closed=Status(status).is_closed,
                                 closed_on=completed or status_date)
    asset_ids: dict[tuple[int, tuple[str, str, str]], int] = {}
    assets = (AffectedAsset.objects.filter(item__system=system).exclude(item__scan_scope="")
              .values_list("pk", "item_id", "asset_key", "port", "protocol", "remediated_on",
                           "last_seen"))
    for pk, item_id, key, port, protocol, remediated_on, last_seen in read_rows(assets):
        identity = (key, port, protocol)
        items[item_id].assets[identity] = AssetState(remediated=remediated_on is not None,
                                                     last_seen=last_seen)
        asset_ids[(item_id, identity)] = pk
    return list(items.values()), asset_ids


def apply_changes(actor, system: System, changes: Changes, asset_ids: dict, record) -> None:
    """Write the changes of one scan import; ``record`` is its ImportRecord (with the stored file)."""
    recorder = Recorder(actor, import_record=record)
    why = f"scan import {record.file_name}"
    touched = _touched_items(changes)
    with search.deferred() as indexed:  # one rebuild of the search rows, not one per asset
        indexed.add(_create_items(system, changes.new_items, touched, recorder, why))
        indexed.add(_add_assets(changes.new_assets, touched, recorder, why))
    _mark_seen(changes.seen_again + changes.reopened, asset_ids)
    _reopen(changes.reopened, asset_ids, touched, recorder, why)
    _remediate(changes.remediated, asset_ids, touched, recorder, why)
    _close(changes.closed, touched, recorder, why, actor, record)
    _propose(changes.proposed, touched, recorder, why)
    _item_last_seen(changes)
    recorder.save()
    # FedRAMP CR26 systems: detection times, proposed ratings, remediations (services/cr26.py)
    cr26.record_detections(actor, system, record, changes)


def _touched_items(changes: Changes) -> dict[int, PoamItem]:
    refs = {c.ref for c in (*changes.new_assets, *changes.reopened, *changes.remediated,
                            *changes.closed, *changes.proposed)}
    refs |= {n.recurrence_of for n in changes.new_items if n.recurrence_of is not None}
    found: dict[int, PoamItem] = {}
    refs_list = sorted(refs)
    for start in range(0, len(refs_list), BATCH):
        found.update(PoamItem.objects.in_bulk(refs_list[start:start + BATCH]))
    return found


# ---- new items ---------------------------------------------------------------------------

def _create_items(system: System, new_items: list[NewItem], touched: dict[int, PoamItem],
                  recorder: Recorder, why: str) -> list[int]:
    """Create the new items with their assets and controls; returns their keys.

    Items go in as plain rows (``bulk.insert_rows``), ``ITEM_CHUNK`` at a time: 100,000
    model instances and their ``bulk_create`` were most of a large first import's time
    and memory. The new ids are read back by UUID from the rows above the system's
    highest id before the chunk (one query per chunk, no IN list)."""
    if not new_items:
        return []
    kev = _kev_dues({cve for n in new_items for cve in n.weakness.cves})
    detected = [_detected(n) for n in new_items]
    poam_ids = _assign_ids(system, detected)
    keys: list[int] = []
    for start in range(0, len(new_items), ITEM_CHUNK):
        chunk_items = new_items[start:start + ITEM_CHUNK]
        # Built a chunk at a time: each row holds new text (description, comments).
        chunk = [_NewRow(system, n, kev, detected[i], poam_ids[i])
                 for i, n in enumerate(chunk_items, start)]
        now = timezone.now()
        floor = (PoamItem.objects.filter(system=system).order_by("-pk")
                 .values_list("pk", flat=True).first()) or 0
        rows = [head.row(now) for head in chunk]
        insert_rows(PoamItem, ITEM_COLUMNS, rows)
        ids = dict(PoamItem.objects.filter(system=system, pk__gt=floor)
                   .values_list("uuid", "pk").iterator(5000))
        assets, controls = [], []
        for head, new in zip(chunk, chunk_items):
            head.pk = ids[head.uuid]
            keys.append(head.pk)
            assets += [_asset_row(head.pk, s.identity, s.asset, s.first_seen, s.last_seen)
                       for s in new.assets]
            controls += _control_rows(head.pk, new.weakness)
            recorder.add(head, "create", new=head.title, justification=why)
            recorder.add(head, "create", field_name="assets",
                         new=_summary([s.identity for s in new.assets]), justification=why)
            if new.recurrence_of is not None:
                recorder.add(head, "create", field_name="recurrence_of",
                             new=touched[new.recurrence_of].poam_id, justification=why)
        insert_rows(AffectedAsset, ASSET_COLUMNS, assets)
        ControlReference.objects.bulk_create(controls, batch_size=2000, ignore_conflicts=True)
        checked = item_checks.write_created(
            system, [dict(zip(ITEM_COLUMNS, row)) for row in rows], ids, controls)
        # The chunk's history now, in the same transaction and order (the chain links the
        # same events the same way): 200,000 pending events are not held to the end.
        recorder.save(checked=checked)
    return keys


ITEM_CHUNK = 5000
# A new scan item's columns, in the order of _NewRow.row(); the others take their defaults.
ITEM_COLUMNS = ["uuid", "poam_id", "organization_id", "system_id", "title",
                "weakness_description", "source", "source_identifier", "source_detail",
                "original_risk", "raw_severity", "planned_remediation", "detected_on",
                "scheduled_completion", "status", "status_date", "cves", "kev", "kev_due",
                "comments", "scan_scope", "scan_weakness_id", "recurrence_of_id", "last_seen",
                "created_at", "updated_at"]


class _NewRow:
    """A new item before it is written: its row's values, and what the history needs
    (``Recorder.add`` reads organization_id, system_id, uuid and poam_id)."""

    __slots__ = ("values", "uuid", "poam_id", "organization_id", "system_id", "title",
                 "detected_on", "pk")

    def __init__(self, system: System, new: NewItem, kev: dict[str, date], detected: date,
                 poam_id: str):
        weakness = new.weakness
        last_seen = max((s.last_seen for s in new.assets), default=None)
        risk = RISK_OF[weakness.severity]
        kev_due = min((kev[c] for c in weakness.cves if c in kev), default=None)
        self.uuid = uuid.uuid4()
        self.poam_id = poam_id
        self.organization_id = system.organization_id
        self.system_id = system.pk
        self.title = (weakness.title or weakness.weakness_id)[:500]
        self.detected_on = detected
        self.pk = None
        self.values = (
            _description(weakness), Source.VULNERABILITY_SCAN.value,
            weakness.weakness_id[:300],
            f"{weakness.scanner} {weakness.scanner_version}".strip()[:300],
            risk.value, weakness.raw_severity[:50], weakness.solution, detected,
            _scheduled(system, risk, detected, kev_due), Status.OPEN.value,
            timezone.localdate(), list(weakness.cves), kev_due is not None, kev_due,
            _comments(weakness), weakness.scope[:200], weakness.weakness_id[:300],
            new.recurrence_of, last_seen)

    def row(self, now: datetime) -> tuple:
        return (self.uuid, self.poam_id, self.organization_id, self.system_id, self.title,
                *self.values, now, now)


def _scheduled(system: System, risk: Risk, detected: date, kev_due: date | None) -> date | None:
    """A new scan item's scheduled completion: the classic FedRAMP 30/90/180-day deadline,
    or, under CR26, only a KEV due date (VDR-TFR-KEV). The CR26 reduction deadline runs from
    the evaluation (VDR-TFR-PVR), which has not happened yet, and targets the next reduction,
    not closure; the CR26 record computes it once a person evaluates the finding."""
    if system.is_cr26:
        return kev_due
    if system.framework_enum.is_fedramp:
        return fedramp.remediation_deadline(risk, detected, kev_due)
    return None


def _detected(new: NewItem) -> date:
    first_seen = min((s.first_seen for s in new.assets), default=None)
    return (first_seen or timezone.now()).date()


def _assign_ids(system: System, detected: list[date]) -> list[str]:
    """POA&M IDs for the new items, reserved per detection year, in the items' order."""
    by_year: dict[int, list[int]] = defaultdict(list)
    for index, day in enumerate(detected):
        by_year[day.year].append(index)
    ids = [""] * len(detected)
    for year, group in sorted(by_year.items()):
        for index, poam_id in zip(group, reserve_poam_ids(system.organization, year, len(group))):
            ids[index] = poam_id
    return ids


def _description(weakness: WeaknessDigest) -> str:
    text = weakness.description
    if weakness.evidence_sample:
        text += f"\n\nScanner output (sample):\n{weakness.evidence_sample}"
    return text


def _comments(weakness: WeaknessDigest) -> str:
    lines = []
    if weakness.ccis:
        lines.append("CCIs: " + ", ".join(weakness.ccis))
    if weakness.cwes:
        lines.append("CWEs: " + ", ".join(weakness.cwes))
    if weakness.references:
        lines.append("References: " + ", ".join(weakness.references[:20]))
    return "\n".join(lines)


def _control_rows(item_pk: int, weakness: WeaknessDigest) -> list[ControlReference]:
    found = set()
    for control in weakness.controls:
        try:
            found.add(normalise(Catalog.NIST_800_53_R5, control))
        except ControlIdError:
            continue  # a scanner's odd spelling is kept in the description, not as a control
    return [ControlReference(item_id=item_pk, catalog=Catalog.NIST_800_53_R5, control_id=c)
            for c in sorted(found)]


def _kev_dues(cves: set[str]) -> dict[str, date]:
    dues: dict[str, date] = {}
    ordered = sorted(cves)
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start:start + BATCH]
        dues.update(KnownExploited.objects.filter(cve__in=chunk).values_list("cve", "due_date"))
    return dues


# ---- assets ------------------------------------------------------------------------------

ASSET_COLUMNS = ["item_id", "asset_key", "name", "kind", "ip", "fqdn", "port", "protocol",
                 "first_seen", "last_seen", "remediated_on"]


def _asset_row(item_pk: int, identity, info, first_seen, last_seen) -> tuple:
    """A plain row for bulk.insert_rows, in ASSET_COLUMNS order."""
    key, port, protocol = identity
    return (item_pk, key[:300], (info.name or key)[:300], info.kind[:20], info.ip[:64],
            info.fqdn[:300], port[:10], protocol[:10], first_seen, last_seen, None)


def _add_assets(new_assets, touched, recorder: Recorder, why: str) -> list[int]:
    """Add the assets newly found on existing items; returns the items' keys."""
    rows, per_item = [], defaultdict(list)
    for change in new_assets:
        item = touched[change.ref]
        rows.append(_asset_row(item.pk, change.identity, change.asset, change.first_seen,
                               change.last_seen))
        per_item[change.ref].append(change.identity)
    insert_rows(AffectedAsset, ASSET_COLUMNS, rows)
    for ref, identities in per_item.items():
        recorder.add(touched[ref], "update", field_name="assets",
                     new="found on " + _summary(identities), justification=why)
    return list(per_item)


def _mark_seen(changes, asset_ids: dict) -> None:
    """last_seen moves forward for every asset seen again: one statement per scan time
    (a host's assets share its scan's end), not one row per asset to join."""
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for change in changes:
        by_time[change.last_seen].append(asset_ids[(change.ref, change.identity)])
    set_by_ids(AffectedAsset, "last_seen", by_time)


def _reopen(reopened, asset_ids, touched, recorder: Recorder, why: str) -> None:
    ids, per_item = [], defaultdict(list)
    for change in reopened:
        ids.append(asset_ids[(change.ref, change.identity)])
        per_item[change.ref].append(change.identity)
    set_by_ids(AffectedAsset, "remediated_on", {None: ids} if ids else {})
    for ref, identities in per_item.items():
        recorder.add(touched[ref], "update", field_name="assets",
                     new="found again on " + _summary(identities), justification=why)


def _remediate(remediated, asset_ids, touched, recorder: Recorder, why: str) -> None:
    by_day: dict[date, list[int]] = defaultdict(list)
    per_item = defaultdict(list)
    for change in remediated:
        by_day[change.on.date()].append(asset_ids[(change.ref, change.identity)])
        per_item[change.ref].append(change.identity)
    set_by_ids(AffectedAsset, "remediated_on", by_day)
    for ref, identities in per_item.items():
        recorder.add(touched[ref], "update", field_name="assets",
                     new="remediated on " + _summary(identities), justification=why)


# ---- closing -----------------------------------------------------------------------------

def _close(closures, touched, recorder: Recorder, why: str, actor, record) -> None:
    """Complete the items the scan shows fixed, the scan (the import's stored file) as evidence.

    Open milestones are closed as not needed first, the scan named as the reason
    (domain.workflow: no item is completed while a milestone is open).
    """
    if not closures:
        return
    items = [touched[c.ref] for c in closures]
    _evidence_of_closure(items, actor, record)
    _close_milestones(items, closures, recorder, record)
    today = timezone.localdate()
    for closure, item in zip(closures, items):
        old = item.status
        if Status(old) is Status.REOPENED:  # the workflow goes Reopened -> In Progress first
            _check(item, Status.IN_PROGRESS, closure.on.date())
            recorder.add(item, "update", field_name="status", old=old,
                         new=Status.IN_PROGRESS.value, justification=why)
            old = Status.IN_PROGRESS.value
        item.status = old
        _check(item, Status.COMPLETED, closure.on.date())
        item.status, item.status_date = Status.COMPLETED.value, today
        item.actual_completion, item.closure_proposed = closure.on.date(), False
        item.version += 1
        recorder.add(item, "update", field_name="status", old=old, new=item.status,
                     justification=f"{why}: no longer found on any covered asset")
        recorder.add(item, "update", field_name="actual_completion",
                     new=item.actual_completion, justification=why)
    PoamItem.objects.bulk_update(items, ["status", "status_date", "actual_completion",
                                         "closure_proposed", "version"], batch_size=500)


def _check(item: PoamItem, wanted: Status, on: date) -> None:
    """The workflow's own check: evidence is attached and no milestone is open by now."""
    request = workflow.TransitionRequest(current=Status(item.status), wanted=wanted,
                                         requested_by="scan import", actual_completion=on,
                                         evidence_count=1)
    try:
        workflow.check_transition(request)
    except workflow.TransitionError as exc:
        raise ServiceError(f"{item.poam_id}: {exc}") from None


def _evidence_of_closure(items: list[PoamItem], actor, record) -> None:
    """One evidence row per closed item, all pointing at the import's stored file (no copy)."""
    media_type = evidence_store.stored_media_type(record.storage_name, record.file_name)
    when = timezone.localtime(record.imported_at)
    description = (f"Scan {record.file_name}, imported {when:%Y-%m-%d %H:%M} (import "
                   f"#{record.pk}), in which the weakness was no longer found on any "
                   "covered asset.")
    Evidence.objects.bulk_create(
        [Evidence(item=item, kind=Evidence.FILE, name=record.file_name[:255],
                  sha256=record.sha256, size=record.size, storage_name=record.storage_name,
                  media_type=media_type, uploaded_by=actor.name, uploader=actor.user,
                  description=description) for item in items], batch_size=500)


def _close_milestones(items: list[PoamItem], closures, recorder: Recorder, record) -> None:
    closed_on = {c.ref: c.on.date() for c in closures}
    reason = workflow.scan_closure_reason(record.file_name)[:2000]
    by_pk = {item.pk: item for item in items}
    still_open: list[Milestone] = []
    pks = sorted(by_pk)
    for start in range(0, len(pks), BATCH):
        still_open += Milestone.objects.filter(item_id__in=pks[start:start + BATCH],
                                               completed_on__isnull=True)
    for milestone in still_open:
        milestone.completed_on, milestone.not_needed_reason = closed_on[milestone.item_id], reason
        recorder.add(by_pk[milestone.item_id], "update", entity="milestone",
                     entity_uuid=milestone.uuid,
                     field_name=f"milestone {milestone.sequence} closed as not needed",
                     new=milestone.completed_on, justification=reason)
    Milestone.objects.bulk_update(still_open, ["completed_on", "not_needed_reason"],
                                  batch_size=500)


def _propose(proposals, touched, recorder: Recorder, why: str) -> None:
    ids = []
    for proposal in proposals:
        item = touched[proposal.ref]
        if not item.closure_proposed:
            ids.append(item.pk)
            recorder.add(item, "update", field_name="closure_proposed", old=False, new=True,
                         justification=f"{why}: no longer found on any covered asset")
    PoamItem.objects.filter(pk__in=ids).update(closure_proposed=True)


def _item_last_seen(changes: Changes) -> None:
    latest: dict[int, datetime] = {}
    for change in (*changes.seen_again, *changes.new_assets, *changes.reopened):
        if change.ref not in latest or change.last_seen > latest[change.ref]:
            latest[change.ref] = change.last_seen
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for ref, moment in latest.items():
        by_time[moment].append(ref)
    for moment, refs in by_time.items():
        for start in range(0, len(refs), BATCH):
            PoamItem.objects.filter(Q(last_seen__isnull=True) | Q(last_seen__lt=moment),
                                    pk__in=refs[start:start + BATCH]).update(last_seen=moment)


# ---- text --------------------------------------------------------------------------------

def _summary(identities) -> str:
    labels = [f"{k}:{p}/{proto}" if p else k for k, p, proto in sorted(identities)]
    shown = ", ".join(labels[:SUMMARY_NAMES])
    more = len(labels) - SUMMARY_NAMES
    return f"{len(labels)} asset(s): {shown}" + (f" (+{more} more)" if more > 0 else "")



