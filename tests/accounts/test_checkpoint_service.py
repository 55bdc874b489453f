"""Checkpoints in detail: the key file, sparse marks on a long chain, the daily folder."""

from __future__ import annotations

import pytest
from django.db import connection

from openpoam.tracker.models import ChangeEvent
from openpoam.tracker.services import Actor, ServiceError, chain, checkpoints, setup

pytestmark = pytest.mark.django_db
ADMIN = Actor.command_line("admin")


@pytest.fixture
def key_file(settings, tmp_path):
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "checkpoint.pem"
    return settings.SIGNING_KEY_FILE


def test_the_key_is_made_once_readable_by_its_owner_only(key_file):
    first, created = checkpoints.ensure_key()
    again, created_again = checkpoints.ensure_key()
    assert created and not created_again
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o777 == 0o700
    assert checkpoints.public_key_info()["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    key_file.write_text("not a key")
    with pytest.raises(ServiceError, match="cannot read the checkpoint signing key"):
        checkpoints.ensure_key()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses the rewrite")
def test_a_long_chain_names_the_stretch_where_a_record_differs(key_file, org_a):
    for n in range(8):
        setup.add_person(ADMIN, org_a.org, f"Person {n}")
    events = list(ChangeEvent.objects.filter(organization=org_a.org).order_by("sequence"))
    total = len(events)
    text = checkpoints.make(ADMIN, org_a.org, max_marks=3)
    step = -(-total // 3)
    # Rewrite record #2 and recompute the rest of the chain, as the attacker would.
    prev = events[0].hash
    with connection.cursor() as cursor:
        for event in events[1:]:
            if event.sequence == 2:
                event.actor_name = "mallory"
            event.hash = chain.record_hash(event, prev)
            cursor.execute("UPDATE tracker_changeevent SET actor_name = %s, prev_hash = %s, "
                           "hash = %s WHERE id = %s", [event.actor_name, prev, event.hash,
                                                       event.pk])
            prev = event.hash
        cursor.execute("UPDATE tracker_chainhead SET hash = %s WHERE key = %s",
                       [prev, chain.chain_key(org_a.org.pk)])
    _, findings = checkpoints.verify(ADMIN, checkpoints.load(text, "cp"), org_a.org)
    assert [f.describe() for f in findings] == [
        f"chain org:{org_a.org.pk}: a record among #1-#{step} differs from the checkpoint "
        f"(record #{step}, id {events[step - 1].pk}, no longer has the hash the checkpoint "
        "pins): records were rewritten"]


def test_the_daily_checkpoint_needs_a_folder(key_file, settings, tmp_path, org_a):
    settings.CHECKPOINT_DIR = ""
    with pytest.raises(ServiceError, match="set OPENPOAM_CHECKPOINT_DIR"):
        checkpoints.write_checkpoints()
    settings.CHECKPOINT_DIR = str(tmp_path)
    path = checkpoints.write_checkpoints()
    assert path.parent == tmp_path and path.name.startswith("openpoam-checkpoint-")
    assert checkpoints.load(path.read_text(), path.name).chain(f"org:{org_a.org.pk}")


def test_only_owners_and_administrators_checkpoint(key_file, org_a, bob):
    with pytest.raises(ServiceError):
        checkpoints.make(Actor.for_user(bob), org_a.org)
    with pytest.raises(ServiceError, match="only an administrator"):
        checkpoints.make(Actor.for_user(bob), None)


def test_check_deploy_warns_of_a_key_others_can_read(key_file, capsys, monkeypatch):
    from openpoam.cli import base, load_commands

    load_commands()
    checkpoints.ensure_key()
    key_file.chmod(0o644)
    monkeypatch.setattr("sys.argv", ["openpoam", "check-deploy"])
    assert base.run(base.cli) == 1
    assert f"openpoam: warning: the checkpoint signing key {key_file} can be read by other " \
        "users (mode 644): chmod 600 it" in capsys.readouterr().err
