"""Every intent through every interface, in detail: the web pages through Django's client,
the API through its client (the CLI and real HTTP: tests/cli/test_intents_process.py). Each
intent's refusal is the service's, word for word, whichever interface is used, and a twin in
another organization (globex, charlie's) is never reached."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from openpoam.tracker.models import ApprovalRequest, ChangeEvent, PoamItem
from openpoam.tracker.services import Actor, items, requests
from tests.api.test_cr26_api import PATH as CR26_PATH
from tests.api.test_cr26_api import cloud  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(api_settings, poam, alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def _item_url(name: str, poam, item, *args) -> str:
    return reverse(name, args=[poam.org.slug, poam.system.slug, item.poam_id, *args])


# ---- create with dependencies: one call, one version, one history set ------------------------

def test_create_with_dependencies_is_one_call_in_the_browser_and_the_api(browser, as_alice,
                                                                         poam):
    web = browser.post(reverse("item-new", args=[poam.org.slug, poam.system.slug]),
                       {"title": "Waits for MFA", "detected_on": "2026-01-05",
                        "depends_on": poam.delayed.poam_id, "source": "other",
                        "original_risk": "moderate"})
    assert web.status_code == 302, web.content
    made = PoamItem.objects.get(title="Waits for MFA")
    assert [d.poam_id for d in made.depends_on.all()] == [poam.delayed.poam_id]
    assert made.version == 1  # created with its dependencies, not created then changed
    assert ChangeEvent.objects.filter(item_uuid=made.uuid, field="depends_on").count() == 1
    api = as_alice.post("orgs/acme/systems/enclave/items",
                        json={"title": "Waits too", "detected_on": "2026-01-05",
                              "depends_on": [made.poam_id]})
    assert api.status_code == 201 and api.json()["depends_on"] == [made.poam_id]
    assert api.json()["version"] == 1


def test_a_dependency_in_another_organization_is_unknown_everywhere(browser, as_alice, poam,
                                                                    globex, admin_actor):
    twin = items.create_item(admin_actor, globex, title="Twin", detected_on=date(2026, 1, 2),
                             poam_id="GLX-7").poam_id
    web = browser.post(reverse("item-new", args=[poam.org.slug, poam.system.slug]),
                       {"title": "Reaches out", "detected_on": "2026-01-05", "depends_on": twin,
                        "source": "other", "original_risk": "moderate"})
    api = as_alice.post("orgs/acme/systems/enclave/items",
                        json={"title": "Reaches out", "detected_on": "2026-01-05",
                              "depends_on": [twin]})
    assert web.status_code == 422 and f"depends_on: no item {twin} in acme" in \
        web.content.decode()
    assert api.status_code == 400 and api.json()["detail"] == f"depends_on: no item {twin} in acme"
    assert not PoamItem.objects.filter(title="Reaches out").exists()


# ---- requests and decisions -------------------------------------------------------------------

def _asked(poam, kind="risk_adjustment", **extra) -> ApprovalRequest:
    """A request made by someone other than alice (who decides)."""
    return requests.request_approval(Actor.command_line("carol"), poam.delayed, kind,
                                     "compensating control", proposed_risk="low", **extra)


def test_a_request_made_in_the_browser_is_decided_over_the_api(browser, as_alice, as_bob, poam):
    web = browser.post(_item_url("item-request", poam, poam.delayed),
                       {"kind": "operational_requirement", "rationale": "mission need"})
    assert web.status_code == 302, web.content
    asked = ApprovalRequest.objects.get()
    # alice asked: she cannot decide it, in the browser or over the API.
    own = as_alice.post(f"orgs/acme/requests/{asked.pk}/decision", json={"decision": "approve"})
    assert own.status_code == 400
    assert own.json()["detail"] == ("the approver of the operational requirement must be "
                                    "someone other than the person asking")
    assert as_bob.post(f"orgs/acme/requests/{asked.pk}/decision",
                       json={"decision": "approve"}).status_code == 403
    withdrawn = as_alice.post(f"orgs/acme/requests/{asked.pk}/decision",
                              json={"decision": "withdraw"})
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert as_alice.get(f"orgs/acme/requests/{asked.pk}").json() == withdrawn.json()


def test_a_request_made_over_the_api_is_decided_in_the_browser(browser, poam, bob):
    asked = _asked(poam)
    decide = _item_url("item-request-decide", poam, poam.delayed, asked.pk)
    refused = browser.post(decide, {"decision": "reject"})
    assert refused.status_code == 422
    assert "a rejection needs a reason for the person who asked" in refused.content.decode()
    assert browser.post(decide, {"decision": "maybe"}).status_code == 422
    approved = browser.post(decide, {"decision": "approve", "note": "agreed"})
    assert approved.status_code == 302
    assert PoamItem.objects.get(pk=poam.delayed.pk).adjusted_risk == "low"
    events = ChangeEvent.objects.filter(item_uuid=poam.delayed.uuid, entity="request")
    assert [e.new_value for e in events] == ["Risk adjustment requested",
                                             "Risk adjustment approved"]


def test_a_request_cannot_be_reached_from_another_organization(as_charlie, browser, poam,
                                                               globex, charlie):
    asked = _asked(poam)
    assert as_charlie.get(f"orgs/globex/requests/{asked.pk}").status_code == 404
    assert as_charlie.get(f"orgs/acme/requests/{asked.pk}").status_code == 404
    assert as_charlie.post(f"orgs/globex/requests/{asked.pk}/decision",
                           json={"decision": "approve"}).status_code == 404
    assert as_charlie.get("orgs/globex/requests").json()["requests"] == []
    twin = Client()
    twin.force_login(charlie)
    assert twin.post(_item_url("item-request-decide", poam, poam.delayed, asked.pk),
                     {"decision": "approve"}).status_code == 404
    assert ApprovalRequest.objects.get(pk=asked.pk).state == "pending"


def test_request_input_is_checked_by_the_schema_and_the_service(as_alice, poam):
    url = f"orgs/acme/items/{poam.delayed.poam_id}/requests"
    assert as_alice.post(url, json={"kind": "pardon", "rationale": "x"}).status_code == 422
    needs_date = as_alice.post(url, json={"kind": "risk_acceptance", "rationale": "x"})
    assert needs_date.status_code == 400
    assert needs_date.json()["detail"] == ("risk acceptance: a review date for the accepted "
                                           "risk is required")
    assert as_alice.get("orgs/acme/requests?state=lost").status_code == 422
    assert as_alice.get("orgs/acme/requests/99999999999999999999").status_code in (404, 422)


# ---- reviews and snapshots --------------------------------------------------------------------

def test_a_review_started_in_the_browser_is_walked_over_the_api(browser, as_alice, as_charlie,
                                                               poam):
    started = browser.post(reverse("system-reviews", args=["acme", "enclave"]),
                           {"month": "2026-11"})
    assert started.status_code == 302
    base = "orgs/acme/systems/enclave/reviews/2026-11"
    entry = as_alice.post(base + "/entries", json={"poam_id": poam.delayed.poam_id,
                                                   "action": "escalated"})
    assert entry.status_code == 400 and entry.json()["field"] == "note"
    entry = as_alice.post(base + "/entries", json={"poam_id": poam.delayed.poam_id,
                                                   "action": "escalated", "note": "to the CISO"})
    assert entry.status_code == 201 and entry.json()["by"].startswith("alice (API token")
    unfinished = as_alice.post(base + "/finish", json={})
    assert unfinished.status_code == 400 and "not reviewed yet" in unfinished.json()["detail"]
    assert as_charlie.get("orgs/globex/systems/cloud/reviews/2026-11").status_code == 404
    assert as_charlie.post("orgs/globex/systems/cloud/reviews/2026-11/entries", json={
        "poam_id": poam.delayed.poam_id, "action": "confirmed"}).status_code == 404
    finished = browser.post(reverse("system-review", args=["acme", "enclave", "2026-11"]),
                            {"summary": "partial", "allow_unreviewed": "on"})
    assert finished.status_code == 302
    shown = as_alice.get(base).json()
    assert shown["finished_by"] == "alice" and shown["snapshot_sha256"]
    assert [r["action"] for r in shown["items"] if r["poam_id"] == poam.delayed.poam_id] == [
        "escalated"]


def test_snapshots_of_another_organization_cannot_be_compared(as_alice, as_charlie, poam,
                                                              globex, admin_actor):
    from openpoam.reviews.services.review import take_snapshot

    mine = as_alice.post("orgs/acme/systems/enclave/snapshots", json={"label": "one"}).json()
    theirs = take_snapshot(admin_actor, globex, "twin")
    compared = as_alice.get(f"orgs/acme/systems/enclave/snapshots/compare?old={mine['id']}"
                            f"&new={theirs.pk}")
    assert compared.status_code == 404
    assert as_charlie.get(f"orgs/globex/systems/cloud/snapshots/compare?old={mine['id']}"
                          f"&new={theirs.pk}").status_code == 404


# ---- the quality gate -------------------------------------------------------------------------

def test_the_quality_gate_fails_on_what_it_is_told_to(as_alice, poam):
    strict = as_alice.get("orgs/acme/systems/enclave/checks?fail_on=warning").json()
    lenient = as_alice.get("orgs/acme/systems/enclave/checks").json()
    assert strict["issues"] == lenient["issues"] and strict["warnings"] > 0
    assert strict["passed"] is False and strict["fail_on"] == "warning"
    assert lenient["passed"] is (lenient["errors"] == 0)
    assert as_alice.get("orgs/acme/systems/enclave/checks?fail_on=never").status_code == 422


# ---- CR26 acceptance and reports --------------------------------------------------------------

def test_cr26_acceptance_over_the_api_and_in_the_browser(as_alice, as_bob, as_charlie, browser,
                                                         cloud, globex):  # noqa: F811
    url = CR26_PATH.format(org="acme", poam_id=cloud)
    assert as_bob.post(url + "/acceptance", json={"why": "no fix"}).status_code == 403
    accepted = as_alice.post(url + "/acceptance", json={"why": "vendor has no fix"})
    assert accepted.status_code == 201 and accepted.json()["accepted"], accepted.content
    twin = globex.items.get().poam_id
    assert as_charlie.post(CR26_PATH.format(org="acme", poam_id=cloud) + "/acceptance",
                           json={"why": "x"}).status_code == 404
    assert as_alice.post(CR26_PATH.format(org="globex", poam_id=twin) + "/acceptance",
                         json={"why": "x"}).status_code == 404
    page = browser.post(reverse("system-cr26-vuln", args=["acme", "cloud", cloud]),
                        {"action": "accept", "reason": ""})
    assert page.status_code == 400
    assert "say why it is accepted" in page.content.decode()


def test_cr26_reports_preview_and_record(as_alice, as_bob, as_charlie, cloud):  # noqa: F811
    from openpoam.tracker.models import Cr26Report

    url = "orgs/acme/systems/cloud/cr26/reports/vdt"
    preview = as_bob.get(url)
    assert preview.status_code == 200 and preview["Content-Type"] == "application/json"
    assert 'filename="cloud-cr26-vdt-' in preview["Content-Disposition"]
    assert not Cr26Report.objects.exists()
    assert as_bob.post(url).status_code == 403
    recorded = as_alice.post(url)
    assert recorded.status_code == 200 and Cr26Report.objects.count() == 1
    html = as_alice.get("orgs/acme/systems/cloud/cr26/reports/mhr")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert as_alice.get("orgs/acme/systems/cloud/cr26/reports/xyz").status_code == 422
    assert as_charlie.get(url).status_code == 404
    assert as_alice.get("orgs/acme/systems/enclave/cr26/reports/vdt").status_code == 400


# ---- members, invitations, tokens -------------------------------------------------------------

def test_members_are_the_owners_to_manage(as_alice, as_bob, as_charlie, poam):
    listed = as_alice.get("orgs/acme/members").json()["members"]
    assert {m["username"]: m["role"] for m in listed} == {"alice": "owner", "bob": "viewer"}
    assert as_bob.get("orgs/acme/members").status_code == 403
    last_owner = as_alice.patch("orgs/acme/members/alice", json={"role": "viewer"})
    assert last_owner.status_code == 400 and "needs at least one owner" in \
        last_owner.json()["detail"]
    assert as_alice.patch("orgs/acme/members/charlie", json={"role": "owner"}).status_code == 404
    assert as_charlie.call("DELETE", "orgs/globex/members/bob").status_code == 404
    assert as_charlie.call("DELETE", "orgs/acme/members/bob").status_code == 404
    invited = as_alice.post("orgs/acme/invitations", json={"invite": "new@acme.test",
                                                            "role": "editor"})
    assert invited.status_code == 201
    assert "/set-password/" in invited.json()["set_password_link"]
    same = as_alice.post("orgs/acme/invitations", json={"invite": "charlie", "role": "viewer"})
    unknown = as_alice.post("orgs/acme/invitations", json={"invite": "nobody", "role": "viewer"})
    assert same.json() == {**unknown.json(), "detail": same.json()["detail"]}
    assert same.json()["detail"].replace("charlie", "nobody") == unknown.json()["detail"]


def test_tokens_are_ones_own_and_read_only_tokens_make_none(as_alice, as_bob, poam, alice):
    made = as_alice.post("orgs/acme/tokens", json={"name": "CI", "read_only": True})
    assert made.status_code == 201 and made.json()["token"]["read_only"] is True
    refused = as_bob.post("orgs/acme/tokens", json={"name": "mine"})
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    bobs = [t["user"] for t in as_bob.get("orgs/acme/tokens").json()["tokens"]]
    assert set(bobs) == {"bob"}
    prefix = made.json()["token"]["prefix"]
    assert as_bob.post(f"orgs/acme/tokens/{prefix}/revoke").status_code == 404
    assert as_alice.post(f"orgs/acme/tokens/{prefix}/revoke").json()["state"] == "revoked"


def test_items_created_by_the_service_name_their_role_by_action(poam, bob):
    with pytest.raises(items.ServiceError, match="needs the role owner, editor"):
        items.create_item(Actor.for_user(bob), poam.system, title="x",
                          detected_on=date(2026, 1, 1))
