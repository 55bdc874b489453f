"""Every intent through every interface, as users run them: the installed `openpoam` as a
process, and the API over real HTTP from `openpoam serve` (tests/api/test_intents.py drives
the web pages and the API in detail). Each intent has a twin in another organization (globex)
that neither interface may reach.

acme: alice (owner), dave (editor); globex: charlie (owner). Requests are asked by dave and
decided by alice: whoever asks cannot decide."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.process import Openpoam, environment, fresh_database, serving

REQUEST_KEYS = {"id", "poam_id", "system", "kind", "kind_label", "state", "rationale",
                "review_date", "proposed_risk", "requested_by", "requested_at", "decided_by",
                "decided_at", "decision_note"}


class World:
    def __init__(self, run: Openpoam, url: str, tokens: dict[str, str]) -> None:
        self.run, self.url, self.tokens = run, url, tokens

    def ok(self, *args: str):
        ran = self.run(*args)
        assert ran.code == 0, (args, ran.err)
        return ran

    def api(self, who: str, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(
            f"{self.url}/api/v1/{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.tokens[who]}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                raw = answer.read()
                return answer.status, (json.loads(raw) if answer.headers.get_content_type()
                                       == "application/json" else raw)
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with fresh_database() as url:
        run = Openpoam(environment(tmp_path_factory.mktemp("data"), url))
        for args in (("org", "create", "acme", "--name", "Acme"),
                     ("org", "create", "globex", "--name", "Globex"),
                     ("system", "create", "enclave", "--org", "acme", "--name", "Enclave",
                      "--framework", "cmmc-l2"),
                     ("system", "create", "lab", "--org", "globex", "--name", "Lab",
                      "--framework", "cmmc-l2"),
                     ("item", "add", "--org", "acme", "--title", "No MFA", "--detected",
                      "2026-10-01", "--control", "3.5.3"),
                     ("item", "add", "--org", "acme", "--title", "Old TLS", "--detected",
                      "2026-10-02", "--depends-on", "POAM-2026-0001"),
                     ("item", "add", "--org", "globex", "--title", "Twin", "--detected",
                      "2026-10-01"),
                     ("system", "create", "cloud", "--org", "acme", "--name", "Cloud",
                      "--framework", "fedramp-moderate"),
                     ("item", "add", "--org", "acme", "--system", "cloud", "--title",
                      "Admin panel exposed", "--detected", "2026-11-02"),
                     ("fedramp", "regime", "--regime", "cr26", "--class", "C",
                      "--package-uri", "https://example.com/cpo", "--org", "acme",
                      "--system", "cloud"),
                     ("user", "add", "alice", "--email", "alice@acme.test"),
                     ("user", "add", "dave", "--email", "dave@acme.test"),
                     ("user", "add", "charlie", "--email", "charlie@globex.test"),
                     ("member", "add", "alice", "--org", "acme", "--role", "owner"),
                     ("member", "add", "dave", "--org", "acme", "--role", "editor"),
                     ("member", "add", "charlie", "--org", "globex", "--role", "owner")):
            ran = run(*args)
            assert ran.code == 0, (args, ran.err)
        tokens = {}
        for user, org in (("alice", "acme"), ("dave", "acme"), ("charlie", "globex")):
            made = run("token", "create", "--user", user, "--org", org, "--name", "test")
            assert made.code == 0, made.err
            tokens[user] = made.out.strip().splitlines()[-1]
        with serving(run.env, "serve") as server:
            yield World(run, server.url, tokens)


def test_create_with_dependencies_is_one_call_on_the_cli_and_the_api(world):
    shown = world.ok("item", "show", "POAM-2026-0002", "--org", "acme", "--json").json()
    assert shown["depends_on"] == ["POAM-2026-0001"]
    status, made = world.api("dave", "POST", "orgs/acme/systems/enclave/items",
                             {"title": "Waits", "detected_on": "2026-10-03",
                              "depends_on": ["POAM-2026-0002"]})
    assert status == 201 and made["depends_on"] == ["POAM-2026-0002"], made
    status, refused = world.api("dave", "POST", "orgs/acme/systems/enclave/items",
                                {"title": "Twin's", "detected_on": "2026-10-03",
                                 "depends_on": ["POAM-2026-9999"]})
    assert status == 400 and refused["field"] == "depends_on"


def test_a_request_asked_on_the_cli_is_decided_over_the_api(world):
    asked = world.ok("--as", "dave", "request", "create", "POAM-2026-0001", "risk_adjustment",
                     "--org", "acme", "--rationale", "compensating control",
                     "--proposed-risk", "low", "--json").json()
    assert set(asked) == REQUEST_KEYS and asked["state"] == "pending"
    # Whoever asked cannot decide, on either interface.
    own = world.run("--as", "dave", "request", "decide", str(asked["id"]), "approve",
                    "--org", "acme")
    assert own.code == 1 and "may not" in own.err
    # The twin organization's owner cannot see or decide it.
    status, _ = world.api("charlie", "GET", f"orgs/acme/requests/{asked['id']}")
    assert status == 404
    status, _ = world.api("charlie", "POST", f"orgs/globex/requests/{asked['id']}/decision",
                          {"decision": "approve"})
    assert status == 404
    twin = world.run("--as", "charlie", "request", "decide", str(asked["id"]), "approve",
                     "--org", "acme")
    assert twin.code == 1 and "no organization 'acme'" in twin.err
    status, listed = world.api("alice", "GET", "orgs/acme/requests?state=pending")
    assert status == 200 and listed["requests"] == [asked]  # one shape: CLI --json and API
    status, decided = world.api("alice", "POST", f"orgs/acme/requests/{asked['id']}/decision",
                                {"decision": "approve", "note": "agreed"})
    assert status == 200 and decided["state"] == "approved", decided
    item = world.ok("item", "show", "POAM-2026-0001", "--org", "acme", "--json").json()
    assert item["adjusted_risk"] == "low"
    again = world.run("--as", "alice", "request", "decide", str(asked["id"]), "reject",
                      "--org", "acme", "--note", "late")
    assert again.code == 1 and "already approved" in again.err


def test_a_request_asked_over_the_api_is_decided_on_the_cli(world):
    status, asked = world.api("dave", "POST", "orgs/acme/items/POAM-2026-0002/requests",
                              {"kind": "operational_requirement", "rationale": "mission"})
    assert status == 201, asked
    no_reason = world.run("--as", "alice", "request", "decide", str(asked["id"]), "reject",
                          "--org", "acme")
    assert no_reason.code == 1 and "a rejection needs a reason" in no_reason.err
    bad = world.run("--as", "alice", "request", "decide", str(asked["id"]), "maybe",
                    "--org", "acme")
    assert bad.code == 2
    done = world.ok("--as", "alice", "request", "decide", str(asked["id"]), "reject",
                    "--org", "acme", "--note", "not justified", "--json").json()
    assert done["state"] == "rejected" and done["decided_by"] == "alice"
    listed = world.ok("request", "list", "--org", "acme", "--state", "rejected",
                      "--json").json()
    assert [r["id"] for r in listed] == [asked["id"]]
    assert world.ok("request", "list", "--org", "globex", "--json").json() == []


def test_a_review_started_over_the_api_is_walked_and_listed_on_the_cli(world):
    status, started = world.api("dave", "POST", "orgs/acme/systems/enclave/reviews",
                                {"month": "2026-11"})
    assert status == 201, started
    world.ok("--as", "dave", "review", "confirm", "2026-11", "POAM-2026-0001", "--org", "acme",
             "--system", "enclave")
    status, entry = world.api("dave", "POST",
                              "orgs/acme/systems/enclave/reviews/2026-11/entries",
                              {"poam_id": "POAM-2026-0002", "action": "escalated",
                               "note": "to the CISO"})
    assert status == 201, entry
    status, twin = world.api("charlie", "POST",
                             "orgs/globex/systems/lab/reviews/2026-11/entries",
                             {"poam_id": "POAM-2026-0001", "action": "confirmed"})
    assert status == 404, twin  # globex has no such review, and acme's item is not its own
    status, finished = world.api("dave", "POST",
                                 "orgs/acme/systems/enclave/reviews/2026-11/finish",
                                 {"summary": "one left", "allow_unreviewed": True})
    assert status == 200 and finished["snapshot_sha256"], finished
    status, api_list = world.api("alice", "GET", "orgs/acme/systems/enclave/reviews")
    cli_list = world.ok("review", "list", "--org", "acme", "--system", "enclave",
                        "--json").json()
    assert api_list["reviews"] == cli_list
    status, shown = world.api("alice", "GET", "orgs/acme/systems/enclave/reviews/2026-11")
    assert shown == world.ok("review", "show", "2026-11", "--org", "acme", "--system", "enclave",
                             "--json").json()


def test_snapshots_taken_on_the_cli_are_compared_over_the_api(world):
    world.ok("snapshot", "take", "--org", "acme", "--system", "enclave", "--label", "before")
    status, taken = world.api("dave", "POST", "orgs/acme/systems/enclave/snapshots",
                              {"label": "after"})
    assert status == 201, taken
    status, listed = world.api("alice", "GET", "orgs/acme/systems/enclave/snapshots")
    assert listed["snapshots"] == world.ok("snapshot", "list", "--org", "acme", "--system",
                                           "enclave", "--json").json()
    ids = sorted(s["id"] for s in listed["snapshots"])
    status, diff = world.api("alice", "GET", f"orgs/acme/systems/enclave/snapshots/compare"
                                             f"?old={ids[0]}&new={ids[-1]}")
    assert status == 200 and diff == world.ok("snapshot", "compare", str(ids[0]),
                                              str(ids[-1]), "--org", "acme", "--system",
                                              "enclave", "--json").json()
    status, _ = world.api("charlie", "GET", f"orgs/globex/systems/lab/snapshots/compare"
                                            f"?old={ids[0]}&new={ids[-1]}")
    assert status == 404


def test_the_quality_gate_passes_or_fails_alike(world):
    status, gate = world.api("alice", "GET", "orgs/acme/systems/enclave/checks?fail_on=warning")
    ran = world.run("check", "--org", "acme", "--system", "enclave", "--fail-on", "warning",
                    "--json")
    assert status == 200 and gate == ran.json()
    assert gate["passed"] is (ran.code == 0) and gate["passed"] is (gate["warnings"] +
                                                                   gate["errors"] == 0)
    status, lenient = world.api("alice", "GET", "orgs/acme/systems/enclave/checks")
    assert lenient["passed"] is (lenient["errors"] == 0)
    assert world.run("check", "--org", "acme", "--system", "enclave").code == (
        0 if lenient["passed"] else 1)


def test_members_and_tokens_alike_on_both_interfaces(world):
    status, api_members = world.api("alice", "GET", "orgs/acme/members")
    assert status == 200
    assert api_members["members"] == world.ok("member", "list", "--org", "acme",
                                              "--json").json()
    status, _ = world.api("dave", "GET", "orgs/acme/members")
    assert status == 403
    status, _ = world.api("charlie", "PATCH", "orgs/acme/members/dave", {"role": "owner"})
    assert status == 404
    status, changed = world.api("alice", "PATCH", "orgs/acme/members/dave", {"role": "viewer"})
    assert status == 200 and changed["role"] == "viewer"
    world.ok("member", "role", "dave", "editor", "--org", "acme")
    status, made = world.api("dave", "POST", "orgs/acme/tokens", {"name": "pipeline"})
    assert status == 201 and made["secret"].startswith("opoam_")
    listed = world.ok("token", "list", "--user", "dave", "--org", "acme", "--json").json()
    assert made["token"] in listed
    status, mine = world.api("dave", "GET", "orgs/acme/tokens")
    assert sorted(t["prefix"] for t in mine["tokens"]) == sorted(t["prefix"] for t in listed)
    status, _ = world.api("charlie", "POST",
                          f"orgs/globex/tokens/{made['token']['prefix']}/revoke")
    assert status == 404
    status, revoked = world.api("alice", "POST",
                                f"orgs/acme/tokens/{made['token']['prefix']}/revoke")
    assert status == 200 and revoked["state"] == "revoked"
    status, invited = world.api("alice", "POST", "orgs/acme/invitations",
                                {"invite": "charlie", "role": "viewer"})
    assert status == 201 and invited["set_password_link"] == ""
    status, pending = world.api("alice", "GET", "orgs/acme/invitations")
    assert [i["invited_as"] for i in pending["invitations"]] == ["charlie"]


def test_cr26_evaluate_reduce_accept_and_report_on_both_interfaces(world, tmp_path):
    vuln = "orgs/acme/systems/cloud/cr26/vulnerabilities/POAM-2026-0003"
    world.ok("--as", "dave", "fedramp", "evaluate", "POAM-2026-0003", "--rating", "4", "--lev",
             "--nirv", "--why", "admin panel", "--org", "acme", "--system", "cloud")
    status, reduced = world.api("dave", "POST", vuln + "/reductions",
                                {"rating": 2, "what": "WAF rule"})
    assert status == 201 and reduced["rating"] == 2, reduced
    status, twin = world.api("charlie", "POST", vuln + "/acceptance", {"why": "x"})
    assert status == 404
    status, accepted = world.api("dave", "POST", vuln + "/acceptance",
                                 {"why": "vendor has no fix"})
    assert status == 201 and accepted["accepted"], accepted
    shown = world.ok("fedramp", "show", "POAM-2026-0003", "--org", "acme", "--system", "cloud",
                     "--json").json()
    assert [h["rating"] for h in shown["history"]] == [4, 2] and shown["accepted"]
    refused = world.run("--as", "dave", "fedramp", "accept", "POAM-2026-0003", "--why", "",
                        "--org", "acme", "--system", "cloud")
    assert refused.code == 1 and "say why it is accepted" in refused.err
    status, preview = world.api("alice", "GET", "orgs/acme/systems/cloud/cr26/reports/avi")
    assert status == 200 and preview, preview
    world.ok("fedramp", "report", "avi", "-o", str(tmp_path / "avi.json"), "--preview",
             "--org", "acme", "--system", "cloud")
    written = json.loads((tmp_path / "avi.json").read_text())
    assert set(written) == set(preview)
    status, _ = world.api("charlie", "GET", "orgs/acme/systems/cloud/cr26/reports/avi")
    assert status == 404
