"""The API's bulk edit over real HTTP (a live server, a bearer token): a milestone and an
owner for many items in one call, a refusal naming the item, nothing changed."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from openpoam.accounts.services import tokens
from openpoam.tracker.models import Milestone, PoamItem
from openpoam.tracker.services import Actor


def _post(live_server, secret: str, path: str, body: dict):
    request = urllib.request.Request(f"{live_server.url}/api/v1/{path}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {secret}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_bulk_adds_a_milestone_and_an_owner_over_http(transactional_db, live_server, api_settings,
                                                      poam, alice):
    secret = tokens.create_token(Actor.for_user(alice), alice, poam.org, "bulk").secret
    items = [PoamItem.objects.get(pk=poam.delayed.pk), PoamItem.objects.get(pk=poam.adjusted.pk)]
    change = {"justification": "June triage", "changes": [
        {"poam_id": i.poam_id, "version": i.version, "owner": "Dana Reyes",
         "milestone": {"description": "Agree the window", "due": "2099-01-15",
                       "owner": "Dana Reyes"}} for i in items]}
    status, body = _post(live_server, secret, "orgs/acme/items/bulk", change)
    assert status == 200, body
    assert [i["version"] for i in body["items"]] == [i.version + 1 for i in items]
    assert Milestone.objects.filter(description="Agree the window",
                                    owner__name="Dana Reyes").count() == 2

    # Stale now: the same change again is refused and changes nothing.
    before = Milestone.objects.count()
    status, body = _post(live_server, secret, "orgs/acme/items/bulk", change)
    assert status == 409, body
    closed = PoamItem.objects.get(pk=poam.closed.pk)
    status, body = _post(live_server, secret, "orgs/acme/items/bulk", {
        "justification": "x", "changes": [
            {"poam_id": closed.poam_id, "version": closed.version,
             "status": {"status": "in_progress"}}]})
    assert status == 400 and closed.poam_id in body["detail"], body
    assert Milestone.objects.count() == before
