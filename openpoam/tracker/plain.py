"""A whole system's items as plain domain data for the rules that read them all (the
quality checks), fast at 100,000 items.

``documents.build_document`` makes every row a model instance and prefetches through
the ORM: right for exports, which need everything, but about a millisecond an item.
Here a handful of ``values_list`` queries fill only what the checks read: the item's
fields, milestones with their date moves, evidence names and dependencies. Assets,
controls and the rest of the history are left empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from openpoam.domain import poam as d
from openpoam.domain.workflow import is_delayed
from openpoam.tracker.documents import _date
from openpoam.tracker.models import ChangeEvent, Evidence, ItemDependency, Milestone, PoamItem

FIELDS = ("pk", "poam_id", "uuid", "title", "source", "original_risk", "adjusted_risk",
          "risk_adjustment_rationale", "planned_remediation", "owner__name", "owner__email",
          "vendor_dependency", "vendor_product", "vendor_last_checkin", "detected_on",
          "scheduled_completion", "actual_completion", "status", "status_date",
          "operational_requirement", "deviation_rationale", "acceptance_rationale", "kev",
          "kev_due")
BATCH = 5000


def items_for_checks(system, today: date) -> Iterator[d.PoamItemData]:
    milestones = _milestones(system)
    evidence = _evidence(system)
    depends = _dependencies(system)
    rows = PoamItem.objects.filter(system=system).order_by("poam_id").values_list(*FIELDS)
    for row in rows.iterator(BATCH):
        values = dict(zip(FIELDS, row))
        pk = values["pk"]
        yield _item(values, milestones.get(pk, []), evidence.get(pk, []),
                    depends.get(pk, []), today)


def _item(v: dict, milestones: list[d.MilestoneData], evidence: list[d.EvidenceData],
          depends_on: list[str], today: date) -> d.PoamItemData:
    status = d.Status(v["status"])
    return d.PoamItemData(
        poam_id=v["poam_id"], uuid=str(v["uuid"]), title=v["title"], source=d.Source(v["source"]),
        original_risk=d.Risk(v["original_risk"]),
        adjusted_risk=d.Risk(v["adjusted_risk"]) if v["adjusted_risk"] else None,
        risk_adjustment_rationale=v["risk_adjustment_rationale"],
        planned_remediation=v["planned_remediation"], owner=v["owner__name"] or "",
        owner_email=v["owner__email"] or "", vendor_dependency=v["vendor_dependency"],
        vendor_product=v["vendor_product"], vendor_last_checkin=v["vendor_last_checkin"],
        detected_on=v["detected_on"], scheduled_completion=v["scheduled_completion"],
        actual_completion=v["actual_completion"], status=status, status_date=v["status_date"],
        depends_on=depends_on, false_positive=status is d.Status.FALSE_POSITIVE,
        operational_requirement=v["operational_requirement"],
        deviation_rationale=v["deviation_rationale"] or v["acceptance_rationale"],
        kev=v["kev"], kev_due=v["kev_due"],
        delayed=is_delayed(status, v["scheduled_completion"],
                           [m.current_due for m in milestones if not m.completed_on], today),
        milestones=milestones, evidence=evidence)


def _milestones(system) -> dict[int, list[d.MilestoneData]]:
    moves: dict[str, list[d.DueDateChange]] = defaultdict(list)
    events = (ChangeEvent.objects.filter(system=system, entity="milestone",
                                         field__endswith=" due").order_by("at", "id")
              .values_list("entity_uuid", "at", "old_value", "new_value", "justification",
                           "actor_name"))
    for uuid, at, old, new, why, actor in events.iterator(BATCH):
        moves[str(uuid)].append(d.DueDateChange(changed_at=at, old_due=_date(old),
                                                new_due=_date(new), justification=why,
                                                actor=actor))
    result: dict[int, list[d.MilestoneData]] = defaultdict(list)
    rows = (Milestone.objects.filter(item__system=system).order_by("item_id", "sequence")
            .values_list("item_id", "sequence", "description", "original_due", "current_due",
                         "completed_on", "owner__name", "uuid"))
    for item_id, seq, text, original, current, done, owner, uuid in rows.iterator(BATCH):
        result[item_id].append(d.MilestoneData(
            sequence=seq, description=text, original_due=original, current_due=current,
            completed_on=done, owner=owner or "", uuid=str(uuid), changes=moves[str(uuid)]))
    return result


def _evidence(system) -> dict[int, list[d.EvidenceData]]:
    result: dict[int, list[d.EvidenceData]] = defaultdict(list)
    rows = Evidence.objects.filter(item__system=system).values_list("item_id", "name", "uuid")
    for item_id, name, uuid in rows.iterator(BATCH):
        result[item_id].append(d.EvidenceData(name=name, uuid=str(uuid)))
    return result


def _dependencies(system) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    rows = (ItemDependency.objects.filter(item__system=system)
            .values_list("item_id", "depends_on__poam_id"))
    for item_id, target in rows.iterator(BATCH):
        result[item_id].append(target)
    return {key: sorted(value) for key, value in result.items()}
