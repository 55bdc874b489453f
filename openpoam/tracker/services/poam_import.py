"""Loading a POA&M written by another tool (OSCAL, FedRAMP workbook, CSV) into a system.

Each item of the file is matched to an existing item by UUID, then by POA&M ID
within the system; a match is updated, anything else is created. Everything
goes through the item services, so history is written as for any other change.
Problems with one field of one item become warnings naming the item and field;
the rest is loaded. A dry run does the whole load and rolls it back.

Statuses are taken from the file as they are: the file is another system of
record, so its Completed items need not carry evidence here. Each such status
is recorded in the history with the file named as the justification.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from openpoam.domain.poam import PoamDocument, PoamItemData, Status
from openpoam.tracker.models import ImportRecord, Person, PoamItem, System
from openpoam.tracker.services import audit
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services import setup
from openpoam.tracker.services.actors import Actor, ServiceError
from openpoam.tracker.services.history import Recorder

COPIED = ("weakness_description", "source", "source_identifier", "source_detail",
          "original_risk", "raw_severity", "planned_remediation", "resources_required",
          "cost_estimate", "vendor_dependency", "vendor_product", "vendor_last_checkin",
          "scheduled_completion", "residual_risk", "comments", "cves",
          "operational_requirement", "deviation_rationale", "kev", "kev_due")


class _DryRun(Exception):
    pass


def import_document(actor: Actor, system: System, document: PoamDocument, *, importer,
                    file_name: str, sha256: str, size: int, dry_run: bool,
                    warnings: list[str] | None = None):
    from django.utils import timezone

    from openpoam.tracker.services.imports import ImportResult

    result = ImportResult(file_name=file_name, format_key=importer.key,
                          format_label=importer.label, sha256=sha256, dry_run=dry_run,
                          findings=len(document.items))
    result.warnings += list(warnings or [])
    why = f"imported from {file_name}"
    try:
        with transaction.atomic():
            loaded = {}
            for data in document.items:
                item, created = _load_item(actor, system, data, why, result.warnings)
                loaded[data.poam_id] = item
                result.created += created
                result.updated += not created
            _link_dependencies(actor, document, loaded, result.warnings)
            if dry_run:
                raise _DryRun
            result.record = ImportRecord.objects.create(
                system=system, file_name=file_name[:255], sha256=sha256, size=size,
                format=importer.key, imported_by=actor.name, imported_at=timezone.now(),
                new=result.created, updated=result.updated, findings=len(document.items))
            audit.record_import(actor, result.record)
    except _DryRun:
        pass
    return result


def _load_item(actor, system, data: PoamItemData, why: str, warnings: list[str]):
    existing = _match(system, data)
    fields = {name: getattr(data, name) for name in COPIED}
    fields["adjusted_risk"] = data.adjusted_risk.value if data.adjusted_risk else ""
    fields["risk_adjustment_rationale"] = data.risk_adjustment_rationale
    if data.adjusted_risk and not data.risk_adjustment_rationale.strip():
        fields["risk_adjustment_rationale"] = "(no rationale given in the imported file)"
    fields["owner"] = _person(actor, system, data.owner, data.owner_email)
    if fields["vendor_dependency"] and not fields["vendor_product"]:
        fields["vendor_product"] = "(not named in the imported file)"
        warnings.append(f"{data.poam_id}: vendor dependency without a product name")
    if existing is None:
        item = _create(actor, system, data, fields, why, warnings)
        created = True
    else:
        item = existing
        if fields["scheduled_completion"] is None:
            fields.pop("scheduled_completion")  # the file gives no date: keep ours
        item_services.update_item(actor, item, fields, justification=why)
        created = False
    _controls(actor, item, data, warnings)
    _assets(actor, item, data, warnings)
    if created:
        _milestones(actor, item, data, why)
    _status(actor, item, data, why)
    return item, created


def _match(system: System, data: PoamItemData) -> PoamItem | None:
    uuid = _uuid_or_none(data.uuid)
    found = PoamItem.objects.filter(system=system, uuid=uuid).first() if uuid else None
    if found:
        return found
    if data.poam_id:
        return PoamItem.objects.filter(system=system, poam_id=data.poam_id.strip()).first()
    return None


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except (ValueError, AttributeError):
        return None


def _create(actor, system, data: PoamItemData, fields: dict, why: str, warnings) -> PoamItem:
    if data.detected_on is None:
        raise ServiceError(f"{data.poam_id or data.title}: the original detection date is "
                           "missing; it is required")
    free = data.poam_id and not PoamItem.objects.filter(
        organization=system.organization, poam_id=data.poam_id.strip()).exists()
    if data.poam_id and not free:
        warnings.append(f"{data.poam_id}: that ID is used by another system's item; "
                        "a new ID was given")
    recorder = Recorder(actor)
    item = item_services.create_item(actor, system, title=data.title or data.poam_id,
                                     detected_on=data.detected_on, recorder=recorder,
                                     poam_id=data.poam_id if free else None,
                                     uuid=_uuid_or_none(data.uuid),
                                     **{k: v for k, v in fields.items() if v is not None})
    return item


def _person(actor, system, name: str, email: str) -> Person | None:
    name = (name or "").strip()
    if not name:
        return None
    found = Person.objects.filter(organization=system.organization, name__iexact=name).first()
    return found or setup.add_person(actor, system.organization, name[:200], email=email or "")


def _controls(actor, item, data: PoamItemData, warnings) -> None:
    if not data.controls:
        return
    try:
        item_services.set_controls(actor, item, data.controls)
    except ServiceError as exc:
        warnings.append(f"{data.poam_id}: {exc}")


def _assets(actor, item, data: PoamItemData, warnings) -> None:
    known = {(a.asset_key, a.port, a.protocol) for a in item.assets.all()}
    for asset in data.assets:
        key = ((asset.name or asset.fqdn or asset.ip).strip().lower(), asset.port,
               asset.protocol.lower())
        if key in known or not key[0]:
            continue
        known.add(key)
        item_services.add_asset(actor, item, asset)


def _milestones(actor, item, data: PoamItemData, why: str) -> None:
    for m in sorted(data.milestones, key=lambda m: m.sequence):
        added = milestone_services.add_milestone(actor, item, m.description or "(no description)",
                                                 m.original_due or m.current_due)
        if m.current_due and m.current_due != added.current_due:
            reason = m.changes[-1].justification if m.changes else why
            milestone_services.reschedule_milestone(actor, added, m.current_due, reason or why)
        if m.completed_on:
            milestone_services.complete_milestone(actor, added, m.completed_on)


def _status(actor, item: PoamItem, data: PoamItemData, why: str) -> None:
    item.refresh_from_db()
    if item.status == data.status.value:
        return
    recorder = Recorder(actor)
    recorder.add(item, "update", field_name="status", old=item.status, new=data.status.value,
                 justification=why)
    values = {"status": data.status.value, "status_date": data.status_date or item.status_date,
              "version": item.version + 1}
    if data.status is Status.COMPLETED:
        values["actual_completion"] = data.actual_completion
        recorder.add(item, "update", field_name="actual_completion", new=data.actual_completion,
                     justification=why)
    PoamItem.objects.filter(pk=item.pk).update(**values)
    recorder.save()


def _link_dependencies(actor, document: PoamDocument, loaded: dict, warnings) -> None:
    for data in document.items:
        if not data.depends_on:
            continue
        item = loaded[data.poam_id]
        targets = [loaded[p].poam_id if p in loaded else p for p in data.depends_on]
        try:
            item_services.set_dependencies(actor, item, targets)
        except ServiceError as exc:
            warnings.append(f"{data.poam_id}: {exc}")
