"""Creating, changing, closing and deleting POA&M items."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from openpoam.domain import workflow
from openpoam.domain.dates import DateError, check_not_future
from openpoam.domain.controls import ControlIdError, parse_for_system
from openpoam.domain.dependencies import find_cycle
from openpoam.domain.poam import AffectedAsset as AssetData
from openpoam.domain.poam import ControlRef, Framework, Risk, Source, Status
from openpoam.domain.rmf import RATING, RMF_FIELDS, Rating
from openpoam.tracker.models import (AffectedAsset, ControlReference, ItemDependency, Person,
                                     PoamIdCounter, PoamItem, System)
from openpoam.tracker.services import comments, notify
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.fields import (ITEM_FIELDS, JUSTIFIED_DATES, PERSON, TEXT_LIMITS,
                                              check_text_limits)
from openpoam.tracker.services.history import Recorder, uuids_in_use


# The permission table's action for changing an item (accounts/permissions.py).
EDIT = "poam.edit"
_OWN_ID = re.compile(r"^POAM-(\d{4})-(\d+)$")


class StaleVersion(ServiceError):
    """The item changed since the caller read it; ``current`` is the item as it is now."""

    def __init__(self, message: str, current: PoamItem) -> None:
        super().__init__(message)
        self.current = current


def next_poam_id(organization, year: int) -> str:
    """POAM-<year>-<seq>, unique in the organization and never reused, even after deletion."""
    counter, _ = PoamIdCounter.objects.select_for_update(no_key=True).get_or_create(
        organization=organization, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"POAM-{year}-{counter.last:04d}"


def claim_poam_id(organization, poam_id: str) -> str:
    """Use a given ID (an import's own); our counter skips past it so it is never handed out."""
    poam_id = poam_id.strip()[:30]
    if PoamItem.objects.filter(organization=organization, poam_id=poam_id).exists():
        raise ServiceError(f"POA&M ID {poam_id} is already used in {organization.slug}")
    advance_counters(organization, [poam_id])
    return poam_id


def advance_counters(organization, poam_ids: Iterable[str]) -> None:
    """Move each year's counter past the given IDs of our own form (imports keep theirs)."""
    highest: dict[int, int] = {}
    for poam_id in poam_ids:
        match = _OWN_ID.match(poam_id or "")
        if match:
            year = int(match.group(1))
            highest[year] = max(highest.get(year, 0), int(match.group(2)))
    for year, last in highest.items():
        counter, _ = PoamIdCounter.objects.select_for_update(no_key=True).get_or_create(
            organization=organization, year=year)
        if counter.last < last:
            counter.last = last
            counter.save(update_fields=["last"])


def reserve_poam_ids(organization, year: int, count: int) -> list[str]:
    """Reserve a block of IDs in one statement (bulk imports)."""
    counter, _ = PoamIdCounter.objects.select_for_update(no_key=True).get_or_create(
        organization=organization, year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"POAM-{year}-{n:04d}" for n in range(first, first + count)]


def lock(item: PoamItem) -> PoamItem:
    """Re-read the item under a row lock, inside the caller's transaction.

    Every row lock in the services is FOR NO KEY UPDATE (``no_key``): it still keeps two
    editors apart, but lets another transaction insert a row that refers to this one (its
    foreign key check takes KEY SHARE). A plain FOR UPDATE there deadlocks an edit against an
    evidence upload once both also wait for the organization's history chain head."""
    return PoamItem.objects.select_for_update(no_key=True).get(pk=item.pk)


@transaction.atomic
def create_item(actor: Actor, system: System, *, title: str, detected_on: date,
                controls: Iterable[str | ControlRef] = (), assets: Iterable[AssetData] = (),
                depends_on: Iterable[str] = (), recorder: Recorder | None = None,
                poam_id: str | None = None, uuid: UUID | None = None, **fields) -> PoamItem:
    """Create an item, with its controls, assets and dependencies, in one transaction.
    ``poam_id`` and ``uuid`` keep an imported file's identifiers; the ID only when it is
    free in the organization, the UUID only when it is unused."""
    require(actor, system.organization, EDIT)
    if not (title or "").strip():
        raise ServiceError("title: a POA&M item needs a title")
    if detected_on is None:
        raise ServiceError("detected_on: the original detection date is required")
    try:
        check_not_future(detected_on, timezone.localdate(), "the detection date")
    except DateError as exc:
        raise ServiceError(f"detected_on: {exc}") from None
    _check_field_names(fields)
    item = PoamItem(organization=system.organization, system=system, title=(title or "").strip(),
                    detected_on=detected_on, status=Status.OPEN,
                    status_date=timezone.localdate(), **clean_fields(fields))
    if uuid is not None and not uuids_in_use([uuid], system.organization):
        item.uuid = uuid  # before any history is written: events carry the item's UUID
    check_values(item)
    item.poam_id = (claim_poam_id(system.organization, poam_id) if poam_id
                    else next_poam_id(system.organization, detected_on.year))
    item.save()
    recorder = recorder or Recorder(actor)
    recorder.add(item, "create", new=item.title)
    for name in ("source", "original_risk", "owner", "planned_remediation", "scheduled_completion"):
        if getattr(item, name):
            recorder.add(item, "create", field_name=name, new=getattr(item, name))
    _replace_controls(item, controls, recorder)
    for asset in assets:
        _add_asset(item, asset, recorder)
    depends_on = [p for p in depends_on if p.strip()]
    if depends_on:
        _replace_dependencies(item, depends_on, recorder)
    recorder.save()
    if item.owner_id:
        notify.item_assigned_later(item, actor.user)
    return item


@transaction.atomic
def update_item(actor: Actor, item: PoamItem, changes: dict, *, justification: str = "",
                expected_version: int | None = None) -> PoamItem:
    """Change plain fields. Dates in JUSTIFIED_DATES need a justification to move."""
    return edit_item(actor, item, changes, justification=justification,
                     expected_version=expected_version)


@transaction.atomic
def edit_item(actor: Actor, item: PoamItem, changes: dict, *,
              controls: Iterable[str | ControlRef] | None = None,
              depends_on: Iterable[str] | None = None, justification: str = "",
              expected_version: int | None = None) -> PoamItem:
    """One edit of an item, as every interface makes it: its fields, and (when given) its
    controls and dependencies, under one lock, checked against the version the editor read,
    validated once, and one version step when anything changed, so that two people editing
    any part of the item at once are told."""
    require(actor, item.organization, EDIT)
    item = lock(item)
    check_version(item, expected_version)
    recorder = Recorder(actor)
    apply_edit(item, changes, recorder, controls=controls, depends_on=depends_on,
               justification=justification)
    if not recorder.events:
        return item
    check_values(item)
    item.version += 1
    item.save()
    owner_changed = owner_was_changed(recorder)
    recorder.save()  # empties recorder.events
    if owner_changed:
        notify.item_assigned_later(item, actor.user)
    return item


def owner_was_changed(recorder: Recorder) -> bool:
    """Whether the recorded edit gives the item a new owner (who is then told)."""
    return any(e.entity == "item" and e.field == "owner" for e in recorder.events)


def apply_edit(item: PoamItem, changes: dict, recorder: Recorder, *,
               controls: Iterable[str | ControlRef] | None = None,
               depends_on: Iterable[str] | None = None, justification: str = "") -> None:
    """The edit on an item the caller has locked and may edit: fields set, events added to
    ``recorder``; the caller checks the values, raises the version and saves."""
    _check_field_names(changes)
    for name, value in clean_fields(changes).items():
        old = getattr(item, name)
        if old == value:
            continue
        if name == "detected_on":
            raise ServiceError("detected_on: the original detection date never changes")
        if name in JUSTIFIED_DATES and old is not None:
            _reschedule_rule(old, value, justification)
        setattr(item, name, value)
        recorder.add(item, "update", field_name=name, old=old, new=value,
                     justification=justification)
    if controls is not None:
        _replace_controls(item, controls, recorder)
    if depends_on is not None:
        _replace_dependencies(item, depends_on, recorder)


@transaction.atomic
def set_status(actor: Actor, item: PoamItem, wanted: str, *, actual_completion: date | None = None,
               approver: Person | str | None = None, rationale: str = "",
               review_date: date | None = None, reason: str = "",
               today: date | None = None, requested_by: str = "",
               expected_version: int | None = None) -> PoamItem:
    """Move an item to ``wanted`` if the workflow allows it. The approver (risk acceptance,
    false positive) is a Person of the organization, or the name of one. ``requested_by``:
    who asked, when an approver applies someone else's request."""
    require(actor, item.organization, EDIT)
    item = lock(item)
    check_version(item, expected_version)
    recorder = Recorder(actor)
    apply_status(actor, item, wanted, recorder, actual_completion=actual_completion,
                 approver=approver, rationale=rationale, review_date=review_date,
                 reason=reason, today=today, requested_by=requested_by)
    item.version += 1
    item.save()
    recorder.save()
    return item


def apply_status(actor: Actor, item: PoamItem, wanted: str, recorder: Recorder, *,
                 actual_completion: date | None = None, approver: Person | str | None = None,
                 rationale: str = "", review_date: date | None = None, reason: str = "",
                 today: date | None = None, requested_by: str = "") -> None:
    """The workflow move on an item the caller has locked and may edit; events go to
    ``recorder``, the caller raises the version and saves."""
    try:
        wanted_status = Status(wanted)
    except ValueError:
        raise ServiceError(f"status: {wanted!r} is not one of "
                           f"{', '.join(s.value for s in Status)}") from None
    today = today or timezone.localdate()
    approving = wanted_status in (Status.RISK_ACCEPTED, Status.FALSE_POSITIVE)
    person = approver_named(item.organization, approver) if approving else None
    request = workflow.TransitionRequest(
        current=item.status_enum, wanted=wanted_status,
        requested_by=requested_by or actor.name,
        actual_completion=actual_completion, evidence_count=item.evidence.count(),
        approver=person.name if person else "", rationale=rationale, review_date=review_date,
        reason=reason, today=today,
        # Applying someone else's request (requested_by), the actor is the approver; the
        # request service has already checked that the two are different people.
        approver_is_requester=bool(person and not requested_by and actor.user
                                   and person.user_id == actor.user.pk),
        open_milestones=open_milestones(item) if wanted_status is Status.COMPLETED else ())
    try:
        workflow.check_transition(request)
    except workflow.TransitionError as exc:
        raise ServiceError(f"{item.poam_id}: {exc}") from None
    changes = {"status": wanted_status.value, "status_date": today,
               "closure_proposed": False}
    if wanted_status is Status.COMPLETED:
        changes["actual_completion"] = actual_completion
    if wanted_status in (Status.RISK_ACCEPTED, Status.FALSE_POSITIVE):
        changes.update(approver=person, acceptance_rationale=rationale.strip(),
                       review_date=review_date)
    if wanted_status is Status.REOPENED:
        changes["actual_completion"] = None
    why = reason or rationale
    for name, value in changes.items():
        old = getattr(item, name)
        if old != value:
            setattr(item, name, value)
            recorder.add(item, "update", field_name=name, old=old, new=value, justification=why)


@transaction.atomic
def vendor_checkin(actor: Actor, item: PoamItem, checked_on: date | None,
                   note: str = "") -> PoamItem:
    """Record a check-in with the vendor an item waits for: the date, and what was said as
    a comment; both or neither."""
    item = edit_item(actor, item, {"vendor_last_checkin": checked_on})
    if note.strip():
        comments.add_comment(actor, item, f"Vendor check-in: {note.strip()}")
    return item


def open_milestones(item: PoamItem) -> tuple[int, ...]:
    """Sequence numbers of the item's milestones neither completed nor closed as not needed."""
    return tuple(item.milestones.filter(completed_on__isnull=True)
                 .values_list("sequence", flat=True))


def approver_named(organization, approver: Person | str | None) -> Person | None:
    """The approving Person: given, or looked up by name (case-insensitive) in the
    organization; an unknown name is refused with the organization's people named."""
    if isinstance(approver, Person):
        if approver.organization_id != organization.pk:
            raise ServiceError("approver: that person belongs to another organization")
        return approver
    name = (approver or "").strip()
    if not name:
        return None
    found = Person.objects.filter(organization=organization, name__iexact=name).first()
    if found is None:
        people = list(Person.objects.filter(organization=organization)
                      .order_by("name").values_list("name", flat=True)[:25])
        known = ", ".join(people) if people else "nobody yet (add people with 'person add')"
        raise ServiceError(f"approver: nobody named {name!r} in {organization.slug}; "
                           f"the approver must be one of its people: {known}")
    return found


def set_controls(actor: Actor, item: PoamItem, controls: Iterable[str | ControlRef], *,
                 expected_version: int | None = None) -> PoamItem:
    return edit_item(actor, item, {}, controls=controls, expected_version=expected_version)


@transaction.atomic
def add_asset(actor: Actor, item: PoamItem, asset: AssetData) -> AffectedAsset:
    require(actor, item.organization, EDIT)
    recorder = Recorder(actor)
    row = _add_asset(lock(item), asset, recorder)
    recorder.save()
    return row


def set_dependencies(actor: Actor, item: PoamItem, poam_ids: Iterable[str], *,
                     expected_version: int | None = None) -> PoamItem:
    """Replace what this item depends on; a cycle is refused with the cycle named."""
    return edit_item(actor, item, {}, depends_on=poam_ids, expected_version=expected_version)


def _replace_dependencies(item: PoamItem, poam_ids: Iterable[str], recorder: Recorder) -> None:
    wanted = {p.strip().upper() for p in poam_ids if p.strip()}
    targets = {t.poam_id: t for t in PoamItem.objects.filter(organization=item.organization,
                                                             poam_id__in=wanted)}
    unknown = wanted - set(targets)
    if unknown:
        raise ServiceError(f"depends_on: no item {', '.join(sorted(unknown))} "
                           f"in {item.organization.slug}")
    graph = _dependency_graph(item.organization)
    graph.pop(item.poam_id, None)
    edges = {item.poam_id: sorted(wanted), **graph}  # start the search at the changed item
    cycle = find_cycle(edges)
    if cycle:
        raise ServiceError("depends_on: that would make a cycle: " + " → ".join(cycle))
    old = sorted(d.poam_id for d in item.depends_on.all())
    if old == sorted(wanted):
        return
    ItemDependency.objects.filter(item=item).delete()
    ItemDependency.objects.bulk_create(ItemDependency(item=item, depends_on=t)
                                       for t in targets.values())
    recorder.add(item, "update", field_name="depends_on", old=old, new=sorted(wanted))


@transaction.atomic
def delete_item(actor: Actor, item: PoamItem, justification: str) -> None:
    """Delete an item; its history stays, and its POA&M ID is never handed out again."""
    require(actor, item.organization, "item.delete")
    if not justification.strip():
        raise ServiceError(f"{item.poam_id}: deleting an item requires a justification")
    item = lock(item)
    recorder = Recorder(actor)
    recorder.add(item, "delete", old=item.title, justification=justification)
    recorder.save()
    item.delete()


def check_version(item: PoamItem, expected_version: int | None) -> None:
    """Optimistic concurrency: refuse a change made from a stale copy of a locked item."""
    if expected_version is not None and expected_version != item.version:
        raise StaleVersion(f"{item.poam_id} was changed by someone else since you opened it "
                           f"(version {expected_version}, now {item.version}); reload and retry",
                           item)


def _dependency_graph(organization) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {}
    rows = ItemDependency.objects.filter(item__organization=organization).values_list(
        "item__poam_id", "depends_on__poam_id")
    for source, target in rows:
        edges.setdefault(source, []).append(target)
    return edges


def _replace_controls(item: PoamItem, controls, recorder: Recorder) -> None:
    refs = []
    for control in controls:
        try:
            refs.append(control if isinstance(control, ControlRef)
                        else parse_for_system(str(control), Framework(item.system.framework)))
        except ControlIdError as exc:
            raise ServiceError(f"controls: {exc}") from None
    old = sorted(str(c) for c in item.controls.all())
    ControlReference.objects.filter(item=item).delete()
    unique = {(r.catalog.value, r.control_id) for r in refs}
    ControlReference.objects.bulk_create(ControlReference(item=item, catalog=c, control_id=i)
                                         for c, i in sorted(unique))
    new = sorted(i for _, i in unique)
    if old != new:
        recorder.add(item, "update" if old else "create", field_name="controls", old=old, new=new)


def _add_asset(item: PoamItem, asset: AssetData, recorder: Recorder) -> AffectedAsset:
    name = (asset.name or asset.fqdn or asset.ip).strip()
    if not name:
        raise ServiceError("assets: an affected asset needs a name, host name or IP address")
    key = name.lower()
    if item.assets.filter(asset_key=key, port=asset.port, protocol=asset.protocol).exists():
        raise ServiceError(f"assets: {asset.label} is already listed on {item.poam_id}")
    row = AffectedAsset.objects.create(item=item, asset_key=key, name=name, kind=asset.kind,
                                       ip=asset.ip, fqdn=asset.fqdn, port=asset.port,
                                       protocol=asset.protocol.lower())
    recorder.add(item, "update", field_name="assets", new=str(row))
    return row


def _check_field_names(fields: dict) -> None:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ServiceError(f"unknown field {', '.join(sorted(unknown))} "
                           f"(fields: {', '.join(sorted(ITEM_FIELDS))})")


def clean_fields(fields: dict) -> dict:
    """Field values as stored: text stripped, CVE lists upper-cased and de-duplicated."""
    cleaned = {}
    for name, value in fields.items():
        if isinstance(value, str) and ITEM_FIELDS[name] not in (PERSON,):
            value = value.strip()
        if name == "cves" and value is not None:
            value = sorted({c.strip().upper() for c in value if c.strip()})
        cleaned[name] = value
    return cleaned


def check_values(item: PoamItem) -> None:
    """The checks every item passes before it is saved; raises ServiceError naming the field."""
    if not item.title.strip():
        raise ServiceError("title: a POA&M item needs a title")
    check_text_limits({name: getattr(item, name) for name in TEXT_LIMITS})
    for name, enum in (("source", Source), ("original_risk", Risk)):
        try:
            enum(getattr(item, name))
        except ValueError:
            raise ServiceError(f"{name}: {getattr(item, name)!r} is not one of "
                               f"{', '.join(m.value for m in enum)}") from None
    for field in RMF_FIELDS:
        value = getattr(item, field.name)
        if field.kind == RATING and value and value not in {r.value for r in Rating}:
            raise ServiceError(f"{field.name}: {value!r} is not one of "
                               f"{', '.join(r.value for r in Rating)}")
    if item.adjusted_risk and item.adjusted_risk not in {r.value for r in Risk}:
        raise ServiceError(f"adjusted_risk: {item.adjusted_risk!r} is not a risk level")
    if item.adjusted_risk and not item.risk_adjustment_rationale.strip():
        raise ServiceError("risk_adjustment_rationale: an adjusted risk needs its rationale")
    if item.owner_id and item.owner.organization_id != item.organization_id:
        raise ServiceError("owner: that person belongs to another organization")
    if item.scheduled_completion and item.scheduled_completion < item.detected_on:
        raise ServiceError("scheduled_completion: cannot be before the detection date")
    if item.vendor_dependency and not item.vendor_product.strip():
        raise ServiceError("vendor_product: a vendor dependency needs the product name")


def _reschedule_rule(old, new, justification: str) -> None:
    if new is None:
        return
    try:
        workflow.check_reschedule(old, new, justification)
    except workflow.TransitionError as exc:
        raise ServiceError(str(exc)) from None
