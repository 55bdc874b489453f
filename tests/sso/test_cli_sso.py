"""The README's single sign-on commands, run as the installed `openpoam`, each with a case
that must fail."""

from __future__ import annotations

import json

import pytest

from tests.deploy.servers import environment, fresh_database, run

ISSUER = "https://sso.agency.example/realms/agency"


@pytest.fixture
def database():
    """{} for SQLite in the data folder; a fresh PostgreSQL database with DATABASE_URL."""
    with fresh_database("sso_cli") as url:
        yield {"DATABASE_URL": url} if url else {}


def test_pre_provisioning_and_the_tables_from_the_command_line(tmp_path, database):
    env = environment(tmp_path / "data", OPENPOAM_OIDC_ISSUER=ISSUER,
                      OPENPOAM_OIDC_CLIENT_ID="openpoam", **database)
    run(env, "setup")
    run(env, "org", "create", "acme", "--name", "Acme")

    out = run(env, "user", "add", "dana", "--sso", "--email", "dana@acme.example").stdout
    assert "signs in with the provider" in out and "password" not in out
    run(env, "user", "add", "erik", "--oidc-subject", "3f2a9c1e")
    run(env, "user", "add", "jdoe", "--card", "CN=DOE.JANE.1234567890,OU=DoD")
    run(env, "sso", "card-add", "dana", "CN=DANA.1234,OU=DoD")

    taken = run(env, "user", "add", "eve", "--oidc-subject", "3f2a9c1e", check=False)
    assert taken.returncode == 1 and "already signs in as 'erik'" in taken.stderr
    assert "eve" not in run(env, "user", "list").stdout  # nothing half-made
    again = run(env, "sso", "card-add", "erik", "CN=DANA.1234,OU=DoD", check=False)
    assert again.returncode == 1 and "already mapped" in again.stderr
    bare = run(env, "user", "add", "fay", "--sso", check=False)
    assert bare.returncode == 1 and "--sso needs --email or --oidc-subject" in bare.stderr

    run(env, "sso", "group-add", "poam-editors", "--org", "acme", "--role", "editor")
    run(env, "sso", "group-add", "poam-editors", "--org", "acme", "--role", "owner")
    rows = json.loads(run(env, "sso", "groups", "--json").stdout)
    assert rows == [{"group": "poam-editors", "organization": "acme", "role": "owner"}]
    run(env, "member", "add", "dana", "--org", "acme", "--role", "owner")
    refused = run(env, "--as", "dana", "sso", "group-add", "x", "--org", "acme", "--role",
                  "owner", check=False)
    assert refused.returncode == 1 and "administrators only" in refused.stderr
    run(env, "sso", "group-remove", "poam-editors", "--org", "acme")
    missing = run(env, "sso", "group-remove", "poam-editors", "--org", "acme", check=False)
    assert missing.returncode == 1 and "no row for group 'poam-editors'" in missing.stderr

    trail = run(env, "history", "verify").stdout
    assert "audit trail intact" in trail


def test_a_subject_needs_the_issuer(tmp_path, database):
    env = environment(tmp_path / "data", **database)
    run(env, "setup")
    done = run(env, "user", "add", "erik", "--oidc-subject", "3f2a9c1e", check=False)
    assert done.returncode == 1 and "set OPENPOAM_OIDC_ISSUER first" in done.stderr
