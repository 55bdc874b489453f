"""PostgreSQL: the app runs as a runtime role made by `openpoam setup --runtime-role`, which
can use the product but cannot rewrite, delete, truncate or unprotect the audit trail."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest

from tests.accounts.cli_databases import admin_url, fresh_database, postgresql_url, python, run
from tests.accounts.test_checkpoint_attacks import ATTACK

# Every one of these, run by the runtime role, must fail.
FORBIDDEN = [
    "ALTER TABLE tracker_changeevent DISABLE TRIGGER tracker_changeevent_append_only",
    "ALTER TABLE tracker_changeevent DISABLE TRIGGER USER",
    "ALTER TABLE tracker_chainhead DISABLE TRIGGER USER",
    "DROP TRIGGER tracker_changeevent_append_only ON tracker_changeevent",
    "DROP FUNCTION tracker_changeevent_append_only() CASCADE",
    "TRUNCATE tracker_changeevent",
    "TRUNCATE tracker_chainhead",
    "UPDATE tracker_changeevent SET actor_name = 'mallory'",
    "DELETE FROM tracker_changeevent",
    "DELETE FROM tracker_chainhead",
    "UPDATE tracker_chainhead SET sequence = sequence - 1",  # refused by the owner's trigger
    "UPDATE tracker_chainhead SET hash = repeat('0', 64)",
    "DROP TABLE tracker_changeevent CASCADE",
    "ALTER TABLE tracker_changeevent RENAME TO old_history",
    "ALTER TABLE tracker_changeevent OWNER TO CURRENT_USER",
    "CREATE TABLE public.tracker_shadow (id int)",
]


@pytest.fixture
def roles(tmp_path):
    """(owner env, runtime env, runtime URL): a fresh database set up by the owner."""
    import psycopg

    postgresql_url()
    role = f"openpoam_rt_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        with fresh_database("postgresql", tmp_path / "data") as owner:
            setup = run(owner, "setup", "--runtime-role", role, check=True)
            assert f"runtime role {role}" in setup.stdout
            url = urlparse(owner["DATABASE_URL"])._replace(
                netloc=f"{role}@{urlparse(owner['DATABASE_URL']).hostname}:"
                       f"{urlparse(owner['DATABASE_URL']).port or 5432}").geturl()
            yield owner, dict(owner, DATABASE_URL=url), url
    finally:
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_runtime_role_runs_the_product_but_cannot_touch_the_trail(roles):
    import psycopg

    owner, runtime, url = roles
    # The product works as the runtime role: it writes items and their history.
    run(runtime, "org", "create", "acme", "--name", "Acme", check=True)
    run(runtime, "system", "create", "enclave", "--org", "acme", "--name", "Enclave",
        "--framework", "cmmc-l2", check=True)
    run(runtime, "item", "add", "--org", "acme", "--system", "enclave", "--title", "MFA gap",
        "--detected", "2026-10-01", "--set", "original_risk=high", check=True)
    run(runtime, "item", "set-status", "POAM-2026-0001", "in_progress", "--org", "acme",
        check=True)
    refused = []
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in FORBIDDEN:
            try:
                conn.execute(statement)
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException):
                refused.append(statement)
        count = conn.execute("SELECT count(*) FROM tracker_changeevent").fetchone()[0]
    assert refused == FORBIDDEN
    assert count > 0
    # The three attacks of the issue, run as the runtime role, all fail.
    for kind in ("rewrite", "delete", "truncate"):
        done = python(runtime, ATTACK, kind)
        assert done.returncode != 0 and ("permission denied" in done.stderr
                                         or "must be owner" in done.stderr), done.stderr
    intact = run(runtime, "history", "verify", "--org", "acme", check=True)
    assert f"{count} records checked" in intact.stdout


def test_check_deploy_warns_when_the_app_owns_the_history(roles):
    owner, runtime, _url = roles
    as_owner = run(owner, "check-deploy")
    assert as_owner.returncode == 1
    assert "openpoam: warning: the app connects to PostgreSQL as" in as_owner.stderr
    assert "could disable the audit trail's trigger" in as_owner.stderr \
        or "could disable the trigger" in as_owner.stderr
    as_runtime = run(runtime, "check-deploy")
    assert "warning: the app connects" not in as_runtime.stderr


def test_setup_refuses_a_missing_role_and_sqlite(tmp_path):
    postgresql_url()
    with fresh_database("postgresql", tmp_path / "pg") as env:
        missing = run(env, "setup", "--runtime-role", "no_such_role_here")
        assert missing.returncode == 1
        assert missing.stderr.strip().splitlines() == [
            "openpoam: no PostgreSQL role 'no_such_role_here': create it first (as an "
            "administrator: CREATE ROLE no_such_role_here LOGIN PASSWORD '...')"]
    with fresh_database("sqlite", tmp_path / "lite") as env:
        lite = run(env, "setup", "--runtime-role", "app")
        assert lite.returncode == 1 and "needs PostgreSQL" in lite.stderr
