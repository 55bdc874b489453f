"""The CR26 API: a vulnerability with its deadlines, evaluations and reductions, N0 included
(VER-EVA-EPA, rules 2026.10.05.01). Scoped by organization: a twin in globex stays out of
reach; a read-only token cannot record."""

from __future__ import annotations

from datetime import date

import pytest

from openpoam.tracker.services import Actor, cr26, items, setup

PATH = "orgs/{org}/systems/cloud/cr26/vulnerabilities/{poam_id}"


def _cr26_system(org, actor):
    system = setup.create_system(actor, org, slug="cloud", name="Cloud",
                                 framework="fedramp-moderate")
    item = items.create_item(actor, system, title="Admin panel exposed",
                             detected_on=date(2026, 11, 2))
    cr26.set_regime(actor, system, "cr26", "C", package_uri="https://example.com/cpo")
    return item.poam_id


@pytest.fixture
def cloud(poam, admin_actor, globex):
    poam_id = _cr26_system(poam.org, admin_actor)
    cr26.set_regime(admin_actor, globex, "cr26", "C")  # the twin: same slug, other tenant
    return poam_id


def test_n0_evaluation_and_reduction_through_the_api(as_alice, cloud):
    url = PATH.format(org="acme", poam_id=cloud)
    done = as_alice.post(url + "/evaluations", json={
        "rating": 4, "lev": True, "irv": False, "why": "internal admin",
        "at": "2026-11-03T09:00:00Z"})
    assert done.status_code == 201, done.content
    assert done.json()["deadlines"]["reduction_due"]["due"] == "2026-11-11T09:00:00Z"  # C N4 8d
    reduced = as_alice.post(url + "/reductions", json={
        "rating": 0, "what": "panel removed", "at": "2026-11-04T09:00:00Z"})
    assert reduced.status_code == 201, reduced.content
    body = reduced.json()
    assert body["rating"] == 0 and [h["rating"] for h in body["history"]] == [4, 0]
    assert body["deadlines"]["reduction_due"]["due"] is None and not body["accepted"]
    assert any("FRD-FMV" in note for note in body["notes"])
    assert as_alice.get(url).json()["rating"] == 0


def test_ratings_outside_0_to_5_and_times_without_a_zone_are_refused(as_alice, cloud):
    url = PATH.format(org="acme", poam_id=cloud) + "/evaluations"
    assert as_alice.post(url, json={"rating": 6, "lev": True, "irv": True,
                                    "why": "x"}).status_code == 422
    assert as_alice.post(url, json={"rating": 0, "lev": True, "irv": True, "why": "x",
                                    "at": "2026-11-03T09:00:00"}).status_code == 422
    ok = as_alice.post(url, json={"rating": 0, "lev": False, "irv": False, "why": "none"})
    assert ok.status_code == 201 and ok.json()["rating"] == 0


def test_read_only_tokens_and_other_tenants(as_alice, as_bob, as_charlie, cloud, globex):
    url = PATH.format(org="acme", poam_id=cloud)
    assert as_bob.get(url).status_code == 200
    refused = as_bob.post(url + "/evaluations", json={"rating": 0, "lev": False, "irv": False,
                                                      "why": "x"})
    assert refused.status_code == 403
    assert as_charlie.get(url).status_code == 404  # acme is not charlie's
    twin = globex.items.get().poam_id
    mine = as_charlie.get(PATH.format(org="globex", poam_id=twin))
    assert mine.status_code == 200 and mine.json()["title"] == "Globex secret weakness"
    assert as_alice.get(PATH.format(org="globex", poam_id=twin)).status_code == 404
    assert as_alice.post(PATH.format(org="globex", poam_id=twin) + "/evaluations", json={
        "rating": 0, "lev": False, "irv": False, "why": "x"}).status_code == 404
