"""The monthly review: start it, walk the open items, finish it into an immutable snapshot.

Each step is one transaction. What a reviewer does with an item is kept twice on
purpose: as a review entry (the review's own record) and in the item's history, so the
item page shows when it was last reviewed and by whom.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from datetime import date

from django.db import transaction
from django.utils import timezone

from openpoam.domain import snapshots
from openpoam.domain.poam import CLOSED_STATUSES
from openpoam.formats import registry
from openpoam.reviews.models import Review, ReviewEntry, Snapshot, SnapshotItem
from openpoam.tracker.documents import MOVES, stream_document
from openpoam.tracker.models import ChangeEvent, PoamItem, System
from openpoam.tracker.services import audit, checkpoints
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder, moment

ACTIONS = dict(ReviewEntry.ACTIONS)
EDIT = "poam.edit"  # the permission table's action for starting, walking, finishing


def month_start(day: date) -> date:
    return day.replace(day=1)


def parse_month(text: str) -> date:
    """``2026-11`` (or a full date) -> the first day of that month."""
    try:
        return month_start(date.fromisoformat(text if len(text) > 7 else f"{text}-01"))
    except ValueError:
        raise ServiceError(f"month: {text!r} is not a month in YYYY-MM form") from None


@transaction.atomic
def start_review(actor: Actor, system: System, month: date) -> Review:
    require(actor, system.organization, "poam.edit")
    month = month_start(month)
    if Review.objects.filter(system=system, month=month).exists():
        raise ServiceError(f"{system.name} already has a review for {month:%Y-%m}")
    review = Review.objects.create(system=system, month=month, started_by=actor.name,
                                   started_at=timezone.now())
    audit.record(actor, system.organization, "review", str(review.pk), "create",
                 {"month": ("", f"{month:%Y-%m}")}, system=system)
    return review


def open_items(review: Review):
    """The items the review walks: every item not closed, in POA&M order."""
    return (PoamItem.objects.filter(system=review.system)
            .exclude(status__in=[s.value for s in CLOSED_STATUSES])
            .select_related("owner").order_by("poam_id"))


@transaction.atomic
def record_entry(actor: Actor, review: Review, item: PoamItem, action: str,
                 note: str = "") -> ReviewEntry:
    """Confirm, mark updated or escalate one item; a later call for the same item replaces
    the review's entry (the item's history keeps both)."""
    require(actor, review.system.organization, "poam.edit")
    review = Review.objects.select_for_update(no_key=True).get(pk=review.pk)
    _check_open(review)
    if item.system_id != review.system_id:
        raise ServiceError(f"{item.poam_id} is not in {review.system.name}")
    if action not in ACTIONS:
        raise ServiceError(f"action: {action!r} is not one of {', '.join(ACTIONS)}")
    if action == ReviewEntry.ESCALATED and not note.strip():
        raise ServiceError("note: say why the item is escalated and to whom")
    now = timezone.now()
    ReviewEntry.objects.filter(review=review, poam_id=item.poam_id).delete()
    entry = ReviewEntry.objects.create(review=review, item=item, poam_id=item.poam_id,
                                       action=action, note=note.strip(), actor=actor.user,
                                       actor_name=actor.name, at=now)
    recorder = Recorder(actor, at=now)
    recorder.add(item, "update", field_name="review",
                 new=f"{ACTIONS[action].lower()} in the {review.month:%Y-%m} review",
                 justification=note.strip())
    recorder.save()
    return entry


def progress(review: Review) -> dict:
    """The review's rows: the open items now while it runs; once finished, the open items
    of the snapshot it froze (an item created or closed later does not change it)."""
    entries = {e.poam_id: e for e in review.entries.all()}
    if review.snapshot_id:
        items = [i for i in snapshot_document(review.snapshot).items if not i.status.is_closed]
        owners = [i.owner for i in items]
    else:
        items = list(open_items(review))
        owners = [i.owner.name if i.owner else "" for i in items]
    return {"items": [{"item": i, "owner": owner, "entry": entries.get(i.poam_id)}
                      for i, owner in zip(items, owners)],
            "done": sum(1 for i in items if i.poam_id in entries),
            "total": len(items),
            "escalated": [e for e in entries.values() if e.action == ReviewEntry.ESCALATED]}


@transaction.atomic
def finish_review(actor: Actor, review: Review, summary: str = "", *,
                  allow_unreviewed: bool = False) -> Review:
    """Freeze the POA&M into the review's snapshot. Every open item must have been walked,
    unless ``allow_unreviewed`` (the summary must then say why)."""
    require(actor, review.system.organization, "poam.edit")
    review = Review.objects.select_for_update(no_key=True).get(pk=review.pk)
    _check_open(review)
    state = progress(review)
    missing = [row["item"].poam_id for row in state["items"] if row["entry"] is None]
    if missing and not allow_unreviewed:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise ServiceError(f"{len(missing)} open item(s) not reviewed yet: {shown}")
    if missing and not summary.strip():
        raise ServiceError("summary: say why the review ends with items not reviewed")
    snapshot = take_snapshot(actor, review.system, label=f"Monthly review {review.month:%Y-%m}")
    review.finished_by, review.finished_at = actor.name, snapshot.taken_at
    review.summary, review.snapshot = summary.strip(), snapshot
    review.save(update_fields=["finished_by", "finished_at", "summary", "snapshot"])
    audit.record(actor, review.system.organization, "review", str(review.pk), "update",
                 {"finished_at": ("", review.finished_at), "snapshot": ("", snapshot.sha256)},
                 review.summary, system=review.system)
    return review


def _check_open(review: Review) -> None:
    if review.is_finished:
        raise ServiceError(f"the {review.month:%Y-%m} review was finished on "
                           f"{review.finished_at:%Y-%m-%d}: it can no longer change")


@transaction.atomic
def take_snapshot(actor: Actor, system: System, label: str = "") -> Snapshot:
    require(actor, system.organization, "poam.edit")
    now = timezone.now()
    # Only why milestone dates moved (MOVES): a snapshot keeps no other history
    # (snapshots.freeze), and at 100,000 items reading it all was much of its memory.
    # The items are read a chunk at a time, frozen one by one into a spool file (the hash
    # needs them all before the snapshot row exists), then stored a chunk at a time.
    document = stream_document(system, today=timezone.localdate(now), with_history=MOVES)
    # Frozen with the document (and covered by its SHA-256), so every export of the
    # snapshot carries the audit trail's checkpoint as it was when the snapshot was taken.
    document.checkpoint = checkpoints.for_export(
        system.organization, f"snapshot of {system.organization.slug}/{system.slug}")
    frame = snapshots.frame(document)
    counts: Counter = Counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n",
                                prefix="snapshot-") as spool:
        sha256 = snapshots.streamed_hash(frame, _spooled(document.items, spool, counts))
        snapshot = Snapshot.objects.create(
            system=system, taken_at=now, taken_by=actor.name,
            label=label.strip() or f"Snapshot {now:%Y-%m-%d %H:%M}", content=frame,
            sha256=sha256, item_count=counts["items"], open_count=counts["open"])
        spool.seek(0)
        _store_items(snapshot, spool)
    audit.record(actor, system.organization, "snapshot", str(snapshot.pk), "create",
                 {"label": ("", snapshot.label), "sha256": ("", snapshot.sha256),
                  "items": ("", snapshot.item_count)}, system=system)
    return snapshot


STORE_CHUNK = 1000  # frozen items written per statement


def _spooled(items, spool, counts: Counter):
    """Each item's canonical text, written to ``spool`` (a line each) as it passes, and
    counted into ``counts`` ("items", and "open" ones)."""
    for item in items:
        counts["items"] += 1
        counts["open"] += not item.status.is_closed
        text = snapshots.item_text(item)
        spool.write(text + "\n")
        yield text


def _store_items(snapshot: Snapshot, spool) -> None:
    rows = (SnapshotItem(snapshot=snapshot, position=n,
                         content=snapshots.CanonicalText(line.rstrip("\n")))
            for n, line in enumerate(spool))
    while batch := list(itertools.islice(rows, STORE_CHUNK)):
        SnapshotItem.objects.bulk_create(batch)


def snapshot_document(snapshot: Snapshot):
    """The frozen POA&M, after checking that its content still matches its hash."""
    items = list(snapshot.frozen_items.order_by("position")
                 .values_list("content", flat=True).iterator(STORE_CHUNK))
    frame = snapshot.content
    if not items:  # kept whole (taken before items were stored apart), or no items
        if snapshots.content_hash(frame) != snapshot.sha256:
            raise _altered(snapshot)
        return snapshots.thaw(frame)
    try:
        texts = (snapshots.canonical_text(item) for item in items)
        if frame["document"]["items"] or snapshots.streamed_hash(frame, texts) != snapshot.sha256:
            raise _altered(snapshot)
    except (KeyError, TypeError):  # not even the shape of a frame
        raise _altered(snapshot) from None
    return snapshots.thaw_with(frame, items)


def _altered(snapshot: Snapshot) -> ServiceError:
    return ServiceError(f"snapshot {snapshot.pk} does not match its SHA-256: it was altered")


def compare_snapshots(actor: Actor, old: Snapshot, new: Snapshot) -> snapshots.Comparison:
    require(actor, old.system.organization, "poam.view")
    if old.system_id != new.system_id:
        raise ServiceError("snapshots of different systems cannot be compared")
    if old.taken_at > new.taken_at:
        old, new = new, old
    return snapshots.compare(snapshot_document(old), snapshot_document(new),
                             completion_reasons(old, new))


def completion_reasons(old: Snapshot, new: Snapshot) -> dict[str, tuple[str, ...]]:
    """Why scheduled completions moved between two snapshots of one system, by item UUID:
    the justifications the history recorded (an edit, a bulk change) in between."""
    reasons: dict[str, list[str]] = {}
    rows = (ChangeEvent.objects.filter(system=old.system, field="scheduled_completion",
                                       at__gt=old.taken_at, at__lte=new.taken_at)
            .exclude(justification="").order_by("at", "pk")
            .values_list("item_uuid", "justification"))
    for item_uuid, why in rows:
        if why not in reasons.setdefault(str(item_uuid), []):
            reasons[str(item_uuid)].append(why)
    return {key: tuple(value) for key, value in reasons.items()}


def export_snapshot(actor: Actor, snapshot: Snapshot, format_key: str, stream) -> list[str]:
    """Write the snapshot in any registered export format (the monthly deliverable)."""
    require(actor, snapshot.system.organization, "poam.export")
    exporter = registry.default().exporter(format_key)
    return list(exporter.write(snapshot_document(snapshot), stream) or [])


# ---- as results leave the process (the API's schemas, the command line's --json) ----------

def review_dict(review: Review) -> dict:
    return {"month": f"{review.month:%Y-%m}", "started_by": review.started_by,
            "started_at": moment(review.started_at), "finished_by": review.finished_by,
            "finished_at": moment(review.finished_at), "summary": review.summary,
            "snapshot_id": review.snapshot_id,
            "snapshot_sha256": review.snapshot.sha256 if review.snapshot_id else "",
            "entries": review.entries.count()}


def progress_dict(review: Review) -> dict:
    """The review with each open item and what was done with it."""
    state = progress(review)
    rows = [{"poam_id": r["item"].poam_id, "title": r["item"].title, "owner": r["owner"],
             "action": r["entry"].action if r["entry"] else "not reviewed",
             "by": r["entry"].actor_name if r["entry"] else "",
             "note": r["entry"].note if r["entry"] else ""} for r in state["items"]]
    return {**review_dict(review), "done": state["done"], "total": state["total"],
            "items": rows}


def entry_dict(entry: ReviewEntry) -> dict:
    return {"poam_id": entry.poam_id, "action": entry.action, "note": entry.note,
            "by": entry.actor_name, "at": moment(entry.at)}


def snapshot_dict(snapshot: Snapshot) -> dict:
    return {"id": snapshot.pk, "label": snapshot.label, "taken_at": moment(snapshot.taken_at),
            "taken_by": snapshot.taken_by, "items": snapshot.item_count,
            "open": snapshot.open_count, "sha256": snapshot.sha256}
