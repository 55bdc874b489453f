"""Rows -> plain domain data, built once for every reader: exports, JSON output, reports.

``build_document`` loads a whole system's POA&M in a fixed number of queries
(prefetching), whatever the number of items.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from enum import Enum

from django.db.models import Prefetch
from django.utils import timezone

from openpoam.domain import poam as d
from openpoam.domain.workflow import is_delayed
from openpoam.tracker.models import ChangeEvent, Milestone, PoamItem, System


def items_queryset(system: System):
    return (PoamItem.objects.filter(system=system)
            .select_related("owner", "system", "organization")
            .prefetch_related("controls", "assets", "evidence", "depends_on",
                              Prefetch("milestones",
                                       queryset=Milestone.objects.select_related("owner"))))


def build_document(system: System, *, today: date | None = None, with_history: bool = True,
                   items=None) -> d.PoamDocument:
    today = today or timezone.localdate()
    rows = list(items if items is not None else items_queryset(system))
    history = _history_by_item(system) if with_history else {}
    return d.PoamDocument(
        system=system_data(system),
        items=[item_data(row, today, history.get(row.uuid, [])) for row in rows],
        generated_at=timezone.now(), uuid=str(system.uuid))


def system_data(system: System) -> d.SystemData:
    return d.SystemData(name=system.name, acronym=system.acronym,
                        organization=system.organization.name,
                        framework=d.Framework(system.framework),
                        impact_level=system.impact_level,
                        designation=d.Designation(system.designation), uuid=str(system.uuid),
                        description=system.description)


def item_data(item: PoamItem, today: date, events: list[ChangeEvent] | None = None) -> d.PoamItemData:
    milestones = [_milestone(m, events or []) for m in item.milestones.all()]
    status = d.Status(item.status)
    return d.PoamItemData(
        poam_id=item.poam_id, uuid=str(item.uuid), title=item.title,
        weakness_description=item.weakness_description, source=d.Source(item.source),
        source_identifier=item.source_identifier, source_detail=item.source_detail,
        controls=[d.ControlRef(d.Catalog(c.catalog), c.control_id) for c in item.controls.all()],
        assets=[d.AffectedAsset(name=a.name, kind=a.kind, ip=a.ip, fqdn=a.fqdn, port=a.port,
                                protocol=a.protocol, remediated_on=a.remediated_on)
                for a in item.assets.all()],
        original_risk=d.Risk(item.original_risk), raw_severity=item.raw_severity,
        adjusted_risk=d.Risk(item.adjusted_risk) if item.adjusted_risk else None,
        risk_adjustment_rationale=item.risk_adjustment_rationale,
        planned_remediation=item.planned_remediation,
        owner=item.owner.name if item.owner else "",
        owner_email=item.owner.email if item.owner else "",
        resources_required=item.resources_required, cost_estimate=item.cost_estimate,
        vendor_dependency=item.vendor_dependency, vendor_product=item.vendor_product,
        vendor_last_checkin=item.vendor_last_checkin, detected_on=item.detected_on,
        scheduled_completion=item.scheduled_completion,
        actual_completion=item.actual_completion, status=status, status_date=item.status_date,
        residual_risk=item.residual_risk,
        depends_on=sorted(dep.poam_id for dep in item.depends_on.all()),
        comments=item.comments, cves=list(item.cves or []),
        false_positive=status is d.Status.FALSE_POSITIVE,
        operational_requirement=item.operational_requirement,
        deviation_rationale=item.deviation_rationale or item.acceptance_rationale,
        kev=item.kev, kev_due=item.kev_due,
        delayed=is_delayed(status, item.scheduled_completion,
                           [m.current_due for m in milestones if not m.completed_on], today),
        milestones=milestones,
        updated_on=timezone.localtime(item.updated_at).date() if item.updated_at else None,
        evidence=[d.EvidenceData(name=e.name, uuid=str(e.uuid), url=e.url, sha256=e.sha256,
                                 size=e.size, media_type=e.media_type, uploaded_by=e.uploaded_by,
                                 uploaded_at=e.uploaded_at, description=e.description)
                  for e in item.evidence.all()],
        history=[_history_entry(e) for e in events or []])


def _milestone(m: Milestone, events: list[ChangeEvent]) -> d.MilestoneData:
    changes = [d.DueDateChange(changed_at=e.at, old_due=_date(e.old_value),
                               new_due=_date(e.new_value), justification=e.justification,
                               actor=e.actor_name)
               for e in events if e.entity_uuid == m.uuid and e.field.endswith(" due")]
    return d.MilestoneData(sequence=m.sequence, description=m.description,
                           original_due=m.original_due, current_due=m.current_due,
                           completed_on=m.completed_on, owner=m.owner.name if m.owner else "",
                           uuid=str(m.uuid), changes=changes,
                           not_needed_reason=m.not_needed_reason)


def _history_entry(e: ChangeEvent) -> d.HistoryEntry:
    return d.HistoryEntry(at=e.at, actor=e.actor_name, action=e.action, entity=e.entity,
                          field=e.field, old=e.old_value, new=e.new_value,
                          justification=e.justification)


def _history_by_item(system: System) -> dict:
    grouped: dict = {}
    for event in ChangeEvent.objects.filter(system=system).order_by("at", "id").iterator(2000):
        grouped.setdefault(event.item_uuid, []).append(event)
    return grouped


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def to_jsonable(value):
    """Dataclasses and enums -> JSON-ready dicts (for --json and the API)."""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value
