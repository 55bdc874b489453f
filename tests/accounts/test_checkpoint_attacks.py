"""The three attacks of someone who can write the database, each caught by `openpoam history
verify --checkpoint` against a checkpoint taken before it, on SQLite and on PostgreSQL.

Each attack is first shown to fool the check without a checkpoint ("intact"): the attacker
recomputes every hash, or rolls the chain head back, or empties both tables.
"""

from __future__ import annotations

import json

import pytest

from tests.accounts.cli_databases import BACKENDS, fresh_database, python, run

# The attacker: the app's own code for reading and hashing, raw SQL for writing. On
# PostgreSQL it owns the tables (the single-role set-up the issue describes), so it switches
# the append-only triggers off first, and back on to leave no trace.
ATTACK = r"""
import sys
import django
django.setup()
from django.db import connection, transaction
from openpoam.tracker.models import ChangeEvent, Organization
from openpoam.tracker.services import chain

kind = sys.argv[1]
org = Organization.objects.get(slug="acme")
key = chain.chain_key(org.pk)
pg = connection.vendor == "postgresql"
columns = ("id", "sequence", "hash", *chain.HASHED_FIELDS)
rows = list(ChangeEvent.objects.filter(organization=org).order_by("sequence")
            .values_list(*columns, named=True))
with transaction.atomic(), connection.cursor() as c:
    if pg:
        c.execute("ALTER TABLE tracker_changeevent DISABLE TRIGGER USER")
        c.execute("ALTER TABLE tracker_chainhead DISABLE TRIGGER USER")
    if kind == "rewrite":
        prev = rows[1].hash
        for index, row in enumerate(rows[2:]):
            if index == 0:
                row = row._replace(actor_name="mallory")
            digest = chain.record_hash(row, prev)
            c.execute("UPDATE tracker_changeevent SET actor_name = %s, prev_hash = %s, "
                      "hash = %s WHERE id = %s", [row.actor_name, prev, digest, row.id])
            prev = digest
        c.execute("UPDATE tracker_chainhead SET hash = %s WHERE key = %s", [prev, key])
    elif kind == "delete":
        c.execute("DELETE FROM tracker_changeevent WHERE id IN (%s, %s, %s)",
                  [r.id for r in rows[-3:]])
        c.execute("UPDATE tracker_chainhead SET sequence = %s, hash = %s WHERE key = %s",
                  [rows[-4].sequence, rows[-4].hash, key])
    elif kind == "truncate":
        verb = "TRUNCATE" if pg else "DELETE FROM"
        c.execute(f"{verb} tracker_changeevent")
        c.execute(f"{verb} tracker_chainhead")
    if pg:
        c.execute("ALTER TABLE tracker_changeevent ENABLE TRIGGER USER")
        c.execute("ALTER TABLE tracker_chainhead ENABLE TRIGGER USER")
print(json.dumps([[r.id, r.sequence] for r in rows]))
""".replace("import sys\n", "import json, sys\n", 1)


def _populate(env) -> None:
    """Two organizations: acme (attacked) and beta, its twin (its chain is never touched)."""
    run(env, "setup", check=True)
    for slug in ("acme", "beta"):
        run(env, "org", "create", slug, "--name", slug.title(), check=True)
        run(env, "system", "create", "enclave", "--org", slug, "--name", "Enclave",
            "--framework", "cmmc-l2", check=True)
        run(env, "person", "add", "Dana Ortiz", "--org", slug, check=True)
        run(env, "item", "add", "--org", slug, "--system", "enclave", "--title", "MFA gap",
            "--detected", "2026-10-01", "--set", "original_risk=high", check=True)


@pytest.fixture(scope="module", params=BACKENDS)
def populated(request, tmp_path_factory):
    """Filled once per database kind (a dozen commands); each test works on a copy."""
    with fresh_database(request.param, tmp_path_factory.mktemp("template") / "data") as env:
        _populate(env)
        yield request.param, env


@pytest.fixture
def acme(populated, tmp_path):
    backend, template = populated
    with fresh_database(backend, tmp_path / "data", template) as env:
        yield env


def _attack(env, kind: str) -> list[list[int]]:
    done = python(env, ATTACK, kind)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("kind", ["rewrite", "delete", "truncate"])
def test_each_attack_is_caught_by_a_checkpoint_taken_before_it(acme, tmp_path, kind):
    checkpoint = tmp_path / "before.json"
    run(acme, "history", "checkpoint", "--org", "acme", "--output", checkpoint, check=True)
    assert "matches the checkpoint" in run(acme, "history", "verify", "--org", "acme",
                                           "--checkpoint", checkpoint, check=True).stdout
    rows = _attack(acme, kind)
    fooled = run(acme, "history", "verify", "--org", "acme")
    assert fooled.returncode == 0 and "audit trail intact" in fooled.stdout  # the point

    caught = run(acme, "history", "verify", "--org", "acme", "--checkpoint", checkpoint)
    assert caught.returncode == 1 and caught.stdout == ""
    lines = caught.stderr.strip().splitlines()
    assert all(line.startswith("openpoam: chain org:") for line in lines), lines
    last = rows[-1][1]
    if kind == "rewrite":
        third = rows[2]
        assert lines == [f"openpoam: chain org:1: record #3 (id {third[0]}) differs from the "
                         "checkpoint: it was rewritten"]
    elif kind == "delete":
        assert lines[0].endswith(f"record #{last - 2} is missing (the checkpoint has it)")
        assert f"went back: the chain now ends at record #{last - 3}" in lines[1]
        assert f"saw #{last}" in lines[1]
    else:
        assert lines[0].endswith("record #1 is missing (the checkpoint has it)")
        assert "went back: the chain now ends at record #0 (head #0)" in lines[1]
    if kind != "rewrite":
        return
    # The twin organization's chain was not touched, and acme's checkpoint is not for it.
    assert run(acme, "history", "verify", "--org", "beta", check=True)
    wrong = run(acme, "history", "verify", "--org", "beta", "--checkpoint", checkpoint)
    assert wrong.returncode == 1 and wrong.stderr.startswith(
        "openpoam: the checkpoint holds no chain of beta")


def test_a_checkpoint_signed_by_another_key_or_altered_is_refused(acme, tmp_path):
    mine = tmp_path / "mine.json"
    run(acme, "history", "checkpoint", "--org", "acme", "--output", mine, check=True)
    # A forger signs a checkpoint with a key of their own (another installation's).
    with fresh_database("sqlite", tmp_path / "other") as other:
        run(other, "org", "create", "acme", "--name", "Acme", check=True)
        forged = tmp_path / "forged.json"
        run(other, "history", "checkpoint", "--org", "acme", "--output", forged, check=True)
    refused = run(acme, "history", "verify", "--org", "acme", "--checkpoint", forged)
    assert refused.returncode == 1
    assert "refused: signed by key" in refused.stderr and "not by this organization's key" \
        in refused.stderr
    # A checkpoint edited after signing (a lower sequence, to hide a deletion) is refused.
    data = json.loads(mine.read_text())
    data["chains"][0]["sequence"] -= 3
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(data))
    result = run(acme, "history", "verify", "--org", "acme", "--checkpoint", altered)
    assert result.returncode == 1 and "the signature does not match" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello")
    result = run(acme, "history", "verify", "--org", "acme", "--checkpoint", not_json)
    assert result.returncode == 1 and "carries no audit trail checkpoint" in result.stderr


def test_the_daily_checkpoint_and_the_public_key(acme, tmp_path):
    folder = tmp_path / "checkpoints"
    missing = run(acme, "history", "checkpoint-daily", "--folder", folder)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    folder.mkdir()
    env = dict(acme, OPENPOAM_CHECKPOINT_DIR=str(folder))
    first = run(env, "history", "checkpoint-daily", check=True)
    second = run(env, "history", "checkpoint-daily", check=True)
    files = sorted(folder.iterdir())
    assert len(files) == 2 and first.stdout != second.stdout
    chains = {c["organization"] for c in json.loads(files[0].read_text())["chains"]}
    assert chains == {"acme", "beta"}
    pem = tmp_path / "org.pem"
    run(acme, "history", "public-key", "--output", pem, check=True)
    offline = {k: v for k, v in acme.items() if k != "DATABASE_URL"}
    offline["OPENPOAM_DATA_DIR"] = str(tmp_path / "assessor")  # no key, no database here
    checked = run(offline, "history", "verify-export", files[0], "--public-key", pem,
                  check=True)
    assert "signature valid" in checked.stdout
    key = (tmp_path / "data" / "keys" / "checkpoint-ed25519.pem")
    assert key.stat().st_mode & 0o777 == 0o600
    assert run(acme, "history", "verify", "--checkpoint", files[1], check=True)
