"""Signed-in pages are never stored (real HTTP to `openpoam serve`), and the admin site
writes every account change it allows to the audit trail (its groups are gone)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import administrator_client
from tests.deploy import servers

ORG, SYSTEM = "nostore", "enclave"


def _signed_in(site) -> requests.Session:
    site.run("org", "create", ORG, "--name", "No Store Ltd")
    site.run("system", "create", SYSTEM, "--org", ORG, "--name", "Enclave",
             "--framework", "cmmc-l2")
    password = servers.password_of(site.run("user", "add", "reader").stdout)
    site.run("member", "add", "reader", "--org", ORG, "--role", "owner")
    session, done = site.sign_in("reader", password)
    assert done.status_code == 302
    return session


def test_every_signed_in_page_says_no_store(site):
    session = _signed_in(site)
    for path in ("/", f"/org/{ORG}/system/{SYSTEM}/", f"/org/{ORG}/members/",
                 f"/org/{ORG}/audit/", "/tokens/", "/account/mfa/"):
        response = session.get(site.url + path, allow_redirects=False, timeout=30)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path
    token = site.run("token", "create", "--user", "reader", "--org", ORG,
                     "--name", "ci").stdout.strip().splitlines()[-1]
    api = site.get(f"/api/v1/orgs/{ORG}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    static = requests.get(site.url + "/static/web/openpoam.css", timeout=30)
    assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.django_db(transaction=True)
def test_the_admin_site_records_password_changes_and_offers_no_groups(live_server,
                                                                      django_user_model,
                                                                      settings):
    from openpoam.tracker.models import ChangeEvent

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = administrator_client(django_user_model, "an-old-long-password-1")
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    assert browser.get(live_server.url + "/admin/", timeout=30).status_code == 200
    for path in ("/admin/auth/group/", "/admin/auth/group/add/"):
        assert browser.get(live_server.url + path, timeout=30).status_code == 404, path
    form = browser.get(live_server.url + "/admin/password_change/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    done = browser.post(live_server.url + "/admin/password_change/", allow_redirects=False,
                        timeout=30, data={"csrfmiddlewaretoken": token,
                                          "old_password": "an-old-long-password-1",
                                          "new_password1": "a-new-long-password-2",
                                          "new_password2": "a-new-long-password-2"})
    assert done.status_code == 302
    event = ChangeEvent.objects.get(entity="account", entity_ref="root", field="password")
    assert event.new_value == "changed" and event.actor_name == "root"
    assert event.client_address == "127.0.0.1"
