"""Rows -> plain domain data, built once for every reader: exports, JSON output, reports.

``build_document`` loads a whole system's POA&M in a fixed number of queries, one
per table, as plain values, whatever the number of items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import Enum

from django.db.models import Prefetch
from django.utils import timezone

from openpoam.domain import poam as d
from openpoam.domain.rmf import RMF_NAMES
from openpoam.domain.workflow import is_delayed
from openpoam.tracker.models import (AffectedAsset, ChangeEvent, ControlReference, Evidence,
                                     ItemDependency, Milestone, PoamItem, System)


def items_queryset(system: System):
    return (PoamItem.objects.filter(system=system)
            .select_related("owner", "system", "organization", "approver")
            .prefetch_related("controls", "assets", "evidence", "depends_on",
                              Prefetch("milestones",
                                       queryset=Milestone.objects.select_related("owner"))))


EMASS_SYSTEM = ("component", "registration", "system_type", "omb_project_id", "security_costs",
                "poc_name", "poc_phone", "poc_email")
MOVES = "moves"  # with_history=MOVES: only why milestone dates moved (what the checks read)


def build_document(system: System, *, today: date | None = None,
                   with_history: bool | str = True, items=None) -> d.PoamDocument:
    """The system's POA&M as plain data. Without ``items`` the whole system is read as
    plain values, one query per table (no model instances: an export of 10,000 items
    reads some 100,000 rows); with ``items`` (a filtered queryset) those rows are used.
    ``with_history``: True for the whole history, MOVES for milestone date moves only
    (the quality checks, metrics and reports: fast at 100,000 items), False for none."""
    today = today or timezone.localdate()
    if items is None:
        built = _bulk_items(system, today, with_history)
    else:
        history = _history_by_item(system) if with_history else {}
        built = [item_data(row, today, history.get(row.uuid, [])) for row in items]
    return d.PoamDocument(system=system_data(system), items=built,
                          generated_at=timezone.now(), uuid=str(system.uuid))


def stream_document(system: System, *, today: date | None = None,
                    with_history: bool | str = True) -> d.PoamDocument:
    """The same POA&M with ``items`` read in chunks as it is iterated (``ChunkedItems``):
    for readers that go through the items in order, as the exports do, in memory that
    does not grow with the POA&M."""
    today = today or timezone.localdate()
    return d.PoamDocument(system=system_data(system),
                          items=ChunkedItems(system, today=today, with_history=with_history),
                          generated_at=timezone.now(), uuid=str(system.uuid))


def system_data(system: System) -> d.SystemData:
    return d.SystemData(name=system.name, acronym=system.acronym,
                        organization=system.organization.name,
                        framework=d.Framework(system.framework),
                        impact_level=system.impact_level,
                        designation=d.Designation(system.designation), uuid=str(system.uuid),
                        description=system.description, emass_branch=system.emass_branch,
                        emass={name: getattr(system, f"emass_{name}") for name in EMASS_SYSTEM})


def item_data(item: PoamItem, today: date, events: list[ChangeEvent] | None = None) -> d.PoamItemData:
    """One item (model row, prefetched as ``items_queryset`` does) as plain data."""
    values = row_values(item)
    history = [event_values(e) for e in events or []]
    parts = Parts(
        controls=[(c.catalog, c.control_id) for c in item.controls.all()],
        assets=[tuple(getattr(a, n) for n in ASSET_FIELDS) for a in item.assets.all()],
        milestones=[(*(getattr(m, n) for n in _MILESTONE_FIELDS[:-1]),
                     m.owner.name if m.owner else "") for m in item.milestones.all()],
        evidence=[tuple(getattr(e, n) for n in EVIDENCE_FIELDS) for e in item.evidence.all()],
        depends_on=[dep.poam_id for dep in item.depends_on.all()], history=history)
    return item_from_values(values, parts, today)


def page_items(rows: list[PoamItem], today: date) -> list[d.PoamItemData]:
    """A list page's rows (owner and approver selected, nothing prefetched) as plain data,
    their assets left out (lists count them). What hangs off them is read as exports read
    it, one query per table: prefetching built a queryset per row and relation, most of
    a page's CPU."""
    parts = _parts([row.pk for row in rows], assets=False)
    zone = timezone.get_current_timezone()
    return [item_from_values(row_values(row), parts.get(row.pk) or Parts(), today, zone) for row in rows]


def stored_item(item: PoamItem, today: date, events: list[ChangeEvent]) -> d.PoamItemData:
    """One item (owner and approver selected, nothing prefetched) as ``item_data`` makes it,
    what hangs off it read as ``page_items`` reads it."""
    parts = _parts([item.pk]).get(item.pk) or Parts()
    parts.history = [event_values(e) for e in events]
    return item_from_values(row_values(item), parts, today)


def row_values(item: PoamItem) -> dict:
    """An item row's own columns and its owner's and approver's names, by column name."""
    values = {name: getattr(item, name) for name in ITEM_FIELDS}
    values["owner_name"] = item.owner.name if item.owner else ""
    values["owner_email"] = item.owner.email if item.owner else ""
    values["approver_name"] = item.approver.name if item.approver else ""
    return values


# Columns read for each table; the tuples below are built in this order.
ITEM_FIELDS = (
    "poam_id", "uuid", "title", "weakness_description", "source", "source_identifier",
    "source_detail", "original_risk", "raw_severity", "adjusted_risk",
    "risk_adjustment_rationale", "planned_remediation", "resources_required", "cost_estimate",
    "vendor_dependency", "vendor_product", "vendor_last_checkin", "detected_on",
    "scheduled_completion", "actual_completion", "status", "status_date", "residual_risk",
    "comments", "cves", "operational_requirement", "deviation_rationale",
    "acceptance_rationale", "review_date", "kev", "kev_due", "updated_at", *RMF_NAMES)
ASSET_FIELDS = ("name", "kind", "ip", "fqdn", "port", "protocol", "remediated_on")
_MILESTONE_FIELDS = ("sequence", "description", "original_due", "current_due", "completed_on",
                     "uuid", "not_needed_reason", "owner__name")
EVIDENCE_FIELDS = ("name", "uuid", "url", "sha256", "size", "media_type", "uploaded_by",
                    "uploaded_at", "description")
_EVENT_FIELDS = ("entity_uuid", "at", "actor_name", "action", "entity", "field", "old_value",
                 "new_value", "justification")


@dataclass
class Parts:
    """What hangs off one item, as plain tuples in the column orders above."""

    controls: list = field(default_factory=list)
    assets: list = field(default_factory=list)
    milestones: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    depends_on: list = field(default_factory=list)
    history: list = field(default_factory=list)


def _bulk_items(system: System, today: date, with_history: bool) -> list[d.PoamItemData]:
    return list(ChunkedItems(system, today=today, with_history=with_history))


# Items read per chunk: each chunk is one query per table, so 100,000 items are some 600
# queries, and no more than this many items (and their rows) are alive at once.
CHUNK = 1000


class ChunkedItems:
    """A system's items as plain data, read ``CHUNK`` items at a time in POAM ID order
    (keyset on the system's unique POAM IDs): an export of 100,000 items holds one chunk,
    not the POA&M. Iterable more than once (each pass reads the tracker again); ``len``
    and truth are one query."""

    def __init__(self, system: System, *, today: date, with_history: bool | str = True,
                 chunk: int | None = None, ids=None, assets: bool = True):
        self.system, self.today, self.with_history = system, today, with_history
        self.chunk = chunk or CHUNK
        self.ids = ids  # only these items (pks), when given
        # Readers that never look at affected assets (the checks) leave them out: a scan's
        # items can carry hundreds of thousands of them.
        self.assets = assets

    def __iter__(self) -> Iterator[d.PoamItemData]:
        last = None
        while True:
            rows = (PoamItem.objects.filter(system=self.system).order_by("poam_id")
                    .values_list("id", *ITEM_FIELDS, "owner__name", "owner__email",
                                 "approver__name"))
            if self.ids is not None:
                rows = rows.filter(id__in=self.ids)
            if last is not None:
                rows = rows.filter(poam_id__gt=last)
            rows = list(rows[:self.chunk])
            if not rows:
                return
            yield from self._chunk(rows)
            if len(rows) < self.chunk:
                return
            last = rows[-1][1]

    def __len__(self) -> int:
        return PoamItem.objects.filter(system=self.system).count()

    def __bool__(self) -> bool:
        return PoamItem.objects.filter(system=self.system).exists()

    def _chunk(self, rows: list) -> Iterator[d.PoamItemData]:
        ids = [row[0] for row in rows]
        parts = _parts(ids, assets=self.assets)
        history = (_history_values(self.system, moves_only=self.with_history == MOVES,
                                   uuids=[row[2] for row in rows])
                   if self.with_history else {})
        names = (*ITEM_FIELDS, "owner_name", "owner_email", "approver_name")
        zone = timezone.get_current_timezone()  # once, not per item (a thread-local lookup)
        for item_id, *rest in rows:
            values = dict(zip(names, rest))
            item_parts = parts.pop(item_id, None) or Parts()
            item_parts.history = history.get(values["uuid"], [])
            yield item_from_values(values, item_parts, self.today, zone)


def _parts(ids: list[int], *, assets: bool = True) -> dict[int, Parts]:
    """What hangs off the items ``ids``, one query per table (their assets unless not)."""
    parts: dict[int, Parts] = defaultdict(Parts)
    of_items = {"item_id__in": ids}
    for item_id, *rest in (ControlReference.objects.filter(**of_items)
                           .order_by("item_id", "catalog", "control_id")
                           .values_list("item_id", "catalog", "control_id")):
        parts[item_id].controls.append(rest)
    for item_id, *rest in (AffectedAsset.objects.filter(**of_items)
                           .order_by("item_id", "asset_key", "port")
                           .values_list("item_id", *ASSET_FIELDS) if assets else ()):
        parts[item_id].assets.append(rest)
    for item_id, *rest in (Milestone.objects.filter(**of_items).order_by("item_id", "sequence")
                           .values_list("item_id", *_MILESTONE_FIELDS)):
        parts[item_id].milestones.append(rest)
    for item_id, *rest in (Evidence.objects.filter(**of_items)
                           .order_by("item_id", "uploaded_at", "id")
                           .values_list("item_id", *EVIDENCE_FIELDS)):
        parts[item_id].evidence.append(rest)
    for item_id, target in (ItemDependency.objects.filter(**of_items)
                            .values_list("item_id", "depends_on__poam_id")):
        parts[item_id].depends_on.append(target)
    return parts


def _history_values(system: System, *, moves_only: bool = False, uuids=None) -> dict:
    grouped: dict = defaultdict(list)
    events = ChangeEvent.objects.filter(system=system)
    if uuids is not None:
        events = events.filter(item_uuid__in=uuids)
    if moves_only:
        events = milestone_moves(events)
    events = (events.order_by("at", "id")
              .values_list("item_uuid", *_EVENT_FIELDS))
    for item_uuid, *rest in events.iterator(5000):
        grouped[item_uuid].append(rest)
    return grouped


def milestone_moves(events):
    """Of ``events``, the milestone date changes: the part of the history an item's
    milestones show (and the checks read)."""
    return events.filter(entity="milestone", field__endswith=" due")


def is_milestone_move(event: ChangeEvent) -> bool:
    """``milestone_moves`` for one event not yet saved."""
    return event.entity == "milestone" and event.field.endswith(" due")


def event_values(event: ChangeEvent) -> list:
    """An event's columns as ``ChunkedItems`` reads them."""
    return [getattr(event, name) for name in _EVENT_FIELDS]


def item_from_values(v: dict, parts: Parts, today: date, zone=None) -> d.PoamItemData:
    status = d.Status(v["status"])
    changes = _due_changes(parts.history)
    milestones = [_milestone(m, changes) for m in parts.milestones]
    return d.PoamItemData(
        poam_id=v["poam_id"], uuid=str(v["uuid"]), title=v["title"],
        weakness_description=v["weakness_description"], source=d.Source(v["source"]),
        source_identifier=v["source_identifier"], source_detail=v["source_detail"],
        controls=[d.ControlRef(d.Catalog(catalog), control) for catalog, control in parts.controls],
        assets=[d.AffectedAsset(*asset) for asset in parts.assets],
        original_risk=d.Risk(v["original_risk"]), raw_severity=v["raw_severity"],
        adjusted_risk=d.Risk(v["adjusted_risk"]) if v["adjusted_risk"] else None,
        risk_adjustment_rationale=v["risk_adjustment_rationale"],
        planned_remediation=v["planned_remediation"],
        owner=v["owner_name"] or "", owner_email=v["owner_email"] or "",
        resources_required=v["resources_required"], cost_estimate=v["cost_estimate"],
        vendor_dependency=v["vendor_dependency"], vendor_product=v["vendor_product"],
        vendor_last_checkin=v["vendor_last_checkin"], detected_on=v["detected_on"],
        scheduled_completion=v["scheduled_completion"],
        actual_completion=v["actual_completion"], status=status, status_date=v["status_date"],
        residual_risk=v["residual_risk"], depends_on=sorted(parts.depends_on),
        comments=v["comments"], cves=list(v["cves"] or []),
        false_positive=status is d.Status.FALSE_POSITIVE,
        operational_requirement=v["operational_requirement"],
        deviation_rationale=v["deviation_rationale"] or v["acceptance_rationale"],
        approver=v["approver_name"] or "", review_date=v["review_date"],
        kev=v["kev"], kev_due=v["kev_due"],
        delayed=is_delayed(status, v["scheduled_completion"],
                           [m.current_due for m in milestones if not m.completed_on], today),
        milestones=milestones,
        updated_on=timezone.localtime(v["updated_at"], zone).date() if v["updated_at"] else None,
        evidence=[_evidence(e) for e in parts.evidence],
        history=[_history_entry(e) for e in parts.history],
        rmf={name: v[name] for name in RMF_NAMES if v[name] not in ("", None, False)})


def _due_changes(history: list) -> dict:
    """Due-date changes of milestones, by milestone UUID (history fields "milestone N due")."""
    changes: dict = defaultdict(list)
    for entity_uuid, at, actor, _action, _entity, name, old, new, why in history:
        if name.endswith(" due"):
            changes[entity_uuid].append(d.DueDateChange(
                changed_at=at, old_due=_date(old), new_due=_date(new), justification=why,
                actor=actor))
    return changes


def _milestone(m: tuple, changes: dict) -> d.MilestoneData:
    sequence, description, original, current, completed, uuid, not_needed, owner = m
    return d.MilestoneData(sequence=sequence, description=description, original_due=original,
                           current_due=current, completed_on=completed, owner=owner or "",
                           uuid=str(uuid), changes=changes.get(uuid, []),
                           not_needed_reason=not_needed)


def _evidence(e: tuple) -> d.EvidenceData:
    name, uuid, url, sha256, size, media_type, uploaded_by, uploaded_at, description = e
    return d.EvidenceData(name=name, uuid=str(uuid), url=url, sha256=sha256, size=size,
                          media_type=media_type, uploaded_by=uploaded_by,
                          uploaded_at=uploaded_at, description=description)


def _history_entry(e: list) -> d.HistoryEntry:
    _entity_uuid, at, actor, action, entity, name, old, new, why = e
    return d.HistoryEntry(at=at, actor=actor, action=action, entity=entity, field=name, old=old,
                          new=new, justification=why)


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
