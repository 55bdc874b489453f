"""The audit trail's hash chain: written in one pass, checked record by record."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from openpoam.tracker.models import ChainHead, ChangeEvent
from openpoam.tracker.models.history import AppendOnlyError
from openpoam.tracker.services import Actor, audit, chain, setup
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.history import Recorder

pytestmark = pytest.mark.django_db

ADMIN = Actor.command_line("admin")


@pytest.fixture
def org():
    return setup.create_organization(ADMIN, "chained", "Chained Inc")


@pytest.fixture
def system(org):
    return setup.create_system(ADMIN, org, slug="sys", name="Sys", framework="cmmc-l2")


def _item(system, title="Weak cipher"):
    return item_services.create_item(ADMIN, system, title=title, detected_on=date(2026, 1, 5))


def _raw_update(sql: str, params) -> None:
    """Tamper with the table behind the application's back, as an attacker with the
    database file would (SQLite only: PostgreSQL's trigger refuses it)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_numbers_and_links_every_record_of_an_organization(system):
    _item(system)
    _item(system, "Second")
    events = list(ChangeEvent.objects.filter(organization=system.organization)
                  .order_by("sequence"))
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == ""
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    head = ChainHead.objects.get(key=chain.chain_key(system.organization_id))
    assert (head.sequence, head.hash) == (events[-1].sequence, events[-1].hash)
    assert audit.verify(system.organization) == (len(events), [])


def test_it_records_organization_and_system_changes(org, system):
    setup.update_system(ADMIN, system, framework="fedramp-moderate")
    rows = ChangeEvent.objects.filter(organization=org, entity="system", action="update")
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        ("framework", "cmmc-l2", "fedramp-moderate")]
    assert ChangeEvent.objects.filter(organization=org, entity="organization",
                                      action="create").exists()


def test_one_save_of_many_events_is_one_chain(system):
    item = _item(system)
    recorder = Recorder(ADMIN)
    for n in range(2500):
        recorder.add(item, "update", field_name="comments", old=str(n), new=str(n + 1))
    recorder.save()
    checked, breaks = audit.verify(system.organization)
    assert breaks == [] and checked >= 2500


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses the tampering")
@pytest.mark.parametrize("tamper, problem", [
    ("UPDATE tracker_changeevent SET new_value = 'x' WHERE id = %s", "edited"),
    ("DELETE FROM tracker_changeevent WHERE id = %s", "deleted"),
])
def test_verify_names_the_first_tampered_record(system, tamper, problem):
    _item(system)
    _item(system, "Second")
    victim = ChangeEvent.objects.filter(organization=system.organization).order_by("sequence")[3]
    _raw_update(tamper, [victim.pk])
    _, breaks = audit.verify(system.organization)
    assert [(b.sequence, b.problem) for b in breaks] == [(victim.sequence, problem)]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses the tampering")
def test_verify_names_a_reordered_record(system):
    _item(system)
    third, fourth = ChangeEvent.objects.filter(
        organization=system.organization).order_by("sequence")[2:4]
    _raw_update("UPDATE tracker_changeevent SET sequence = 999999 WHERE id = %s", [third.pk])
    _raw_update("UPDATE tracker_changeevent SET sequence = %s WHERE id = %s",
                [third.sequence, fourth.pk])
    _raw_update("UPDATE tracker_changeevent SET sequence = %s WHERE id = %s",
                [fourth.sequence, third.pk])
    _, breaks = audit.verify(system.organization)
    assert [(b.sequence, b.problem) for b in breaks] == [(third.sequence, "reordered")]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses the tampering")
def test_verify_notices_the_last_record_deleted(system):
    _item(system)
    last = ChangeEvent.objects.filter(organization=system.organization).order_by("sequence").last()
    _raw_update("DELETE FROM tracker_changeevent WHERE id = %s", [last.pk])
    _, breaks = audit.verify(system.organization)
    assert [(b.sequence, b.problem) for b in breaks] == [(last.sequence, "deleted")]


def test_the_application_cannot_edit_or_delete_history(system):
    _item(system)
    event = ChangeEvent.objects.filter(organization=system.organization).first()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        ChangeEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize("sql", ["UPDATE tracker_changeevent SET new_value = 'x'",
                                 "DELETE FROM tracker_changeevent"])
def test_postgresql_refuses_update_and_delete(system, sql):
    from django.db import DatabaseError, transaction

    _item(system)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_audit_record_writes_one_row_per_changed_field(org):
    audit.record(ADMIN, org, "token", "tok-1", "create", {"name": ("", "ci"), "scope": ("", "read")},
                 why="for the pipeline")
    rows = ChangeEvent.objects.filter(organization=org, entity="token")
    assert sorted((r.field, r.new_value, r.entity_ref, r.justification) for r in rows) == [
        ("name", "ci", "tok-1", "for the pipeline"), ("scope", "read", "tok-1", "for the pipeline")]
    assert audit.verify(org)[1] == []


def test_account_events_have_their_own_chain():
    audit.record(ADMIN, None, "account", "alice", "sign-in-failed", client_address="10.0.0.1")
    head = ChainHead.objects.get(key=chain.ACCOUNTS_CHAIN)
    assert head.sequence == 1
    assert audit.verify() == (1, [])


def test_an_import_is_recorded_with_its_file_and_hash(system, tmp_path):
    from openpoam.tracker.services import imports

    scan = tmp_path / "scan.csv"
    scan.write_text("Plugin ID,CVE,CVSS v3.0 Base Score,Risk,Host,Protocol,Port,Name,Synopsis,"
                    "Description,Solution\n19506,,,None,10.0.0.1,tcp,0,Scan info,s,d,n\n"
                    "51192,,6.4,Medium,10.0.0.1,tcp,443,Untrusted cert,s,d,fix\n")
    result = imports.import_file(ADMIN, system, scan)
    row = ChangeEvent.objects.get(entity="import", field="sha256")
    assert (row.new_value, row.entity_ref) == (result.sha256, str(result.record.pk))
    assert audit.verify(system.organization)[1] == []
