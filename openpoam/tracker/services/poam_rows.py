"""The new items of a POA&M file, validated one by one and written in bulk.

``NewItems.add`` checks an item exactly as ``items.create_item`` does (the same
functions) and asks the workflow whether the file's status may be taken;
``NewItems.save`` gives the items their identifiers and writes items, controls,
assets, milestones, evidence links and their creation history in a few bulk
statements. The caller holds the transaction and saves the ``Recorder``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlparse
from uuid import UUID, uuid4

from django.utils import timezone

from openpoam.domain import workflow
from openpoam.domain.controls import ControlIdError, parse_ref
from openpoam.domain.poam import ControlRef, EvidenceData, PoamItemData, Status
from openpoam.tracker import search
from openpoam.tracker.documents import (EVIDENCE_FIELDS, Parts, event_values, is_milestone_move,
                                        item_from_values, row_values)
from openpoam.tracker.models import (AffectedAsset, ControlReference, Evidence, Milestone,
                                     PoamItem, System)
from openpoam.tracker.services import bulk, item_checks
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.actors import Actor, ServiceError
from openpoam.tracker.services.history import Recorder, uuids_in_use

BATCH = 2000
# The FedRAMP workbook reader marks the rows of its "Closed POA&M Items" sheet Completed.
CLOSURE_RECORD_FORMATS = ("fedramp-xlsx",)


@dataclass
class Source:
    """The file being loaded: named in warnings, in the history and in closure evidence."""

    name: str
    sha256: str
    format_key: str
    why: str = ""
    warnings: list[str] = field(default_factory=list)

    def warn(self, label: str, text: str) -> None:
        self.warnings.append(f"{self.name}: {label}: {text}")


def uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None


def evidence_links(data: PoamItemData) -> list[EvidenceData]:
    """The evidence the file lists as web links; files it only names cannot come along."""
    links = []
    for evidence in data.evidence:
        parsed = urlparse((evidence.url or "").strip())
        if parsed.scheme in ("http", "https") and parsed.netloc and len(evidence.url) <= 2000:
            links.append(evidence)
    return links


def closure_record(source: Source, data: PoamItemData) -> bool:
    """A Closed-sheet row of a FedRAMP workbook: the file itself records the closure."""
    return source.format_key in CLOSURE_RECORD_FORMATS and data.status is Status.COMPLETED


def closure_evidence(source: Source) -> dict:
    """Evidence fields for the imported file as the record of a closure."""
    return {"kind": Evidence.LINK, "name": source.name[:255], "sha256": source.sha256,
            "description": f"Closure recorded in the imported file {source.name} "
                           f"(SHA-256 {source.sha256}), \"Closed POA&M Items\" sheet"}


def status_refusal(actor: Actor, data: PoamItemData, current: Status, evidence: int,
                   today: date) -> str:
    """The workflow's answer for a status a file gives: '' when allowed, else the rule."""
    request = workflow.TransitionRequest(
        current=current, wanted=data.status, requested_by=actor.name,
        actual_completion=data.actual_completion, evidence_count=evidence, today=today)
    try:
        workflow.check_transition(request)
    except workflow.TransitionError as exc:
        return str(exc)
    return ""


@dataclass
class _Pending:
    label: str
    data: PoamItemData
    item: PoamItem
    uuid: UUID | None
    poam_id: str  # the file's ID when it is free in the organization, else ""
    links: list[EvidenceData]
    closure: bool
    status_taken: bool = False


class NewItems:
    def __init__(self, actor: Actor, system: System, source: Source, recorder: Recorder, *,
                 today: date):
        self.actor, self.system, self.source = actor, system, source
        self.recorder, self.today = recorder, today
        self.organization = system.organization
        self.taken = set(PoamItem.objects.filter(organization=self.organization)
                         .values_list("poam_id", flat=True))
        self.pending: list[_Pending] = []
        self.seen: set = set()
        self.checked: set = set()  # the UUIDs whose stored check results the last save wrote

    def add(self, index: int, data: PoamItemData, fields: dict) -> None:
        label = f"item {index} ({data.poam_id})" if data.poam_id else f"item {index}"
        item = self._validated(label, data, fields)
        uuid, poam_id = uuid_or_none(data.uuid), (data.poam_id or "").strip()[:30]
        if (uuid and uuid in self.seen) or (poam_id and poam_id in self.seen):
            self.source.warn(label, "appears more than once in the file; only its first row "
                                    "was loaded")
            return
        self.seen.update(k for k in (uuid, poam_id) if k)
        if poam_id in self.taken:
            self.source.warn(label, "that ID is used by another system's item; a new ID was "
                                    "given")
            poam_id = ""
        self.taken.add(poam_id)
        pending = _Pending(label, data, item, uuid, poam_id, evidence_links(data),
                           closure_record(self.source, data))
        self._status(pending)
        self.pending.append(pending)

    def _validated(self, label: str, data: PoamItemData, fields: dict) -> PoamItem:
        if data.detected_on is None:
            raise ServiceError(f"{self.source.name}: {label}: the original detection date is "
                               "missing; it is required")
        values = item_services.clean_fields({k: v for k, v in fields.items() if v is not None})
        item = PoamItem(organization=self.organization, system=self.system,
                        title=(data.title or data.poam_id or "").strip()[:500],
                        detected_on=data.detected_on, status=Status.OPEN,
                        status_date=self.today, **values)
        try:
            if not item.title:
                raise ServiceError("title: a POA&M item needs a title")
            item_services.check_values(item)
        except ServiceError as exc:
            raise ServiceError(f"{self.source.name}: {label}: {exc}") from None
        return item

    def _status(self, pending: _Pending) -> None:
        data = pending.data
        if data.status is Status.OPEN:
            return
        refusal = status_refusal(self.actor, data, Status.OPEN,
                                 len(pending.links) + pending.closure, self.today)
        if refusal:
            self.source.warn(pending.label, f"status {data.status.label} not taken, kept Open: "
                                            f"{refusal}")
            return
        item = pending.item
        item.status, item.status_date = data.status.value, data.status_date or self.today
        if data.status is Status.COMPLETED:
            item.actual_completion = data.actual_completion
        pending.status_taken = True

    # ------------------------------------------------------------ writing

    def save(self) -> list[tuple[PoamItemData, PoamItem]]:
        """Write the items added since the last save (a caller may save every few
        thousand items, so memory stays flat); returns them with their items."""
        self.checked = set()
        if not self.pending:
            return []
        saved = self._save()
        self.pending = []
        return saved

    def _save(self) -> list[tuple[PoamItemData, PoamItem]]:
        self._assign_uuids()
        self._assign_ids()
        items = [p.item for p in self.pending]
        with search.deferred() as indexed:  # one rebuild of the search rows, not one per asset
            bulk.insert_objects(PoamItem, items)
            self._read_keys(items)
            indexed.add(item.pk for item in items)
            for pending in self.pending:
                self._history(pending)
            controls = self._controls()
            self._assets()
        milestones = self._milestones()
        evidence = self._evidence()
        # Their stored check results from what was just written, not read back.
        self.checked = item_checks.write_new(
            self.system, {p.item.uuid for p in self.pending},
            lambda today: self._created(controls, milestones, evidence, today))
        return [(p.data, p.item) for p in self.pending]

    def _created(self, controls: list, milestones: list, evidence: list,
                 today: date) -> Iterator[tuple[int, PoamItemData]]:
        """(pk, the item as ``documents.ChunkedItems`` reads it back for the checks) for the
        items just written: the same orders, the milestone moves this save recorded,
        decimals as stored; no assets (no rule reads them) and no dependencies yet (they are
        linked after the last item)."""
        parts: dict[int, Parts] = defaultdict(Parts)
        for pk, catalog, control_id in sorted(controls):
            parts[pk].controls.append((catalog, control_id))
        for pk, uuid, sequence, description, original, current, done in sorted(
                milestones, key=lambda row: (row[0], row[2])):
            parts[pk].milestones.append((sequence, description, original, current, done, uuid,
                                         "", None))
        for position, row in sorted(enumerate(evidence),
                                    key=lambda pair: (pair[1].item_id, pair[1].uploaded_at,
                                                      pair[0])):
            parts[row.item_id].evidence.append(tuple(getattr(row, n) for n in EVIDENCE_FIELDS))
        pks = {p.item.uuid: p.item.pk for p in self.pending}
        for e in self.recorder.events:  # the history moves, as MOVES reads them
            if e.item_uuid in pks and is_milestone_move(e):
                parts[pks[e.item_uuid]].history.append(event_values(e))
        zone = timezone.get_current_timezone()
        for pending in self.pending:
            item = pending.item
            values = row_values(item)
            if values["cost_estimate"] is not None:
                values["cost_estimate"] = _stored_decimal(values["cost_estimate"])
            yield item.pk, item_from_values(values, parts.pop(item.pk, None) or Parts(), today,
                                            zone)

    def _assign_uuids(self) -> None:
        used: set[UUID] = uuids_in_use([p.uuid for p in self.pending if p.uuid],
                                       self.organization, BATCH)
        for pending in self.pending:
            if pending.uuid and pending.uuid not in used:
                pending.item.uuid = pending.uuid  # else the fresh default stays

    def _assign_ids(self) -> None:
        item_services.advance_counters(self.organization, [p.poam_id for p in self.pending])
        by_year: dict[int, list[_Pending]] = defaultdict(list)
        for pending in self.pending:
            if pending.poam_id:
                pending.item.poam_id = pending.poam_id
            else:
                by_year[pending.data.detected_on.year].append(pending)
        for year, waiting in by_year.items():
            fresh = iter(self._free_ids(year, len(waiting)))
            for pending in waiting:
                pending.item.poam_id = next(fresh)

    def _free_ids(self, year: int, count: int) -> list[str]:
        found: list[str] = []
        while len(found) < count:
            block = item_services.reserve_poam_ids(self.organization, year, count - len(found))
            found += [pid for pid in block if pid not in self.taken]
        return found

    def _read_keys(self, items: list[PoamItem]) -> None:
        keys: dict = {}
        uuids = [item.uuid for item in items]
        for start in range(0, len(uuids), BATCH):
            keys.update(PoamItem.objects.filter(system=self.system,
                                                uuid__in=uuids[start:start + BATCH])
                        .values_list("uuid", "pk"))
        for item in items:
            item.pk = keys[item.uuid]
            item._state.adding = False

    def _history(self, pending: _Pending) -> None:
        item, why = pending.item, self.source.why
        self.recorder.add(item, "create", new=item.title, justification=why)
        if pending.status_taken:
            self.recorder.add(item, "update", field_name="status", old=Status.OPEN.value,
                              new=item.status, justification=why)
            if item.actual_completion:
                self.recorder.add(item, "update", field_name="actual_completion",
                                  new=item.actual_completion, justification=why)

    def _controls(self) -> list:
        rows = []
        for pending in self.pending:
            unique = set()
            for control in pending.data.controls:
                try:
                    ref = control if isinstance(control, ControlRef) else parse_ref(str(control))
                except ControlIdError as exc:
                    self.source.warn(pending.label, f"controls: {exc}")
                    continue
                unique.add((ref.catalog.value, ref.control_id))
            rows += [(pending.item.pk, catalog, control_id) for catalog, control_id in unique]
        bulk.insert_rows(ControlReference, ["item_id", "catalog", "control_id"], rows)
        return rows

    def _assets(self) -> None:
        rows = []
        for pending in self.pending:
            known = set()
            for asset in pending.data.assets:
                name = (asset.name or asset.fqdn or asset.ip).strip()
                key = (name.lower(), asset.port, asset.protocol.lower())
                if not name or key in known:
                    continue
                known.add(key)
                rows.append((pending.item.pk, key[0], name, asset.kind or "host", asset.ip,
                             asset.fqdn, asset.port, key[2], asset.remediated_on))
        bulk.insert_rows(AffectedAsset, ["item_id", "asset_key", "name", "kind", "ip", "fqdn",
                                         "port", "protocol", "remediated_on"], rows)

    def _milestones(self) -> list:
        rows = []
        for pending in self.pending:
            ordered = sorted(pending.data.milestones, key=lambda m: m.sequence)
            for sequence, data in enumerate(ordered, start=1):
                original = data.original_due or data.current_due
                row = (pending.item.pk, uuid4(), sequence,
                       (data.description or "").strip() or "(no description)", original,
                       data.current_due or original, data.completed_on)
                rows.append(row)
                self._milestone_history(pending.item, row, data)
        bulk.insert_rows(Milestone, ["item_id", "uuid", "sequence", "description",
                                     "original_due", "current_due", "completed_on"], rows)
        return rows

    def _milestone_history(self, item: PoamItem, row: tuple, data) -> None:
        """Due-date changes the file records; the milestones themselves are part of the
        item's creation (its event names the import and, through it, the file)."""
        _, uuid, sequence, _, original, current, _ = row
        if current != original:
            reason = (data.changes[-1].justification if data.changes else "") or self.source.why
            self.recorder.add(item, "update", entity="milestone", entity_uuid=uuid,
                              field_name=f"milestone {sequence} due", old=original, new=current,
                              justification=reason)

    def _evidence(self) -> list:
        rows = []
        for pending in self.pending:
            made = [Evidence(item=pending.item, kind=Evidence.LINK,
                             name=(link.name or link.url)[:255], url=link.url.strip(),
                             description=link.description, uploaded_by=self.actor.name,
                             uploader=self.actor.user) for link in pending.links]
            if pending.closure:
                made.append(Evidence(item=pending.item, uploaded_by=self.actor.name,
                                     uploader=self.actor.user, **closure_evidence(self.source)))
            for row in made:
                self.recorder.add(pending.item, "create", entity="evidence", entity_uuid=row.uuid,
                                  field_name="evidence on item", new=row.url or row.description,
                                  justification=self.source.why)
            rows += made
        bulk.insert_objects(Evidence, rows)
        return rows


def _stored_decimal(value) -> Decimal:
    """A cost as the database gives it back: at the column's decimal places."""
    places = PoamItem._meta.get_field("cost_estimate").decimal_places
    return Decimal(value).quantize(Decimal(1).scaleb(-places))
