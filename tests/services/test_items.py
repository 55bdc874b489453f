"""The write path: every rule of the foundation issue that needs a database."""

import hashlib
import io
from datetime import date

import pytest
from django.db import transaction

from openpoam.domain.poam import AffectedAsset
from openpoam.tracker.models import ChangeEvent, PoamItem
from openpoam.tracker.models.history import AppendOnlyError
from openpoam.tracker.services import (PermissionDenied, ServiceError, evidence, items,
                                       milestones, setup)

from .conftest import ROOT


def _fields(item):
    return [e.field for e in ChangeEvent.objects.filter(item_uuid=item.uuid)]


def test_it_numbers_items_per_organization_and_year(item, system):
    second = items.create_item(ROOT, system, title="Second", detected_on=date(2026, 11, 1))
    other_year = items.create_item(ROOT, system, title="Old", detected_on=date(2025, 3, 1))
    assert (item.poam_id, second.poam_id, other_year.poam_id) == (
        "POAM-2026-0001", "POAM-2026-0002", "POAM-2025-0001")


def test_it_never_reuses_an_id_after_deletion(item, system):
    items.delete_item(ROOT, item, "entered twice")
    again = items.create_item(ROOT, system, title="Next", detected_on=date(2026, 10, 2))
    assert again.poam_id == "POAM-2026-0002"
    assert ChangeEvent.objects.filter(poam_id="POAM-2026-0001", action="delete").exists()


def test_it_refuses_deletion_without_justification(item):
    with pytest.raises(ServiceError, match="justification"):
        items.delete_item(ROOT, item, " ")
    assert PoamItem.objects.filter(pk=item.pk).exists()


def test_it_records_history_for_creation(item):
    assert {"", "original_risk", "owner", "controls", "scheduled_completion"} <= set(_fields(item))


def test_it_records_old_and_new_value_and_actor_on_update(item, alice):
    items.update_item(alice, item, {"planned_remediation": "Deploy tokens"})
    event = ChangeEvent.objects.get(item_uuid=item.uuid, field="planned_remediation")
    assert (event.old_value, event.new_value, event.actor_name) == ("", "Deploy tokens", "alice")


def test_it_keeps_the_detection_date_fixed(item):
    with pytest.raises(ServiceError, match="never changes"):
        items.update_item(ROOT, item, {"detected_on": date(2026, 9, 1)})


def test_it_requires_a_justification_to_move_the_scheduled_date(item):
    with pytest.raises(ServiceError, match="justification"):
        items.update_item(ROOT, item, {"scheduled_completion": date(2027, 1, 31)})
    items.update_item(ROOT, item, {"scheduled_completion": date(2027, 1, 31)},
                      justification="vendor delay")
    event = ChangeEvent.objects.get(item_uuid=item.uuid, field="scheduled_completion",
                                    action="update")
    assert (event.old_value, event.new_value, event.justification) == (
        "2026-12-15", "2027-01-31", "vendor delay")


def test_it_keeps_original_and_current_milestone_dates(item):
    milestone = milestones.add_milestone(ROOT, item, "Buy tokens", date(2026, 11, 1))
    with pytest.raises(ServiceError, match="justification"):
        milestones.reschedule_milestone(ROOT, milestone, date(2026, 11, 30), "")
    moved = milestones.reschedule_milestone(ROOT, milestone, date(2026, 11, 30), "backorder")
    assert (moved.original_due, moved.current_due) == (date(2026, 11, 1), date(2026, 11, 30))
    assert ChangeEvent.objects.filter(entity_uuid=milestone.uuid, justification="backorder").exists()


def test_it_refuses_completion_without_evidence_then_accepts_it(item):
    with pytest.raises(ServiceError, match="evidence"):
        items.set_status(ROOT, item, "completed", actual_completion=date(2026, 11, 20))
    evidence.add_file(ROOT, item, "scan.txt", io.BytesIO(b"clean scan"))
    done = items.set_status(ROOT, item, "completed", actual_completion=date(2026, 11, 20))
    assert (done.status, done.actual_completion) == ("completed", date(2026, 11, 20))


def test_it_refuses_self_approved_risk_acceptance(item, alice, org):
    setup.add_person(ROOT, org, "alice")
    with pytest.raises(ServiceError, match="someone other"):
        items.set_status(alice, item, "risk_accepted", approver="alice", rationale="r",
                         review_date=date(2027, 6, 1), today=date(2026, 11, 1))


def test_it_refuses_approval_by_the_person_of_the_asking_account(item, alice, org):
    setup.add_person(ROOT, org, "Alice Smith", user=alice.user)
    with pytest.raises(ServiceError, match="someone other"):
        items.set_status(alice, item, "risk_accepted", approver="alice smith", rationale="r",
                         review_date=date(2027, 6, 1), today=date(2026, 11, 1))


def test_it_refuses_an_approver_who_is_not_a_known_person(item, dana):
    with pytest.raises(ServiceError, match="nobody named 'Maria'.*Dana Ortiz"):
        items.set_status(ROOT, item, "risk_accepted", approver="Maria", rationale="r",
                         review_date=date(2027, 6, 1), today=date(2026, 11, 1))
    assert PoamItem.objects.get(pk=item.pk).status == "open"


def test_it_stores_the_approver_as_a_person(item, dana):
    done = items.set_status(ROOT, item, "false_positive", approver="dana ortiz",
                            rationale="the port is closed", today=date(2026, 11, 1))
    assert PoamItem.objects.get(pk=done.pk).approver == dana


def test_it_refuses_a_review_date_that_is_not_in_the_future(item, dana):
    with pytest.raises(ServiceError, match="must lie in the future"):
        items.set_status(ROOT, item, "risk_accepted", approver=dana, rationale="vendor limit",
                         review_date=date(2026, 11, 1), today=date(2026, 11, 1))
    accepted = items.set_status(ROOT, item, "risk_accepted", approver=dana,
                                rationale="vendor limit", review_date=date(2026, 11, 2),
                                today=date(2026, 11, 1))
    assert (accepted.status, accepted.review_date) == ("risk_accepted", date(2026, 11, 2))


def test_it_refuses_a_dependency_cycle_naming_it(item, system):
    other = items.create_item(ROOT, system, title="B", detected_on=date(2026, 10, 2))
    items.set_dependencies(ROOT, item, [other.poam_id])
    with pytest.raises(ServiceError, match="POAM-2026-0002 → POAM-2026-0001 → POAM-2026-0002"):
        items.set_dependencies(ROOT, other, [item.poam_id])


def test_it_validates_control_ids_against_their_catalog(system):
    with pytest.raises(ServiceError, match="controls"):
        items.create_item(ROOT, system, title="x", detected_on=date(2026, 1, 1),
                          controls=["3.99.1"])
    assert not PoamItem.objects.exists()  # nothing half-written


def test_it_lists_assets_with_port_and_protocol(item):
    items.add_asset(ROOT, item, AffectedAsset(name="vpn01", port="443", protocol="TCP"))
    assert [str(a) for a in item.assets.all()] == ["vpn01:443/tcp"]
    with pytest.raises(ServiceError, match="already listed"):
        items.add_asset(ROOT, item, AffectedAsset(name="VPN01", port="443", protocol="tcp"))


def test_it_stores_evidence_with_hash_size_and_type(item, settings, tmp_path):
    settings.EVIDENCE_DIR = tmp_path
    added = evidence.add_file(ROOT, item, "../../etc/report.pdf", io.BytesIO(b"%PDF-1.7 ok"))
    assert added.name == "report.pdf"  # no path tricks
    assert added.sha256 == hashlib.sha256(b"%PDF-1.7 ok").hexdigest()
    assert (tmp_path / added.storage_name).read_bytes() == b"%PDF-1.7 ok"
    assert (added.size, added.media_type) == (11, "application/pdf")


def test_it_refuses_evidence_over_the_limit_and_keeps_nothing(item, settings, tmp_path):
    settings.EVIDENCE_DIR = tmp_path
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(ServiceError, match="limit"):
        evidence.add_file(ROOT, item, "big.bin", io.BytesIO(b"x" * 11))
    assert list(tmp_path.rglob("*")) == [] and not item.evidence.exists()


def test_it_refuses_non_http_links(item):
    with pytest.raises(ServiceError, match="http"):
        evidence.add_link(ROOT, item, "javascript:alert(1)")


def test_history_cannot_be_edited_or_deleted(item):
    event = ChangeEvent.objects.filter(item_uuid=item.uuid).first()
    event.new_value = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        ChangeEvent.objects.filter(item_uuid=item.uuid).update(new_value="forged")
    with pytest.raises(AppendOnlyError):
        ChangeEvent.objects.all().delete()


def test_it_writes_nothing_when_a_later_step_fails(item):
    before = ChangeEvent.objects.count()
    with pytest.raises(ServiceError):
        with transaction.atomic():
            items.update_item(ROOT, item, {"comments": "first"})
            items.update_item(ROOT, item, {"detected_on": date(2020, 1, 1)})
    item.refresh_from_db()
    assert item.comments == "" and ChangeEvent.objects.count() == before


def test_it_refuses_a_stale_version(item):
    items.update_item(ROOT, item, {"comments": "a"}, expected_version=1)
    with pytest.raises(ServiceError, match="changed by someone else"):
        items.update_item(ROOT, item, {"comments": "b"}, expected_version=1)


def test_viewers_and_strangers_cannot_change_items(item, users):
    for name in ("bob", "charlie"):
        with pytest.raises(PermissionDenied):
            items.update_item(users[name], item, {"comments": "x"})


def test_an_adjusted_risk_needs_its_rationale(item):
    with pytest.raises(ServiceError, match="rationale"):
        items.update_item(ROOT, item, {"adjusted_risk": "moderate"})
    items.update_item(ROOT, item, {"adjusted_risk": "moderate",
                                   "risk_adjustment_rationale": "compensating control"})


def test_an_items_row_lock_lets_rows_that_refer_to_it_be_inserted(item):
    """FOR NO KEY UPDATE, not FOR UPDATE: an evidence upload's foreign key check (KEY SHARE)
    must not wait for an edit's lock, or the two deadlock on the history chain head."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update:
        pytest.skip("SQLite locks the whole database; row locks are PostgreSQL's")
    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        items.lock(item)
    assert "FOR NO KEY UPDATE" in seen.captured_queries[-1]["sql"]
