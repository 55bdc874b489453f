"""Password sign-in turned off for everyone but the break-glass administrator; the group
table's own rules (detail, through Django's test client and the services)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _post(client, username: str):
    return client.post("/login/", {"username": username, "password": PASSWORD})


def test_only_the_break_glass_account_signs_in_with_a_password(client, settings, alice, bob):
    settings.LOCAL_SIGNIN = False
    settings.BREAK_GLASS_USERS = ["alice"]
    refused = _post(client, "bob")
    assert refused.status_code == 200 and "Password sign-in is turned off" in refused.text
    assert "_auth_user_id" not in client.session
    page = client.get("/login/")
    assert "Administrator sign-in with a password" in page.text
    assert _post(client, "alice").status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_passwords_work_for_everyone_by_default(client, alice, bob):
    assert _post(client, "bob").status_code == 302
    assert "Sign in with" not in client.get("/login/").text  # no provider configured


def test_memberships_follow_groups_only_in_organizations_the_table_names(org_a, org_b, bob,
                                                                        charlie):
    from openpoam.accounts.services import sso
    from openpoam.tracker.models import Membership
    from openpoam.tracker.services import Actor

    admin = Actor.command_line("admin")
    sso.add_group_role(admin, "b-team", org_b.org, "editor")
    sso.add_group_role(admin, "b-leads", org_b.org, "owner")
    # bob is a viewer of org-a, which the table does not name: left alone.
    assert sso.sync_memberships(bob, {"b-team", "b-leads", "unknown"}) == ["org-b: owner"]
    assert Membership.objects.get(user=bob, organization=org_a.org).role == "viewer"
    assert sso.sync_memberships(bob, {"b-team"}) == ["org-b: editor"]
    assert sso.sync_memberships(bob, set()) == ["org-b: removed"]
    # charlie is org-b's only owner: without the group the membership stays, and says why.
    assert sso.sync_memberships(charlie, set()) == []
    assert Membership.objects.get(user=charlie, organization=org_b.org).role == "owner"


def test_only_an_administrator_edits_the_tables(org_a, alice):
    from openpoam.accounts.services import sso
    from openpoam.tracker.services import Actor, PermissionDenied

    with pytest.raises(PermissionDenied):
        sso.add_group_role(Actor.for_user(alice), "x", org_a.org, "owner")


def test_the_provider_counts_as_multifactor_only_as_configured(settings):
    from openpoam.accounts.services.sso import provider_mfa

    settings.OIDC_MFA_AMR, settings.OIDC_MFA_ACR = ["mfa"], ["urn:aal2"]
    assert provider_mfa({"amr": ["pwd", "mfa"]})
    assert provider_mfa({"acr": "urn:aal2"})
    assert not provider_mfa({"amr": ["pwd"], "acr": "urn:aal1"})
    assert not provider_mfa({})
