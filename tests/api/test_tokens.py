"""Tokens: stored as digests, shown once, limited to one organization and the user's role,
last use noted, creation / use from a new address / revocation recorded; the command
line and the web page that make and revoke them."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from django.test import Client

from openpoam.accounts.services import tokens
from openpoam.accounts.models import ApiToken
from openpoam.cli import base
from openpoam.tracker.models import ChangeEvent, Membership
from openpoam.tracker.services import audit
from openpoam.tracker.services import Actor
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_only_the_digest_is_stored(as_alice):
    token = ApiToken.objects.get(name="alice test")
    assert token.digest == hashlib.sha256(as_alice.secret.encode()).hexdigest()
    assert as_alice.secret.startswith(f"opoam_{token.prefix}_")
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert as_alice.secret not in stored and as_alice.secret.split("_", 2)[2] not in stored


def test_a_token_works_in_its_own_organization_only(as_charlie, poam):
    listed = as_charlie.get("orgs").json()["organizations"]
    assert listed == [{"slug": "globex", "name": "Globex", "role": "owner"}]
    assert as_charlie.get("orgs/globex/systems").status_code == 200
    assert as_charlie.get("orgs/acme").status_code == 404


def test_a_token_follows_the_users_role(as_alice, poam, alice):
    Membership.objects.filter(user=alice, organization=poam.org).update(role="viewer")
    response = as_alice.post("orgs/acme/persons", json={"name": "Lee Park"})
    assert response.status_code == 403
    assert "needs the role owner, editor" in response.json()["detail"]
    Membership.objects.filter(user=alice, organization=poam.org).delete()
    assert as_alice.get("orgs/acme").status_code == 404


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer opoam_0000_nope", "Basic abc",
                                    "Bearer " + "x" * 5000])
def test_anything_but_a_live_token_is_401(as_alice, header):
    response = as_alice.client.get("/api/v1/orgs", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["field"] == ""


def test_a_revoked_token_is_401_and_revocation_is_recorded(as_alice, alice):
    token = ApiToken.objects.get(name="alice test")
    tokens.revoke_token(Actor.for_user(alice), token)
    assert as_alice.get("orgs").status_code == 401
    records = ChangeEvent.objects.filter(entity="token", entity_ref=token.prefix)
    assert [(r.action, r.actor_name) for r in records.filter(field__in=("", "name"))] == [
        ("create", "alice"), ("delete", "alice")]
    assert records.get(action="delete").justification == "revoked"
    assert records.get(field="user").new_value == "alice"
    assert audit.verify(token.organization)[1] == []  # in the organization's hash chain


def test_a_disabled_user_is_401(as_alice, alice):
    alice.is_active = False
    alice.save()
    assert as_alice.get("orgs").status_code == 401


def test_last_use_and_each_new_address_are_recorded(as_alice):
    token = ApiToken.objects.get(name="alice test")
    assert token.last_used_at is None
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1"):
        as_alice.get("orgs", REMOTE_ADDR=address)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_from == "10.0.0.1"
    uses = ChangeEvent.objects.filter(entity="token", entity_ref=token.prefix, field="used from")
    assert [(u.new_value, u.client_address) for u in uses] == [("10.0.0.1", "10.0.0.1"),
                                                               ("10.0.0.2", "10.0.0.2")]
    assert uses[0].actor_name == f"alice (API token {token.prefix})"


def test_only_its_user_or_an_owner_may_revoke(poam, alice, bob):
    made = tokens.create_token(Actor.for_user(bob), bob, poam.org, "bob's")
    with pytest.raises(tokens.PermissionDenied):
        tokens.create_token(Actor.for_user(bob), alice, poam.org, "for alice")
    tokens.revoke_token(Actor.for_user(alice), made.token)  # alice owns acme
    other = tokens.create_token(Actor.for_user(alice), alice, poam.org, "alice's")
    with pytest.raises(tokens.PermissionDenied):
        tokens.revoke_token(Actor.for_user(bob), other.token)


def test_a_user_needs_membership_and_a_name(globex, alice, poam):
    with pytest.raises(tokens.ServiceError, match="not a member"):
        tokens.create_token(Actor.for_user(alice), alice, globex.organization, "x")
    with pytest.raises(tokens.ServiceError, match="name"):
        tokens.create_token(Actor.for_user(alice), alice, poam.org, "  ")


# ---- the command line ---------------------------------------------------------------------

@pytest.fixture
def run():
    from openpoam.cli import tokens as _  # noqa: F401  (registers the commands)

    runner = CliRunner()
    return lambda *args: runner.invoke(base.cli, list(args), catch_exceptions=False)


def test_the_cli_prints_the_token_on_the_last_line(run, poam, api_settings):
    result = run("token", "create", "--user", "bob", "--org", "acme", "--name", "[bold]ci[/]",
                 "--read-only")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/orgs/acme").json()["role"] == "viewer"
    listed = run("token", "list", "--org", "acme")
    assert "[bold]ci[/]" in listed.output and secret not in listed.output
    as_json = json.loads(run("token", "list", "--json").output)
    prefix = as_json[0]["prefix"]
    assert as_json[0]["read_only"] is True and as_json[0]["user"] == "bob"
    assert run("token", "revoke", prefix).exit_code == 0
    assert client.get("/api/v1/orgs/acme").status_code == 401
    again = run("token", "revoke", prefix)
    assert again.exit_code == 1 and "already revoked" in again.output


def test_the_cli_refuses_unknown_users_and_non_members(run, poam, globex):
    assert "no user 'dora'" in run("token", "create", "--user", "dora", "--org", "acme",
                                   "--name", "x").output
    refused = run("token", "create", "--user", "bob", "--org", "globex", "--name", "x")
    assert refused.exit_code == 1 and "not a member of globex" in refused.output


# ---- the web page -------------------------------------------------------------------------

@pytest.fixture
def browser(poam, alice):
    client = Client(HTTP_HOST="localhost")
    assert client.login(username="alice", password=PASSWORD)
    return client


def test_the_page_shows_a_new_token_once(browser, poam):
    made = browser.post("/tokens/", {"organization": "acme", "name": "<b>ci</b>",
                                     "read_only": "on"})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(name="<b>ci</b>")
    secret = made.context["new_secret"]
    assert secret.startswith(f"opoam_{token.prefix}_") and secret.encode() in made.content
    assert b"&lt;b&gt;ci&lt;/b&gt;" in made.content and b"<b>ci</b>" not in made.content
    assert secret.encode() not in browser.get("/tokens/").content
    assert token.read_only


def test_the_page_refuses_another_organization(browser, globex):
    refused = browser.post("/tokens/", {"organization": "globex", "name": "sneaky"})
    assert b"choose one of your organizations" in refused.content
    assert not ApiToken.objects.filter(name="sneaky").exists()


def test_the_page_revokes_own_tokens_only(browser, poam, bob):
    own = tokens.create_token(Actor.for_user(poam.org.memberships.get(role="owner").user),
                              poam.org.memberships.get(role="owner").user, poam.org, "mine")
    others = tokens.create_token(Actor.for_user(bob), bob, poam.org, "bob's")
    assert browser.post("/tokens/revoke/", {"token": others.token.pk}).status_code == 302
    assert browser.post("/tokens/revoke/", {"token": "x"}).status_code == 302
    assert browser.post("/tokens/revoke/", {"token": own.token.pk}).status_code == 302
    own.token.refresh_from_db()
    others.token.refresh_from_db()
    assert own.token.revoked_at and not others.token.revoked_at


def test_the_page_needs_sign_in(poam, api_settings):
    response = Client(HTTP_HOST="localhost").get("/tokens/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_assessor_token_records_assessments_but_edits_no_plan(poam, alice, django_user_model,
                                                                 api_settings):
    from openpoam.tracker.services import setup
    from tests.api.conftest import _caller

    dora = django_user_model.objects.create_user("dora", password="a-long-test-password-42")
    setup.add_member(Actor.command_line(), poam.org, dora, "assessor")
    as_dora = _caller("dora", dora, poam.org)
    recorded = as_dora.post("orgs/acme/systems/enclave/assessments", json={
        "assessment": {"level": 2, "assessment_type": "C3PAO", "results": {}}})
    assert recorded.status_code == 201, recorded.content
    item = as_dora.get(f"orgs/acme/items/{poam.delayed.poam_id}").json()
    refused = as_dora.patch(f"orgs/acme/items/{poam.delayed.poam_id}",
                            json={"version": item["version"], "comments": "moved"})
    assert refused.status_code == 403
