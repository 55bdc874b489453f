"""Every read path of history, evidence, imports and snapshots is scoped by organization.

Over real HTTP (the live server) to the web pages and the API. For each read path a record
with the same identifier is planted in another organization (globex) and must not show.

The attack of issue 17: globex creates an item and deletes it; acme imports a POA&M CSV row
carrying that item's UUID; acme's editor must not read globex's title, risk or deletion
reason. The import no longer adopts such a UUID, and the history is read within the
organization even for an item that already carries one (planted as an older version stored).
"""

from __future__ import annotations

import csv
from datetime import date

import pytest
import requests
from django.test import Client

from openpoam.accounts.services import tokens
from openpoam.reviews.services import review
from openpoam.tracker.models import ChangeEvent, PoamItem, Role
from openpoam.tracker.services import Actor, setup
from openpoam.tracker.services import evidence as evidence_services
from openpoam.tracker.services import exports
from openpoam.tracker.services import imports as import_services
from openpoam.tracker.services import items as item_services
from tests.web.conftest import (acme, admin_actor, alice, bob, charlie,  # noqa: F401
                                enclave, globex, poam, web_settings)

SECRET_TITLE = "Globex secret weakness"
SECRET_REASON = "GLOBEX-ONLY deletion reason"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def twins(poam, globex, alice, charlie, admin_actor, tmp_path, monkeypatch):
    """globex's deleted item, exported before deletion; acme imports that file and also holds
    an item stored with the deleted item's UUID (as an import before this fix could)."""
    globex_actor = Actor.for_user(charlie)
    setup.add_member(admin_actor, globex.organization, alice, Role.VIEWER)  # sees both
    secret = PoamItem.objects.get(system=globex, title=SECRET_TITLE)
    item_services.update_item(globex_actor, secret, {"original_risk": "high"})
    exported = tmp_path / "globex.csv"
    exports.export_system(globex_actor, globex, "csv", exported)
    _new_poam_ids(exported)  # matched by UUID alone, not by an ID acme also uses
    item_services.delete_item(globex_actor, secret, SECRET_REASON)
    acme_actor = Actor.for_user(alice)
    imported = import_services.import_file(acme_actor, poam.system, exported, format_key="csv")
    stored = PoamItem.objects.filter(uuid=secret.uuid).first()  # the import adopted it
    if stored is None:
        with monkeypatch.context() as patch:  # the old write path: the file's UUID kept
            patch.setattr(item_services, "uuids_in_use", lambda *args, **kwargs: set())
            stored = item_services.create_item(acme_actor, poam.system, title="Acme's own twin",
                                               detected_on=date(2026, 1, 5), uuid=secret.uuid)
    other = item_services.create_item(globex_actor, globex, title="Globex other",
                                      detected_on=date(2026, 1, 3))
    globex_file = evidence_services.add_link(globex_actor, other, "https://globex.example/x",
                                             name="Globex evidence")
    globex_import = import_services.import_file(globex_actor, globex, exported,
                                                format_key="csv")
    globex_snapshot = review.take_snapshot(globex_actor, globex, "globex snapshot")
    return {"secret_uuid": secret.uuid, "imported": imported, "stored": stored,
            "globex_evidence": globex_file, "globex_import": globex_import,
            "globex_snapshot": globex_snapshot}


def _new_poam_ids(path) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["poam_id"] = "POAM-2026-0777"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _web(live_server, user) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.base = live_server.url
    return session


def _api(live_server, user, org) -> requests.Session:
    made = tokens.create_token(Actor.for_user(user), user, org, "twin test")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {made.secret}"
    session.base = live_server.url + "/api/v1"
    return session


def _get(session, path):
    return session.get(session.base + path, allow_redirects=False, timeout=30)


def test_an_imported_uuid_of_another_organization_is_not_adopted(twins):
    acme_items = PoamItem.objects.filter(organization__slug="acme")
    assert not acme_items.filter(title=SECRET_TITLE, uuid=twins["secret_uuid"]).exists()
    assert acme_items.filter(title=SECRET_TITLE).exists(), "the row itself was imported"


def test_history_on_the_web_item_page_stays_in_the_organization(live_server, twins, alice):
    web = _web(live_server, alice)
    for item in (twins["stored"], PoamItem.objects.get(organization__slug="acme",
                                                       title=SECRET_TITLE)):
        page = _get(web, f"/org/acme/system/enclave/items/{item.poam_id}/")
        assert page.status_code == 200
        assert SECRET_REASON not in page.text
    stored_page = _get(web, f"/org/acme/system/enclave/items/{twins['stored'].poam_id}/").text
    assert SECRET_TITLE not in stored_page


def test_history_through_the_api_stays_in_the_organization(live_server, twins, alice):
    api = _api(live_server, alice, twins["stored"].organization)
    poam_id = twins["stored"].poam_id
    history = _get(api, f"/orgs/acme/items/{poam_id}/history")
    assert history.status_code == 200
    events = history.json()["events"]
    assert events and all(e["item_uuid"] == str(twins["secret_uuid"]) for e in events)
    assert SECRET_TITLE not in history.text and SECRET_REASON not in history.text
    assert len(events) == ChangeEvent.objects.filter(
        organization__slug="acme", item_uuid=twins["secret_uuid"]).count()
    detail = _get(api, f"/orgs/acme/items/{poam_id}")
    assert detail.status_code == 200
    assert SECRET_TITLE not in detail.text and SECRET_REASON not in detail.text
    system = _get(api, "/orgs/acme/systems/enclave/history?limit=500")
    assert system.status_code == 200 and SECRET_REASON not in system.text


def test_evidence_of_another_organization_is_not_found(live_server, twins, alice, bob):
    uuid = twins["globex_evidence"].uuid
    api = _api(live_server, alice, twins["stored"].organization)
    assert _get(api, f"/orgs/acme/evidence/{uuid}/download").status_code == 404
    assert _get(_web(live_server, bob), f"/evidence/{uuid}/").status_code == 404


def test_imports_of_another_organization_are_not_found(live_server, twins, alice):
    record = twins["globex_import"].record.pk
    web = _web(live_server, alice)
    assert _get(web, f"/org/acme/system/enclave/imports/{record}/").status_code == 404
    listing = _get(web, "/org/acme/system/enclave/imports/")
    assert listing.status_code == 200 and "globex.csv" in listing.text  # acme's own import
    api = _api(live_server, alice, twins["stored"].organization)
    assert _get(api, f"/orgs/acme/systems/enclave/imports/{record}").status_code == 404


def test_snapshots_of_another_organization_are_not_found(live_server, twins, alice):
    number = twins["globex_snapshot"].pk
    web = _web(live_server, alice)
    assert _get(web, f"/org/acme/system/enclave/snapshots/{number}/export/csv/"
                ).status_code == 404
    compare = _get(web, f"/org/acme/system/enclave/snapshots/compare/?old={number}&new={number}")
    assert compare.status_code == 404
