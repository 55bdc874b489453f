"""alice (owner of acme), bob (viewer of acme, read-only token), charlie (globex only) and
alice's own read-only token over every route of the API and every method it accepts.

The routes are read from the API's OpenAPI document, so a new endpoint without an
entry in ROUTES fails ``test_every_route_has_a_permission_entry``.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openpoam.api.main import api
from openpoam.tracker.models import PoamItem
from openpoam.accounts.services import tokens
from openpoam.reviews.services import review
from openpoam.tracker.services import Actor, assessments, exports, imports, requests
from tests.api.conftest import _caller

ORG_ROUTE = "/api/v1/orgs/{org}"
ASSESSMENT = {"level": 2, "assessment_type": "Self", "results": {"3.1.3": "not_met"}}


def _version(poam) -> int:
    return PoamItem.objects.get(pk=poam.delayed.pk).version


def _file(name: str, content: bytes):
    return SimpleUploadedFile(name, content)


# A CR26 system's vulnerabilities: roles, read-only tokens and other tenants are covered by
# tests/api/test_cr26_api.py, on a system under the CR26 regime (this file's is CMMC).
CR26 = "/api/v1/orgs/{org}/systems/{system}/cr26/vulnerabilities/{poam_id}"
CR26_REPORT = "/api/v1/orgs/{org}/systems/{system}/cr26/reports/{kind}"
CR26_ROUTES = {("GET", CR26), ("POST", CR26 + "/evaluations"), ("POST", CR26 + "/reductions"),
               ("POST", CR26 + "/acceptance"), ("GET", CR26_REPORT), ("POST", CR26_REPORT)}
REVIEW = "/api/v1/orgs/{org}/systems/{system}/reviews"
SNAPSHOTS = "/api/v1/orgs/{org}/systems/{system}/snapshots"
# Background jobs are their starter's alone (another member of the organization gets 404):
# tests/jobs/test_api_jobs.py covers them with alice, bob, a twin organization and tokens.
JOB_ROUTES = {("GET", "/api/v1/jobs"), ("GET", "/api/v1/jobs/{job_id}"),
              ("GET", "/api/v1/jobs/{job_id}/preview"), ("POST", "/api/v1/jobs/{job_id}/confirm"),
              ("GET", "/api/v1/jobs/{job_id}/download"),
              ("POST", "/api/v1/orgs/{org}/systems/{system}/exports/{format_key}/jobs")}

# (method, path) -> (status for alice, body builder or None, multipart?)
# Reads: bob gets what alice gets. Writes: bob and alice's read-only token get 403.
ROUTES = {
    ("GET", "/api/v1/orgs"): (200, None),
    ("GET", "/api/v1/orgs/{org}"): (200, None),
    ("GET", "/api/v1/orgs/{org}/systems"): (200, None),
    ("POST", "/api/v1/orgs/{org}/systems"): (
        201, lambda p, ctx: {"slug": "lab", "name": "Lab", "framework": "cmmc-l2"}),
    ("GET", "/api/v1/orgs/{org}/systems/{system}"): (200, None),
    ("PATCH", "/api/v1/orgs/{org}/systems/{system}"): (
        200, lambda p, ctx: {"description": "The CUI enclave", "auto_close": False}),
    ("GET", "/api/v1/orgs/{org}/persons"): (200, None),
    ("POST", "/api/v1/orgs/{org}/persons"): (201, lambda p, ctx: {"name": "Lee Park"}),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/items"): (200, None),
    ("POST", "/api/v1/orgs/{org}/systems/{system}/items"): (
        201, lambda p, ctx: {"title": "New gap", "detected_on": "2026-01-05"}),
    ("GET", "/api/v1/orgs/{org}/items/{poam_id}"): (200, None),
    ("PATCH", "/api/v1/orgs/{org}/items/{poam_id}"): (
        200, lambda p, ctx: {"version": _version(p), "comments": "checked"}),
    ("POST", "/api/v1/orgs/{org}/items/{poam_id}/status"): (
        200, lambda p, ctx: {"status": "in_progress"}),
    ("POST", "/api/v1/orgs/{org}/items/bulk"): (
        200, lambda p, ctx: {"justification": "weekly triage",
                             "changes": [{"poam_id": p.delayed.poam_id, "version": _version(p),
                                          "comments": "bulk"}]}),
    ("GET", "/api/v1/orgs/{org}/items/{poam_id}/history"): (200, None),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/history"): (200, None),
    ("GET", "/api/v1/orgs/{org}/items/{poam_id}/milestones"): (200, None),
    ("POST", "/api/v1/orgs/{org}/items/{poam_id}/milestones"): (
        201, lambda p, ctx: {"description": "Train staff", "due": "2026-12-01"}),
    ("POST", "/api/v1/orgs/{org}/items/{poam_id}/milestones/{sequence}/reschedule"): (
        200, lambda p, ctx: {"due": "2099-01-01", "justification": "budget moved"}),
    ("POST", "/api/v1/orgs/{org}/items/{poam_id}/milestones/{sequence}/complete"): (
        200, lambda p, ctx: {"completed_on": "2026-01-01"}),
    ("GET", "/api/v1/orgs/{org}/items/{poam_id}/evidence"): (200, None),
    ("POST", "/api/v1/orgs/{org}/items/{poam_id}/evidence"): (
        201, lambda p, ctx: {"file": _file("scan.txt", b"clean"), "description": "rescan"}),
    ("POST", "/api/v1/orgs/{org}/items/{poam_id}/evidence/link"): (
        201, lambda p, ctx: {"url": "https://tickets.acme.test/CHG-7"}),
    ("GET", "/api/v1/orgs/{org}/evidence/{evidence_uuid}/download"): (200, None),
    ("GET", "/api/v1/formats"): (200, None),
    ("GET", "/api/v1/me/work"): (200, None),
    ("POST", "/api/v1/orgs/{org}/systems/{system}/imports"): (
        202, lambda p, ctx: {"file": _file("poam.csv", ctx["csv"]), "dry_run": "true"}),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/imports"): (200, None),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/imports/{import_id}"): (200, None),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/exports/{format_key}"): (200, None),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/checks"): (200, None),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/metrics"): (200, None),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/assessments"): (200, None),
    ("POST", "/api/v1/orgs/{org}/systems/{system}/assessments"): (
        201, lambda p, ctx: {"assessment": ASSESSMENT, "assessed_on": "2026-02-01"}),
    ("GET", "/api/v1/orgs/{org}/systems/{system}/assessments/{assessment_id}"): (200, None),
    ("POST", "/api/v1/cmmc/evaluate"): (200, lambda p, ctx: {"assessment": ASSESSMENT}),
    ("POST", "/api/v1/cmmc/plan"): (200, lambda p, ctx: {"assessment": ASSESSMENT}),
    # Requests and their decisions (tracker/services/requests.py).
    ("GET", "/api/v1/orgs/{org}/requests"): (200, None),
    ("POST", "/api/v1/orgs/{org}/items/{poam_id}/requests"): (
        201, lambda p, ctx: {"kind": "risk_adjustment", "rationale": "compensating control",
                             "proposed_risk": "critical"}),
    ("GET", "/api/v1/orgs/{org}/requests/{request_id}"): (200, None),
    ("POST", "/api/v1/orgs/{org}/requests/{request_id}/decision"): (
        200, lambda p, ctx: {"decision": "approve", "note": "agreed"}),
    # The monthly review and snapshots (reviews/services/review.py).
    ("GET", REVIEW): (200, None),
    ("POST", REVIEW): (201, lambda p, ctx: {"month": "2026-10"}),
    ("GET", REVIEW + "/{month}"): (200, None),
    ("POST", REVIEW + "/{month}/entries"): (
        201, lambda p, ctx: {"poam_id": p.delayed.poam_id, "action": "confirmed"}),
    ("POST", REVIEW + "/{month}/finish"): (
        200, lambda p, ctx: {"summary": "partial walk", "allow_unreviewed": True}),
    ("GET", SNAPSHOTS): (200, None),
    ("POST", SNAPSHOTS): (201, lambda p, ctx: {"label": "month end"}),
    ("GET", SNAPSHOTS + "/compare?old={snapshot}&new={snapshot}"): (200, None),
    # Members and invitations: owners only, reads included; tokens: one's own.
    ("GET", "/api/v1/orgs/{org}/members"): (200, None),
    ("PATCH", "/api/v1/orgs/{org}/members/{username}"): (200, lambda p, ctx: {"role": "editor"}),
    ("DELETE", "/api/v1/orgs/{org}/members/{username}"): (200, None),
    ("GET", "/api/v1/orgs/{org}/invitations"): (200, None),
    ("POST", "/api/v1/orgs/{org}/invitations"): (
        201, lambda p, ctx: {"invite": "newcomer@acme.test", "role": "viewer"}),
    ("GET", "/api/v1/orgs/{org}/tokens"): (200, None),
    ("POST", "/api/v1/orgs/{org}/tokens"): (201, lambda p, ctx: {"name": "CI upload"}),
    ("POST", "/api/v1/orgs/{org}/tokens/{prefix}/revoke"): (200, None),
}
# Reads that need more than a viewer's role: bob and alice's read-only token are refused.
OWNER_READS = {("GET", "/api/v1/orgs/{org}/members"), ("GET", "/api/v1/orgs/{org}/invitations")}
# What a reader gets where it differs from 403 (writes) or alice's answer (reads): another
# user's token is not bob's to see, so it does not exist for him.
READER_STATUS = {("POST", "/api/v1/orgs/{org}/tokens/{prefix}/revoke"): {"bob": 404}}
# Pure computations: they store nothing, so any valid token may call them.
NO_WRITE = {("POST", "/api/v1/cmmc/evaluate"), ("POST", "/api/v1/cmmc/plan")}


def _documented_routes() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, operations in paths.items()
            for method in operations}


def test_every_route_has_a_permission_entry():
    assert _documented_routes() == ({(m, p.partition("?")[0]) for m, p in ROUTES}
                                    | CR26_ROUTES | JOB_ROUTES)


@pytest.fixture
def context(poam, alice, tmp_path):
    """Objects of acme the paths name: an import, an assessment, a CSV to import."""
    actor = Actor.for_user(alice)
    content, _, _ = exports.export_bytes(actor, poam.system, "csv")
    path = tmp_path / "poam.csv"
    path.write_bytes(content)
    record = imports.import_file(actor, poam.system, path, format_key="csv").record
    assessment = assessments.record_assessment(actor, poam.system, ASSESSMENT,
                                               assessed_on=date(2026, 1, 1))
    # Asked by someone other than alice, who decides it.
    asked = requests.request_approval(Actor.command_line("carol"), poam.delayed,
                                      "operational_requirement", "mission need")
    review.start_review(actor, poam.system, date(2026, 11, 1))
    snapshot = review.take_snapshot(actor, poam.system, "baseline")
    spare = tokens.create_token(actor, alice, poam.org, "spare").token
    return {"csv": content, "import_id": record.pk, "assessment_id": assessment.pk,
            "request_id": asked.pk, "snapshot": snapshot.pk, "prefix": spare.prefix}


def _url(path: str, poam, context) -> str:
    return path.format(org=poam.org.slug, system=poam.system.slug,
                       poam_id=poam.delayed.poam_id, sequence=1, evidence_uuid=poam.file.uuid,
                       import_id=context["import_id"], format_key="csv",
                       assessment_id=context["assessment_id"],
                       request_id=context["request_id"], month="2026-11",
                       snapshot=context["snapshot"], username="bob",
                       prefix=context["prefix"], kind="vdt")


def _send(caller, method: str, url: str, body):
    if body is None:
        return caller.call(method, url)
    if any(hasattr(v, "read") for v in body.values()):
        return caller.call(method, url, data=body)  # multipart
    return caller.call(method, url, json=body)


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route(route, poam, context, as_alice, as_bob, as_charlie, alice):
    method, path = route
    expected, body_of = ROUTES[route]
    url = _url(path, poam, context)
    body = (lambda: body_of(poam, context) if body_of else None)
    writes = method != "GET" and route not in NO_WRITE
    in_org = path.startswith(ORG_ROUTE)

    response = _send(as_charlie, method, url, body())
    assert response.status_code == (404 if in_org else expected), response.content
    assert response["Content-Type"].startswith("application/json") or not in_org

    alice_read_only = _caller("alice-ro", alice, poam.org, read_only=True)
    for reader in (as_bob, alice_read_only):
        response = _send(reader, method, url, body())
        refused = 403 if writes or route in OWNER_READS else expected
        assert response.status_code == READER_STATUS.get(route, {}).get(reader.name, refused), \
            (reader.name, response.content)
    response = _send(as_alice, method, url, body())
    assert response.status_code == expected, response.content
    if writes:  # refused writes left nothing: alice's write was the first
        assert response.status_code in (200, 201, 202)  # 202: a job started


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "PUT", "DELETE"])
def test_no_token_is_401_everywhere(method, poam, context, api_settings):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    for route_method, path in ROUTES:
        if route_method != method:
            continue
        response = getattr(client, method.lower())(_url(path, poam, context))
        assert response.status_code == 401, (path, response.content)
        assert response.json()["detail"].startswith("A valid API token is required")
