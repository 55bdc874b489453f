"""The monthly review: start, walk every open item, finish into an immutable snapshot;
snapshots compare and export in any format."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection

from openpoam.reviews.models import Review, Snapshot
from openpoam.reviews.services import review as reviews
from openpoam.tracker.models import ChangeEvent
from openpoam.tracker.models.history import AppendOnlyError
from openpoam.tracker.services import PermissionDenied, ServiceError, milestones

MONTH = date(2026, 11, 1)


@pytest.fixture
def started(actors, system, poam):
    return reviews.start_review(actors["alice"], system, MONTH)


def walk(actor, review, items):
    reviews.record_entry(actor, review, items[0], "confirmed")
    reviews.record_entry(actor, review, items[1], "escalated", "Overdue: to the owner's boss")
    reviews.record_entry(actor, review, items[2], "updated", "Date moved after vendor call")


def test_it_walks_every_open_item_and_finishes_into_a_snapshot(actors, started, poam):
    walk(actors["alice"], started, poam)
    state = reviews.progress(started)
    assert (state["done"], state["total"]) == (3, 3)
    assert [e.poam_id for e in state["escalated"]] == [poam[1].poam_id]
    done = reviews.finish_review(actors["alice"], started, "All three walked")
    snapshot = done.snapshot
    assert snapshot.item_count == 3 and snapshot.open_count == 3
    assert len(snapshot.sha256) == 64
    assert reviews.snapshot_document(snapshot).items[0].title == poam[0].title


def test_each_review_action_lands_in_the_item_history(actors, started, poam):
    walk(actors["alice"], started, poam)
    event = ChangeEvent.objects.get(item_uuid=poam[1].uuid, field="review")
    assert event.actor_name == "alice"
    assert event.new_value == "escalated in the 2026-11 review"
    assert event.justification == "Overdue: to the owner's boss"


def test_a_review_cannot_finish_with_items_not_walked_unless_it_says_why(actors, started, poam):
    reviews.record_entry(actors["alice"], started, poam[0], "confirmed")
    with pytest.raises(ServiceError, match="2 open item"):
        reviews.finish_review(actors["alice"], started)
    with pytest.raises(ServiceError, match="summary"):
        reviews.finish_review(actors["alice"], started, allow_unreviewed=True)
    done = reviews.finish_review(actors["alice"], started, "Owner on leave",
                                 allow_unreviewed=True)
    assert done.is_finished


def test_a_finished_review_is_frozen(actors, started, poam):
    walk(actors["alice"], started, poam)
    reviews.finish_review(actors["alice"], started)
    with pytest.raises(ServiceError, match="finished"):
        reviews.record_entry(actors["alice"], started, poam[0], "confirmed")
    with pytest.raises(ServiceError, match="finished"):
        reviews.finish_review(actors["alice"], started)


def test_one_review_per_month_and_escalation_needs_a_note(actors, started, system, poam):
    with pytest.raises(ServiceError, match="already has a review for 2026-11"):
        reviews.start_review(actors["alice"], system, date(2026, 11, 20))
    with pytest.raises(ServiceError, match="say why"):
        reviews.record_entry(actors["alice"], started, poam[0], "escalated")
    with pytest.raises(ServiceError, match="not one of"):
        reviews.record_entry(actors["alice"], started, poam[0], "ignored")


def test_viewers_and_strangers_cannot_review(actors, system, poam):
    for name in ("bob", "charlie"):
        with pytest.raises(PermissionDenied):
            reviews.start_review(actors[name], system, MONTH)
    review = reviews.start_review(actors["alice"], system, MONTH)
    with pytest.raises(PermissionDenied):
        reviews.record_entry(actors["bob"], review, poam[0], "confirmed")


def test_snapshots_are_immutable(actors, system, poam):
    snapshot = reviews.take_snapshot(actors["alice"], system, "before the audit")
    snapshot.label = "changed"
    with pytest.raises(AppendOnlyError):
        snapshot.save()
    with pytest.raises(AppendOnlyError):
        snapshot.delete()
    with pytest.raises(AppendOnlyError):
        Snapshot.objects.filter(pk=snapshot.pk).update(label="x")


def test_an_altered_snapshot_is_detected(actors, system, poam):
    snapshot = reviews.take_snapshot(actors["alice"], system)
    with connection.cursor() as cursor:  # what someone with database access could do
        cursor.execute("UPDATE reviews_snapshot SET content = %s WHERE id = %s",
                       ['{"snapshot_format": 1, "document": {}}', snapshot.pk])
    with pytest.raises(ServiceError, match="does not match its SHA-256"):
        reviews.snapshot_document(Snapshot.objects.get(pk=snapshot.pk))


def test_an_altered_item_of_a_snapshot_is_detected(actors, system, poam):
    # A snapshot stores its items apart from its frame; its hash covers them all.
    snapshot = reviews.take_snapshot(actors["alice"], system)
    assert snapshot.frozen_items.count() == snapshot.item_count == len(poam)
    assert reviews.snapshot_document(snapshot).items[1].title == poam[1].title
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reviews_snapshotitem SET content = %s "
                       "WHERE snapshot_id = %s AND position = 1",
                       ['{"title": "rewritten"}', snapshot.pk])
    with pytest.raises(ServiceError, match="does not match its SHA-256"):
        reviews.snapshot_document(Snapshot.objects.get(pk=snapshot.pk))


def test_two_snapshots_compare_with_the_reasons_dates_moved(actors, system, poam, lee):
    from openpoam.tracker.services import items

    before = reviews.take_snapshot(actors["alice"], system, "October")
    milestone = poam[0].milestones.get()
    milestones.reschedule_milestone(actors["alice"], milestone, date(2026, 12, 20),
                                    "tokens on backorder")
    items.update_item(actors["alice"], poam[2], {"owner": lee, "original_risk": "high"})
    after = reviews.take_snapshot(actors["alice"], system, "November")
    diff = reviews.compare_snapshots(actors["bob"], after, before)  # order does not matter
    assert [(s.poam_id, s.what, s.new, s.justifications) for s in diff.slipped] == [
        (poam[0].poam_id, "milestone 1", date(2026, 12, 20), ("tokens on backorder",))]
    assert [(c.poam_id, c.old, c.new) for c in diff.owner_changed] == [
        (poam[2].poam_id, "Dana Ortiz", "Lee Park")]
    assert [(c.old, c.new) for c in diff.risk_changed] == [("Low", "High")]


@pytest.mark.parametrize("format_key", ["csv", "fedramp-xlsx", "oscal-json"])
def test_a_snapshot_exports_in_any_format(actors, system, poam, format_key):
    snapshot = reviews.take_snapshot(actors["alice"], system)
    poam[0].delete()  # the live POA&M moves on; the snapshot does not
    buffer = io.BytesIO()
    reviews.export_snapshot(actors["bob"], snapshot, format_key, buffer)
    content = buffer.getvalue()
    assert len(content) > 200
    if format_key != "fedramp-xlsx":
        assert poam[0].poam_id.encode() in content


def test_strangers_cannot_export_a_snapshot(actors, system, poam):
    snapshot = reviews.take_snapshot(actors["alice"], system)
    with pytest.raises(PermissionDenied):
        reviews.export_snapshot(actors["charlie"], snapshot, "csv", io.BytesIO())
    assert Review.objects.count() == 0


def test_reviews_snapshots_and_feeds_are_in_the_audit_chain(actors, system, poam):
    from openpoam.reviews.services import calendar
    from openpoam.tracker.services import audit

    review = reviews.start_review(actors["alice"], system, MONTH)
    walk(actors["alice"], review, poam)
    reviews.finish_review(actors["alice"], review, "walked")
    feed, _ = calendar.create_feed(actors["bob"], system=system)
    calendar.revoke_feed(actors["bob"], feed)
    kinds = set(ChangeEvent.objects.filter(entity__in=["review", "snapshot", "calendar"])
                .values_list("entity", "action"))
    assert kinds == {("review", "create"), ("review", "update"), ("snapshot", "create"),
                     ("calendar", "create"), ("calendar", "update")}
    assert audit.verify(system.organization)[1] == []
