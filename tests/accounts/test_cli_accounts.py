"""`openpoam user`, `member` and `history verify` as an operator runs them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.db import connection

from openpoam.cli import base
from openpoam.tracker.models import ChangeEvent, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(fast_hashing):
    from openpoam.cli import accounts, audit, items  # noqa: F401  (register commands)

    def invoke(*args):
        return CliRunner().invoke(base.cli, list(args), catch_exceptions=False)
    return invoke


def test_users_are_added_listed_and_deactivated(run, org_a):
    added = run("user", "add", "dana", "--email", "dana@example.com")
    assert added.exit_code == 0 and "password:" in added.output
    assert run("member", "add", "dana", "--org", "org-a", "--role", "editor").exit_code == 0
    assert run("member", "role", "dana", "assessor", "--org", "org-a").exit_code == 0
    listed = {u["username"]: u for u in json.loads(run("user", "list", "--json").output)}
    assert listed["dana"]["organizations"] == "org-a (assessor)"
    assert run("user", "remove", "dana").exit_code == 0
    assert not Membership.objects.filter(user__username="dana").exists()
    roles = [(e.action, e.old_value, e.new_value) for e in
             ChangeEvent.objects.filter(entity="membership", entity_ref="dana").order_by("sequence")]
    assert roles == [("create", "", "editor"), ("update", "editor", "assessor"),
                     ("delete", "assessor", "")]


def test_the_last_owner_cannot_leave(run, org_a):
    result = run("member", "remove", "alice", "--org", "org-a")
    assert result.exit_code == 1 and "needs at least one owner" in result.output
    assert run("member", "role", "alice", "viewer", "--org", "org-a").exit_code == 1


def test_history_poam_id_still_shows_an_items_history(run, org_a):
    result = run("history", org_a.item.poam_id, "--org", "org-a")
    assert result.exit_code == 0 and "create" in result.output
    assert run("history", "--org", "org-a", org_a.item.poam_id).exit_code == 0


def test_history_verify_passes_on_an_intact_trail(run, org_a):
    result = run("history", "verify", "--org", "org-a")
    assert result.exit_code == 0 and "audit trail intact" in result.output


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses the tampering")
def test_history_verify_names_the_edited_record_and_exits_non_zero(run, org_a):
    victim = ChangeEvent.objects.filter(organization=org_a.org).order_by("sequence")[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tracker_changeevent SET actor_name = 'mallory' WHERE id = %s",
                       [victim.pk])
    result = CliRunner().invoke(base.cli, ["history", "verify"])
    assert result.exit_code == 1
    assert f"record #{victim.sequence} (id {victim.pk}) was edited" in result.stderr


def test_a_viewer_may_not_verify_or_manage_members(run, org_a):
    result = run("--as", "bob", "member", "add", "bob", "--org", "org-a", "--role", "owner")
    assert result.exit_code == 1 and "may not" in result.output
    assert run("--as", "bob", "history", "verify", "--org", "org-a").exit_code == 1
