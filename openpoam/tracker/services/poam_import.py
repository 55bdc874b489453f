"""Loading a POA&M written by another tool (OSCAL, FedRAMP workbook, CSV) into a system.

Each item of the file is matched to an existing item of the system by UUID, then
by POA&M ID; a match is updated through the item services, anything else is
created. New items are validated one by one with the same checks as
``items.create_item`` and then written in bulk (a FedRAMP-size file holds tens of
thousands of items), with their creation history in the same transaction.
Problems with one field of one item become warnings naming the item and field;
the rest is loaded. A dry run does the whole load and rolls it back.

Statuses obey the workflow (``domain.workflow``), as everywhere else: where the
file lacks what a status needs (evidence, an approver who is a known person of
the organization, a review date in the future), the item keeps its previous
status (Open when new) and a warning names the file, the item and the rule. A
row of a FedRAMP workbook's "Closed POA&M Items" sheet is itself the record of a
closure: the imported file (named with its SHA-256) is linked as its evidence.
Evidence links (http or https) that the file lists are attached as links.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from openpoam.domain.poam import PoamDocument, PoamItemData
from openpoam.tracker.models import Evidence, ImportRecord, Person, PoamItem, System
from openpoam.tracker.services import audit
from openpoam.tracker.services import evidence as evidence_services
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import poam_rows, setup
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder
from openpoam.tracker.services.import_result import ImportResult
from openpoam.tracker.services.poam_rows import (Source, closure_evidence, closure_record,
                                                 uuid_or_none)

COPIED = ("weakness_description", "source", "source_identifier", "source_detail",
          "original_risk", "raw_severity", "planned_remediation", "resources_required",
          "cost_estimate", "vendor_dependency", "vendor_product", "vendor_last_checkin",
          "scheduled_completion", "residual_risk", "comments", "cves",
          "operational_requirement", "deviation_rationale", "kev", "kev_due")


class _DryRun(Exception):
    pass


# New items are validated, then written CHUNK at a time: a file of 100,000 items is never
# held as 100,000 model instances.
CHUNK = 2000


def import_document(actor: Actor, system: System, document: PoamDocument, *, importer,
                    file_name: str, sha256: str, size: int, dry_run: bool,
                    warnings: list[str] | None = None):
    """Load ``document`` into the system. Its ``items`` may be a stream (read once, as the
    POA&M CSV reader gives them); ``warnings`` (the reader's) is read when they are done."""
    require(actor, system.organization, "poam.import")
    result = ImportResult(file_name=file_name, format_key=importer.key,
                          format_label=importer.label, sha256=sha256, dry_run=dry_run)
    source = Source(file_name, sha256, importer.key, f"imported from {file_name}", [])
    try:
        with transaction.atomic():
            record = ImportRecord.objects.create(
                system=system, file_name=file_name[:255], sha256=sha256, size=size,
                format=importer.key, imported_by=actor.name, imported_at=timezone.now(),
                findings=0)
            loaded, waiting = _load(actor, system, document.items, source, record, result)
            _link_dependencies(actor, waiting, loaded, source)
            record.new, record.updated = result.created, result.updated
            record.findings = result.findings
            record.save(update_fields=["new", "updated", "findings"])
            if dry_run:
                raise _DryRun
            result.record = record
            audit.record_import(actor, record)
    except _DryRun:
        pass
    result.warnings += list(warnings or []) + source.warnings
    return result


def _load(actor, system, rows, source: Source, record, result) -> tuple[dict, list]:
    """Create the new items in bulk, update the matched ones. Returns file ID -> (item pk,
    its POAM ID) and the (file ID, IDs it depends on) of items that depend on others."""
    recorder = Recorder(actor, import_record=record)
    people = _People(actor, system)
    matched = _Matcher(system)
    loaded: dict[str, tuple[int, str]] = {}
    waiting: list[tuple[str, list[str]]] = []
    builder = poam_rows.NewItems(actor, system, source, recorder, today=timezone.localdate())

    def save_new() -> None:
        for data, item in builder.save():
            loaded[data.poam_id] = (item.pk, item.poam_id)
            result.created += 1
        recorder.save(checked=builder.checked)

    for index, data in enumerate(rows, start=1):
        result.findings = index
        if data.depends_on:
            waiting.append((data.poam_id, list(data.depends_on)))
        existing = matched.find(data)
        if existing is not None:
            item = _update(actor, existing, data, people, source)
            loaded[data.poam_id] = (item.pk, item.poam_id)
            result.updated += 1
            continue
        builder.add(index, data, _fields(data, people, source, _label(index, data)))
        if len(builder.pending) >= CHUNK:
            save_new()
    save_new()
    return loaded, waiting


def _label(index: int, data: PoamItemData) -> str:
    return f"item {index} ({data.poam_id})" if data.poam_id else f"item {index}"


def _fields(data: PoamItemData, people: "_People", source: Source, label: str) -> dict:
    fields = {name: getattr(data, name) for name in COPIED}
    fields["adjusted_risk"] = data.adjusted_risk.value if data.adjusted_risk else ""
    fields["risk_adjustment_rationale"] = data.risk_adjustment_rationale
    if data.adjusted_risk and not data.risk_adjustment_rationale.strip():
        fields["risk_adjustment_rationale"] = "(no rationale given in the imported file)"
    fields["owner"] = people.get(data.owner, data.owner_email)
    # The RMF fields the file sets (a format without them leaves the item's own alone).
    fields.update(data.rmf)
    if fields["vendor_dependency"] and not fields["vendor_product"]:
        fields["vendor_product"] = "(not named in the imported file)"
        source.warn(label, "vendor dependency without a product name")
    return fields


class _Matcher:
    """The system's items by UUID and by POA&M ID, read once as keys; a matched item is
    read when it is found."""

    def __init__(self, system: System):
        self.by_uuid: dict[UUID, int] = {}
        self.by_id: dict[str, int] = {}
        for pk, uuid, poam_id in (PoamItem.objects.filter(system=system)
                                  .values_list("pk", "uuid", "poam_id").iterator(5000)):
            self.by_uuid[uuid] = pk
            self.by_id[poam_id] = pk

    def find(self, data: PoamItemData) -> PoamItem | None:
        uuid = uuid_or_none(data.uuid)
        found = self.by_uuid.get(uuid) if uuid else None
        if found is None and data.poam_id:
            found = self.by_id.get(data.poam_id.strip())
        if found is None:
            return None
        return PoamItem.objects.select_related("organization").get(pk=found)


class _People:
    """The organization's people by name; names the file brings are added once."""

    def __init__(self, actor: Actor, system: System):
        self.actor, self.organization = actor, system.organization
        self.by_name = {p.name.casefold(): p
                        for p in Person.objects.filter(organization=self.organization)}

    def get(self, name: str, email: str) -> Person | None:
        name = (name or "").strip()[:200]
        if not name:
            return None
        found = self.by_name.get(name.casefold())
        if found is None:
            found = setup.add_person(self.actor, self.organization, name, email=email or "")
            self.by_name[name.casefold()] = found
        return found


# ---------------------------------------------------------------- matched items

def _update(actor, item: PoamItem, data: PoamItemData, people: _People,
            source: Source) -> PoamItem:
    label = data.poam_id or item.poam_id
    fields = _fields(data, people, source, label)
    if fields["scheduled_completion"] is None:
        fields.pop("scheduled_completion")  # the file gives no date: keep ours
    item = item_services.update_item(actor, item, fields, justification=source.why)
    if data.controls:
        try:
            item_services.set_controls(actor, item, data.controls)
        except ServiceError as exc:
            source.warn(label, str(exc))
    _add_assets(actor, item, data)
    _add_links(actor, item, data, source)
    _update_status(actor, item, data, source, label)
    return item


def _add_assets(actor, item: PoamItem, data: PoamItemData) -> None:
    known = {(a.asset_key, a.port, a.protocol) for a in item.assets.all()}
    for asset in data.assets:
        key = ((asset.name or asset.fqdn or asset.ip).strip().lower(), asset.port,
               asset.protocol.lower())
        if key in known or not key[0]:
            continue
        known.add(key)
        item_services.add_asset(actor, item, asset)


def _add_links(actor, item: PoamItem, data: PoamItemData, source: Source) -> None:
    have = set(item.evidence.values_list("url", flat=True))
    for link in poam_rows.evidence_links(data):
        if link.url not in have:
            evidence_services.add_link(actor, item, link.url, name=link.name,
                                       description=link.description)
            have.add(link.url)
    if closure_record(source, data) and not item.evidence.filter(sha256=source.sha256).exists():
        row = Evidence.objects.create(item=item, uploaded_by=actor.name, uploader=actor.user,
                                      **closure_evidence(source))
        recorder = Recorder(actor)
        recorder.add(item, "create", entity="evidence", entity_uuid=row.uuid,
                     field_name="evidence on item", new=row.description,
                     justification=source.why)
        recorder.save()


def _update_status(actor, item: PoamItem, data: PoamItemData, source: Source,
                   label: str) -> None:
    item.refresh_from_db()
    if item.status == data.status.value:
        return
    try:
        item_services.set_status(actor, item, data.status.value,
                                 actual_completion=data.actual_completion, reason=source.why)
    except ServiceError as exc:
        source.warn(label, f"status {data.status.label} not taken, kept "
                           f"{item.status_enum.label}: {_rule(exc)}")


def _rule(exc: Exception) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith("POAM") and ": " in text else text


def _link_dependencies(actor, waiting: list[tuple[str, list[str]]], loaded: dict,
                       source: Source) -> None:
    for poam_id, depends_on in waiting:
        if poam_id not in loaded:
            continue
        item = PoamItem.objects.select_related("organization").get(pk=loaded[poam_id][0])
        targets = [loaded[p][1] if p in loaded else p for p in depends_on]
        try:
            item_services.set_dependencies(actor, item, targets)
        except ServiceError as exc:
            source.warn(poam_id, str(exc))
