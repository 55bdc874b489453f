"""Items over the API: the web list's filters, cursor pages, optimistic concurrency,
status transitions, bulk all-or-nothing, and the JSON error shape."""

from __future__ import annotations

from datetime import date

import pytest

from openpoam.domain.poam import AffectedAsset as AssetData
from openpoam.tracker.models import ChangeEvent, PoamItem
from openpoam.tracker.services import Actor
from openpoam.tracker.services import items as item_services

pytestmark = pytest.mark.django_db
ITEMS = "orgs/acme/systems/enclave/items"


def _ids(response) -> list[str]:
    return [item["poam_id"] for item in response.json()["items"]]


def test_list_uses_the_web_filters(as_alice, poam):
    assert _ids(as_alice.get(ITEMS)) == sorted([poam.delayed.poam_id, poam.adjusted.poam_id,
                                                poam.closed.poam_id])
    assert _ids(as_alice.get(f"{ITEMS}?status=delayed")) == [poam.delayed.poam_id]
    assert _ids(as_alice.get(f"{ITEMS}?status=completed")) == [poam.closed.poam_id]
    # The effective risk: adjusted from high to moderate.
    assert _ids(as_alice.get(f"{ITEMS}?risk=moderate")) == [poam.adjusted.poam_id]
    assert _ids(as_alice.get(f"{ITEMS}?sort=-due"))[0] == poam.adjusted.poam_id
    assert _ids(as_alice.get(f"{ITEMS}?source=vulnerability_scan")) == [poam.adjusted.poam_id]
    assert _ids(as_alice.get(f"{ITEMS}?owner={poam.delayed.owner_id}")) == [poam.delayed.poam_id]
    assert _ids(as_alice.get(f"{ITEMS}?control=3.3.1")) == [poam.closed.poam_id]
    assert as_alice.get(f"{ITEMS}?owner=dana").json()["field"] == "owner"


def test_an_unknown_filter_value_is_422_naming_it(as_alice, poam):
    response = as_alice.get(f"{ITEMS}?status=sleeping")
    assert response.status_code == 422
    assert response.json()["field"] == "status"


@pytest.mark.parametrize("sort", ["id", "-id", "due", "-due", "risk", "-risk", "updated"])
def test_cursor_pages_visit_every_item_once(as_alice, poam, alice, sort):
    actor = Actor.for_user(alice)
    for n in range(7):  # ties on the date and on the risk: poam_id breaks them
        item_services.create_item(actor, poam.system, title=f"Gap {n}",
                                  detected_on=date(2026, 1, 1), original_risk="moderate",
                                  scheduled_completion=date(2026, 5, n % 3 + 1) if n % 2 else None)
    expected = _ids(as_alice.get(f"{ITEMS}?sort={sort}&limit=500"))
    seen, cursor = [], ""
    while True:
        page = as_alice.get(f"{ITEMS}?sort={sort}&limit=3&cursor={cursor}").json()
        seen += [item["poam_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected and len(seen) == 10


def test_delayed_pages_are_full_and_complete(as_alice, poam, alice):
    actor = Actor.for_user(alice)
    for n in range(5):
        item_services.create_item(actor, poam.system, title=f"Late {n}",
                                  detected_on=date(2024, 1, 1),
                                  scheduled_completion=date(2024, 2, 1))
        item_services.create_item(actor, poam.system, title=f"On time {n}",
                                  detected_on=date(2024, 1, 1),
                                  scheduled_completion=date(2099, 2, 1))
    first = as_alice.get(f"{ITEMS}?status=delayed&limit=4").json()
    second = as_alice.get(f"{ITEMS}?status=delayed&limit=4&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert second["next_cursor"] is None
    assert all(item["delayed"] for item in first["items"] + second["items"])


def test_a_forged_cursor_is_400(as_alice, poam):
    response = as_alice.get(f"{ITEMS}?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response.json() == {"detail": "cursor: not a cursor this API handed out",
                               "field": "cursor"}


def test_create_returns_the_item(as_alice, poam):
    response = as_alice.post(ITEMS, json={
        "title": "Unpatched OpenSSL", "detected_on": "2026-03-01", "controls": ["3.14.1"],
        "assets": [{"name": "web01", "port": "443", "protocol": "tcp"}],
        "original_risk": "high", "owner": "Dana Reyes", "scheduled_completion": "2026-04-01"})
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["owner"] == "Dana Reyes" and item["version"] == 1
    assert item["controls"] == [{"catalog": "nist-800-171r2", "control_id": "3.14.1"}]
    assert PoamItem.objects.filter(poam_id=item["poam_id"]).exists()


def test_update_with_a_stale_version_is_409_with_the_current_values(as_alice, poam, alice):
    url = f"orgs/acme/items/{poam.delayed.poam_id}"
    version = as_alice.get(url).json()["version"]
    item_services.update_item(Actor.for_user(alice), poam.delayed, {"comments": "from the web"})
    response = as_alice.patch(url, json={"version": version, "comments": "from a script"})
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "version"
    assert body["current"]["comments"] == "from the web"
    assert body["current"]["version"] == version + 1
    assert PoamItem.objects.get(pk=poam.delayed.pk).comments == "from the web"


def test_update_changes_fields_and_bumps_the_version(as_alice, poam):
    url = f"orgs/acme/items/{poam.delayed.poam_id}"
    version = as_alice.get(url).json()["version"]
    response = as_alice.patch(url, json={"version": version, "comments": "Patched",
                                         "scheduled_completion": "2099-01-01",
                                         "justification": "vendor fix slipped"})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == version + 1
    event = ChangeEvent.objects.filter(item_uuid=poam.delayed.uuid,
                                       field="scheduled_completion").last()
    assert event.justification == "vendor fix slipped"
    assert event.actor_name.startswith("alice (API token ")


def test_a_refused_change_names_the_field(as_alice, poam):
    url = f"orgs/acme/items/{poam.delayed.poam_id}"
    version = as_alice.get(url).json()["version"]
    response = as_alice.patch(url, json={"version": version,
                                         "scheduled_completion": "2099-01-01"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Moving a due date requires a justification")
    response = as_alice.patch(url, json={"version": version, "owner": "Nobody"})
    assert response.status_code == 400 and response.json()["field"] == "owner"


def test_invalid_json_fields_are_422_naming_the_field(as_alice, poam):
    response = as_alice.post(ITEMS, json={"title": "x", "detected_on": "yesterday"})
    assert response.status_code == 422
    assert response.json()["field"] == "detected_on"


def test_status_transition_follows_the_workflow(as_alice, poam):
    created = as_alice.post(ITEMS, json={"title": "No evidence yet", "detected_on": "2026-01-01"})
    url = f"orgs/acme/items/{created.json()['poam_id']}/status"
    refused = as_alice.post(url, json={"status": "completed", "actual_completion": "2026-03-01"})
    assert refused.status_code == 400
    assert "evidence" in refused.json()["detail"]
    moved = as_alice.post(url, json={"status": "in_progress"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"


def test_bulk_is_all_or_nothing(as_alice, poam):
    delayed = as_alice.get(f"orgs/acme/items/{poam.delayed.poam_id}").json()
    adjusted = as_alice.get(f"orgs/acme/items/{poam.adjusted.poam_id}").json()
    response = as_alice.post("orgs/acme/items/bulk", json={"justification": "triage", "changes": [
        {"poam_id": delayed["poam_id"], "version": delayed["version"], "comments": "one"},
        {"poam_id": adjusted["poam_id"], "version": adjusted["version"], "owner": "Nobody"}]})
    assert response.status_code == 400
    assert response.json()["field"] == "changes[1].owner"
    assert PoamItem.objects.get(pk=poam.delayed.pk).comments != "one"
    response = as_alice.post("orgs/acme/items/bulk", json={"justification": "triage", "changes": [
        {"poam_id": delayed["poam_id"], "version": delayed["version"], "comments": "one"},
        {"poam_id": adjusted["poam_id"], "version": adjusted["version"],
         "status": {"status": "in_progress"}}]})
    assert response.status_code == 200, response.content
    assert [i["comments"] for i in response.json()["items"]][0] == "one"
    assert response.json()["items"][1]["status"] == "in_progress"


def test_milestones_and_history(as_alice, poam):
    base = f"orgs/acme/items/{poam.delayed.poam_id}"
    added = as_alice.post(f"{base}/milestones", json={"description": "Retest", "due": "2026-09-01"})
    assert added.status_code == 201 and added.json()["sequence"] == 3
    moved = as_alice.post(f"{base}/milestones/3/reschedule",
                          json={"due": "2026-10-01", "justification": "retest window moved"})
    assert moved.json()["original_due"] == "2026-09-01"
    assert moved.json()["current_due"] == "2026-10-01"
    assert moved.json()["changes"][0]["justification"] == "retest window moved"
    item = as_alice.get(base).json()  # the item reads only its history's date changes
    assert [m["changes"] for m in item["milestones"]][2][0]["new_due"] == "2026-10-01"
    assert "history" not in item
    history = as_alice.get(f"{base}/history?limit=2").json()
    assert len(history["events"]) == 2 and history["next_cursor"]
    rest = as_alice.get(f"{base}/history?limit=500&cursor={history['next_cursor']}").json()
    assert rest["events"][-1]["justification"] == "retest window moved"


def test_evidence_upload_and_download(as_alice, poam, api_settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"orgs/acme/items/{poam.delayed.poam_id}/evidence"
    response = as_alice.post(url, data={"file": SimpleUploadedFile(
        "page.html", b"<script>alert(1)</script>")})
    assert response.status_code == 201, response.content
    download = as_alice.get(f"orgs/acme/evidence/{response.json()['uuid']}/download")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"  # never rendered
    assert b"".join(download.streaming_content) == b"<script>alert(1)</script>"


def test_unknown_paths_and_methods_answer_json(as_alice, poam):
    for path in ("/api/v1/nothing", "/api/nothing", "/api/v1/orgs/acme/items/POAM-1999-0001"):
        response = as_alice.get(path)
        assert response.status_code == 404
        assert response.json()["detail"] == "Not found."
    response = as_alice.call("put", "orgs/acme")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert response.json() == {"detail": "PUT is not allowed here (allowed: GET).", "field": ""}


def test_a_body_over_the_limit_is_413_before_it_is_read(as_alice, poam, api_settings):
    api_settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = as_alice.post(ITEMS, json={"title": "x" * 200_000, "detected_on": "2026-01-01"})
    assert response.status_code == 413
    assert "request body" in response.json()["detail"]


def test_the_rate_limit_is_per_token(as_alice, as_bob, poam, api_settings, monkeypatch):
    from openpoam.api.main import api

    throttle = api.throttle[0]
    monkeypatch.setattr(throttle, "num_requests", 3)
    statuses = [as_alice.get("orgs/acme").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert as_alice.get("orgs/acme").json()["detail"].startswith("Too many requests")
    assert as_bob.get("orgs/acme").status_code == 200


def test_a_page_of_items_takes_the_same_queries_whatever_its_size(as_alice, poam, alice,
                                                                 django_assert_max_num_queries):
    actor = Actor.for_user(alice)
    for n in range(60):
        item = item_services.create_item(actor, poam.system, title=f"Gap {n}",
                                         detected_on=date(2026, 1, 1), controls=["3.1.1"])
        item_services.add_asset(actor, item, AssetData(name=f"host{n}"))
    as_alice.get("orgs/acme")  # the token's first use from this address is recorded once
    with django_assert_max_num_queries(14):
        page = as_alice.get(f"{ITEMS}?limit=50")
    assert len(page.json()["items"]) == 50


def test_evidence_over_the_limit_is_413_and_nothing_is_stored(as_alice, poam, api_settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from openpoam.tracker.models import Evidence

    api_settings.EVIDENCE_MAX_BYTES = 10
    before = Evidence.objects.count()
    response = as_alice.post(f"orgs/acme/items/{poam.delayed.poam_id}/evidence",
                             data={"file": SimpleUploadedFile("big.txt", b"x" * 100)})
    assert response.status_code == 413 and response.json()["field"] == "file"
    assert Evidence.objects.count() == before


def test_lists_count_assets_and_the_item_lists_them(as_alice, poam):
    listed = {i["poam_id"]: i for i in as_alice.get(ITEMS).json()["items"]}
    row = listed[poam.delayed.poam_id]
    assert "assets" not in row and (row["asset_count"], row["open_asset_count"]) == (1, 1)
    item = as_alice.get(f"orgs/acme/items/{poam.delayed.poam_id}").json()
    assert [a["name"] for a in item["assets"]] == ["vpn01.acme.test"]
    assert item["asset_count"] == 1


def test_metrics_and_checks_are_the_products_own(as_alice, poam):
    metrics = as_alice.get("orgs/acme/systems/enclave/metrics?today=2026-06-01").json()
    assert metrics["total"] == 3 and metrics["delayed"] == 1
    assert metrics["by_status"]["completed"] == 1
    assert metrics["progress"]["open_total"] == 2 and "forecast" in metrics["progress"]
    checks = as_alice.get("orgs/acme/systems/enclave/checks").json()
    assert checks["items"] == 3 and checks["errors"] + checks["warnings"] == len(checks["issues"])
    assert {"code", "hint", "citation"} <= set(checks["issues"][0])


def test_a_nul_character_is_422_naming_the_field(as_alice, poam):
    response = as_alice.post(ITEMS, json={"title": "a\x00b", "detected_on": "2026-01-01"})
    assert response.status_code == 422 and response.json()["field"] == "title"
    assert as_alice.get("orgs/acme/items/POAM\x00").status_code == 404


def test_risk_acceptance_names_a_person_as_approver(as_alice, poam):
    url = f"orgs/acme/items/{poam.adjusted.poam_id}/status"
    response = as_alice.post(url, json={"status": "risk_accepted", "approver": "Dana Reyes",
                                        "rationale": "Compensating network controls",
                                        "review_date": "2099-01-01"})
    assert response.status_code == 200, response.content
    assert response.json()["approver"] == "Dana Reyes"
    unknown = as_alice.post(f"orgs/acme/items/{poam.delayed.poam_id}/status", json={
        "status": "risk_accepted", "approver": "Nobody", "rationale": "x",
        "review_date": "2099-01-01"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "approver"
