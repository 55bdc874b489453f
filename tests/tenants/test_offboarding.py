"""Offboarding and token expiry, through the installed `openpoam` and real HTTP to
`openpoam serve`: after `openpoam user remove` the person's API tokens and the calendar
feeds they made stop answering, and stay dead when the account is brought back."""

from __future__ import annotations

import json
import re

from tests.deploy import servers

ORG, SYSTEM = "offboard", "enclave"


def _setup(site, username: str) -> dict:
    site.run("org", "create", ORG, "--name", "Offboarding Inc")
    site.run("system", "create", SYSTEM, "--org", ORG, "--name", "Enclave",
             "--framework", "cmmc-l2")
    site.run("user", "add", username)
    site.run("member", "add", username, "--org", ORG, "--role", "editor")
    token = site.run("token", "create", "--user", username, "--org", ORG,
                     "--name", "pipeline").stdout.strip().splitlines()[-1]
    feed = site.run("--as", username, "calendar", "create", "--org", ORG, "--system", SYSTEM,
                    "--base-url", site.url).stdout.strip().splitlines()[-1]
    return {"token": token, "feed": feed.removeprefix(site.url)}


def _api(site, token: str):
    return site.get(f"/api/v1/orgs/{ORG}/systems", headers={"Authorization": f"Bearer {token}"})


def test_user_remove_revokes_tokens_and_feeds_and_they_stay_revoked(site):
    made = _setup(site, "leaver")
    assert _api(site, made["token"]).status_code == 200
    assert site.get(made["feed"]).status_code == 200
    site.run("user", "remove", "leaver")
    assert _api(site, made["token"]).status_code == 401
    assert site.get(made["feed"]).status_code == 404
    listed = json.loads(site.run("token", "list", "--user", "leaver", "--json").stdout)
    assert [t["state"] for t in listed] == ["revoked"]
    # Brought back (the admin site's "active" box) and added again: still dead.
    site.python("from django.contrib.auth.models import User; "
                "User.objects.filter(username='leaver').update(is_active=True)")
    site.run("member", "add", "leaver", "--org", ORG, "--role", "editor")
    assert _api(site, made["token"]).status_code == 401
    assert site.get(made["feed"]).status_code == 404


def test_member_remove_revokes_that_organizations_tokens(site):
    made = _setup_second(site)
    assert _api(site, made).status_code == 200
    site.run("member", "remove", "mover", "--org", ORG)
    site.run("member", "add", "mover", "--org", ORG, "--role", "editor")
    assert _api(site, made).status_code == 401


def _setup_second(site) -> str:
    site.run("user", "add", "mover")
    site.run("member", "add", "mover", "--org", ORG, "--role", "editor")
    return site.run("token", "create", "--user", "mover", "--org", ORG,
                    "--name", "mover pipeline").stdout.strip().splitlines()[-1]


def test_tokens_expire_after_90_days_by_default_or_as_asked(site):
    site.run("user", "add", "expiring")
    site.run("member", "add", "expiring", "--org", ORG, "--role", "viewer")
    made = site.run("token", "create", "--user", "expiring", "--org", ORG, "--name", "short",
                    "--expires-in", "1").stdout
    assert re.search(r"expires \d{4}-\d{2}-\d{2}", made)
    short = made.strip().splitlines()[-1]
    default = site.run("token", "create", "--user", "expiring", "--org", ORG,
                       "--name", "default").stdout.strip().splitlines()[-1]
    rows = {t["name"]: t for t in json.loads(
        site.run("token", "list", "--user", "expiring", "--json").stdout)}
    days = site.python(
        "from openpoam.accounts.models import ApiToken as T; t = T.objects.get(name='default', "
        "user__username='expiring'); print((t.expires_at - t.created_at).days)")
    assert days.strip() == "90" and rows["default"]["state"] == "active"
    table = servers.run({**site.env, "COLUMNS": "160"}, "token", "list", "--user",
                        "expiring").stdout
    assert "expires" in table and rows["short"]["expires"] in table
    assert _api(site, short).status_code == 200
    site.python("from datetime import timedelta; from django.utils import timezone; "
                "from openpoam.accounts.models import ApiToken as T; T.objects.filter(name='short')"
                ".update(expires_at=timezone.now() - timedelta(seconds=1))")
    assert _api(site, short).status_code == 401
    assert _api(site, default).status_code == 200
    listed = {t["name"]: t["state"] for t in json.loads(
        site.run("token", "list", "--user", "expiring", "--json").stdout)}
    assert listed == {"short": "expired", "default": "active"}
    refused = site.run("token", "create", "--user", "expiring", "--org", ORG, "--name", "x",
                       "--expires-in", "0", check=False)
    assert refused.returncode == 2 and "--expires-in" in refused.stderr
