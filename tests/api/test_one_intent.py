"""One intent, one rule, whatever the interface (issue: drift between web, API and CLI):
a blank or over-long title, a change of controls or dependencies made from a stale copy,
bulk edit's rules, the import result's shape. The web through Django's client, the API
through its client and over real HTTP; the CLI side runs as a process in
tests/cli/test_one_intent_process.py."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

from openpoam.accounts.services import tokens
from openpoam.jobs.services import run_queued
from openpoam.tracker.models import ChangeEvent, PoamItem
from openpoam.tracker.services import Actor, bulk_edit
from openpoam.tracker.services import items as item_services
from tests.cli.test_one_intent_process import IMPORT_KEYS, NESSUS

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(api_settings, poam, alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def _edit_url(poam, item) -> str:
    return reverse("item-edit", args=[poam.org.slug, poam.system.slug, item.poam_id])


def _form(item, **changes) -> dict:
    values = {"title": item.title, "source": item.source, "original_risk": item.original_risk,
              "version": str(item.version)}
    values.update(changes)
    return values


def _text(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&amp;", "&")


# ---- a blank title, a title over its limit --------------------------------------------------

def test_a_blank_title_is_refused_by_the_web_form_without_the_browsers_check(browser, poam):
    item = poam.adjusted
    for title in ("", "   "):
        refused = browser.post(_edit_url(poam, item), _form(item, title=title))
        assert refused.status_code == 422
        assert "title: a POA&amp;M item needs a title" in refused.content.decode()
    assert PoamItem.objects.get(pk=item.pk).title == item.title


def test_a_blank_title_is_refused_by_the_api(as_alice, poam):
    item = poam.adjusted
    refused = as_alice.patch(f"orgs/acme/items/{item.poam_id}",
                             json={"version": item.version, "title": "  "})
    assert refused.status_code == 400
    assert refused.json() == {"detail": "title: a POA&M item needs a title", "field": "title"}


def test_one_length_limit_per_field_in_the_service_the_form_and_the_api(browser, as_alice,
                                                                        poam):
    from openpoam.tracker.services.fields import TEXT_LIMITS

    assert TEXT_LIMITS["title"] == 500 and TEXT_LIMITS["comments"] == 100_000
    form = browser.get(_edit_url(poam, poam.adjusted)).content.decode()
    assert 'name="title" maxlength="500"' in form
    assert 'name="comments" maxlength="100000"' in form
    long = "x" * 100_000
    refused = browser.post(_edit_url(poam, poam.adjusted), _form(poam.adjusted, title=long))
    assert refused.status_code == 422
    assert "title: at most 500 characters (100,000 given)" in _text(refused)
    new = browser.post(reverse("item-new", args=[poam.org.slug, poam.system.slug]),
                       {"title": long, "detected_on": "2026-01-05"})
    assert new.status_code == 422 and "title: at most 500 characters" in _text(new)
    api = as_alice.post("orgs/acme/systems/enclave/items",
                        json={"title": "x" * 501, "detected_on": "2026-01-05"})
    assert api.status_code == 422 and api.json()["field"] == "title"
    schema = as_alice.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schema["ItemUpdate"]["properties"]["comments"]["anyOf"][0]["maxLength"] == 100_000
    assert not PoamItem.objects.filter(title__startswith="xxx").exists()


def test_a_future_detection_date_and_a_day_that_does_not_exist(browser, as_alice, poam):
    new = reverse("item-new", args=[poam.org.slug, poam.system.slug])
    future = browser.post(new, {"title": "Later", "detected_on": "2999-01-01"})
    assert future.status_code == 422 and "is in the future" in _text(future)
    no_day = browser.post(new, {"title": "Feb", "detected_on": "2026-02-30"})
    assert "detected_on: '2026-02-30' is not a real date" in _text(no_day)
    api = as_alice.post("orgs/acme/systems/enclave/items",
                        json={"title": "Later", "detected_on": "2999-01-01"})
    assert api.status_code == 400 and api.json()["field"] == "detected_on"
    assert not PoamItem.objects.filter(title__in=["Later", "Feb"]).exists()


# ---- controls and dependencies move the version ---------------------------------------------

def test_changing_controls_or_dependencies_raises_the_version(poam):
    actor = Actor.command_line("tester")
    item = PoamItem.objects.get(pk=poam.adjusted.pk)
    after = item_services.set_controls(actor, item, ["3.13.8", "3.1.1"])
    assert after.version == item.version + 1
    again = item_services.set_dependencies(actor, after, [])
    assert again.version == after.version + 1
    unchanged = item_services.set_dependencies(actor, again, [])
    assert unchanged.version == again.version  # nothing changed, no new version


def test_two_people_changing_controls_at_once_are_told_over_the_api(as_alice, poam):
    item = PoamItem.objects.get(pk=poam.adjusted.pk)
    first = as_alice.patch(f"orgs/acme/items/{item.poam_id}",
                           json={"version": item.version, "controls": ["3.1.1"]})
    assert first.status_code == 200 and first.json()["version"] == item.version + 1
    second = as_alice.patch(f"orgs/acme/items/{item.poam_id}",
                            json={"version": item.version, "depends_on": []})
    assert second.status_code == 409 and second.json()["field"] == "version"
    assert [c["control_id"] if isinstance(c, dict) else c
            for c in second.json()["current"]["controls"]] != []


def test_two_people_changing_dependencies_at_once_are_told_in_the_browser(browser, poam):
    item = PoamItem.objects.get(pk=poam.adjusted.pk)
    url = _edit_url(poam, item)
    assert browser.post(url, _form(item, depends_on="")).status_code == 302
    stale = browser.post(url, _form(item, controls="3.1.1"))
    assert stale.status_code == 422 and "was changed by someone else" in _text(stale)


# ---- bulk edit: one service, one rule set ---------------------------------------------------

def test_bulk_edit_needs_a_justification_on_the_web_and_in_the_api(browser, as_alice, poam):
    item = PoamItem.objects.get(pk=poam.delayed.pk)
    web = browser.post(reverse("system-bulk", args=[poam.org.slug, poam.system.slug]),
                       {"items": [item.poam_id], "change": "status", "value_status": "in_progress"})
    api = as_alice.post("orgs/acme/items/bulk", json={"changes": [
        {"poam_id": item.poam_id, "version": item.version, "comments": "bulk"}]})
    rule = "justification: a bulk change needs a justification; each item's history keeps it"
    assert web.status_code == 422 and rule in _text(web)
    assert api.status_code == 400 and api.json()["detail"] == rule
    assert PoamItem.objects.get(pk=item.pk).version == item.version
    done = as_alice.post("orgs/acme/items/bulk", json={"justification": "weekly triage",
                                                        "changes": [
        {"poam_id": item.poam_id, "version": item.version, "comments": "bulk"}]})
    assert done.status_code == 200, done.content
    assert ChangeEvent.objects.filter(item_uuid=item.uuid, field="comments",
                                      justification="weekly triage").exists()


def test_bulk_edit_has_one_limit_on_the_web_and_in_the_api(browser, as_alice, poam,
                                                           monkeypatch):
    monkeypatch.setattr(bulk_edit, "MAX_ITEMS", 1)
    ids = [poam.delayed.poam_id, poam.adjusted.poam_id]
    web = browser.post(reverse("system-bulk", args=[poam.org.slug, poam.system.slug]),
                       {"items": ids, "change": "status", "value_status": "in_progress",
                        "justification": "triage"})
    api = as_alice.post("orgs/acme/items/bulk", json={"justification": "triage", "changes": [
        {"poam_id": i.poam_id, "version": i.version, "comments": "x"}
        for i in PoamItem.objects.filter(poam_id__in=ids)]})
    assert web.status_code == 422 and "bulk change: at most 1 items at a time" in _text(web)
    assert api.status_code == 400 and api.json()["detail"].startswith("bulk change: at most 1")
    assert PoamItem.objects.filter(comments="x").count() == 0


# ---- the import result's one shape ----------------------------------------------------------

def test_the_api_import_result_has_the_clis_shape(as_alice, poam, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("june.nessus", NESSUS.encode(), content_type="application/xml")
    dry = as_alice.post("orgs/acme/systems/enclave/imports",
                        data={"file": upload, "dry_run": "true", "wait": "true"})
    assert dry.status_code == 200, dry.content
    assert set(dry.json()) == IMPORT_KEYS
    assert (dry.json()["id"], dry.json()["counts"]["new"]) == (None, 1)
    upload.seek(0)  # as a job (the default), its result has the same shape
    job = as_alice.post("orgs/acme/systems/enclave/imports", data={"file": upload})
    assert job.status_code == 202 and run_queued() == 1
    done = as_alice.get(job["Location"]).json()
    assert set(done["result"]) == IMPORT_KEYS and done["result"]["counts"]["new"] == 1


# ---- over real HTTP ---------------------------------------------------------------------------

def test_the_rules_hold_over_real_http(live_server, transactional_db, poam, alice):
    made = tokens.create_token(Actor.for_user(alice), alice, poam.org, "http test")
    item = PoamItem.objects.get(pk=poam.adjusted.pk)

    def call(method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {made.secret}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())

    status, body = call("PATCH", f"orgs/acme/items/{item.poam_id}",
                        {"version": item.version, "title": ""})
    assert (status, body["field"]) == (400, "title")
    status, body = call("PATCH", f"orgs/acme/items/{item.poam_id}",
                        {"version": item.version, "controls": ["3.1.1"]})
    assert status == 200 and body["version"] == item.version + 1
    status, body = call("PATCH", f"orgs/acme/items/{item.poam_id}",
                        {"version": item.version, "depends_on": []})
    assert status == 409
    status, body = call("POST", "orgs/acme/items/bulk", {"changes": [
        {"poam_id": item.poam_id, "version": item.version + 1, "comments": "x"}]})
    assert status == 400 and body["field"] == "justification"
    # A POST to a path the API does not have: JSON, not Django's CSRF page.
    status, body = call("POST", "no/such/path", {})
    assert (status, body["detail"]) == (404, "Not found.")
