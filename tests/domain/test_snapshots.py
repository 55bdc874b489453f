"""Snapshots: freezing is lossless and stable; comparing names what changed and why."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from openpoam.domain import snapshots
from openpoam.domain.poam import (AffectedAsset, Catalog, ControlRef, DueDateChange,
                                  EvidenceData, HistoryEntry, MilestoneData, PoamDocument,
                                  PoamItemData, Risk, Status, SystemData)


def document(*items) -> PoamDocument:
    return PoamDocument(system=SystemData(name="Enclave"), items=list(items),
                        generated_at=datetime(2026, 11, 29, 12, tzinfo=UTC), uuid="doc-1")


def item(n=1, **changes) -> PoamItemData:
    return replace(PoamItemData(
        poam_id=f"POAM-2026-{n:04d}", uuid=f"uuid-{n}", title="Weak TLS", owner="Dana",
        detected_on=date(2026, 10, 1), scheduled_completion=date(2026, 12, 31),
        original_risk=Risk.HIGH, cost_estimate=Decimal("1200.50"),
        controls=[ControlRef(Catalog.NIST_800_171_R2, "3.13.8")],
        assets=[AffectedAsset(name="web01", port="443", protocol="tcp")],
        evidence=[EvidenceData(name="scan.nessus", uploaded_at=datetime(2026, 11, 1, tzinfo=UTC))],
        milestones=[MilestoneData(1, "Disable TLS 1.0", original_due=date(2026, 12, 1),
                                  current_due=date(2026, 12, 1), uuid="m-1")]), **changes)


def test_freeze_and_thaw_round_trip_without_history():
    original = document(item(history=[HistoryEntry(datetime(2026, 10, 1, tzinfo=UTC), "dana",
                                                   "create", "item")]))
    frozen = snapshots.freeze(original)
    back = snapshots.thaw(frozen)
    assert back.items[0].history == []
    assert back == replace(original, items=[replace(original.items[0], history=[])])
    assert snapshots.content_hash(frozen) == snapshots.content_hash(snapshots.freeze(back))


def test_the_hash_changes_with_the_content():
    a = snapshots.freeze(document(item()))
    b = snapshots.freeze(document(item(owner="Lee")))
    assert snapshots.content_hash(a) != snapshots.content_hash(b)


def test_compare_names_new_closed_slipped_risk_and_owner_changes():
    moved = DueDateChange(datetime(2026, 11, 20, tzinfo=UTC), date(2026, 12, 1),
                          date(2027, 1, 10), "vendor backorder", "dana")
    old = document(item(1), item(2), item(3))
    new = document(
        item(1, status=Status.COMPLETED, actual_completion=date(2026, 11, 25)),
        item(2, owner="Lee", adjusted_risk=Risk.MODERATE, scheduled_completion=date(2027, 2, 1),
             milestones=[MilestoneData(1, "Disable TLS 1.0", original_due=date(2026, 12, 1),
                                       current_due=date(2027, 1, 10), uuid="m-1",
                                       changes=[moved])]),
        item(3), item(4))
    diff = snapshots.compare(old, new)
    assert diff.new == ["POAM-2026-0004"]
    assert [(c.poam_id, c.new) for c in diff.closed] == [("POAM-2026-0001", "Completed")]
    assert [(c.old, c.new) for c in diff.owner_changed] == [("Dana", "Lee")]
    assert [(c.old, c.new) for c in diff.risk_changed] == [("High", "Moderate")]
    assert [(s.what, s.new, s.justifications) for s in diff.slipped] == [
        ("scheduled completion", date(2027, 2, 1), ()),
        ("milestone 1", date(2027, 1, 10), ("vendor backorder",))]
    assert not diff.empty
    assert snapshots.compare(old, old).empty


def test_a_snapshot_hashed_an_item_at_a_time_has_the_hash_of_the_whole():
    # A snapshot stores its frame and each item apart, hashed as they are made: the hash
    # is that of the whole frozen document, byte for byte, whatever the text holds.
    odd = item(2, title='Quote " backslash \\ newline \n "items":[] ünïcode \u2028')
    original = document(item(), odd)
    frame = snapshots.frame(original)
    texts = [snapshots.item_text(i) for i in original.items]
    assert snapshots.streamed_hash(frame, texts) == snapshots.content_hash(
        snapshots.freeze(original))
    assert all("\n" not in text for text in texts)  # one line each in the spool
    items = [json.loads(text) for text in texts]
    assert snapshots.thaw_with(frame, items) == snapshots.thaw(snapshots.freeze(original))
