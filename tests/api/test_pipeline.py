"""A CI pipeline end to end over the API: upload a scan as a dry run, then for real (each a
job, polled until done); fetch the items it changed; download the OSCAL export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openpoam.jobs.models import Job
from openpoam.jobs.services import run_queued
from openpoam.tracker.models import ImportRecord, PoamItem
from tests.paths import SAMPLES

SCAN = SAMPLES / "nessus" / "nessus_was_many_vuln.xml"
pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not SCAN.is_file(), reason=f"shared samples absent ({SCAN})")]
SYSTEM = "orgs/acme/systems/enclave"


def _upload(caller, **form):
    upload = SimpleUploadedFile(SCAN.name, SCAN.read_bytes())
    return caller.post(f"{SYSTEM}/imports", data={"file": upload, **form})


def _import(caller, **form) -> dict:
    """Upload, let a worker run the job, poll it: its result (the import's usual answer)."""
    answer = _upload(caller, **form)
    assert answer.status_code == 202, answer.content
    assert run_queued() == 1
    job = caller.get(answer["Location"]).json()
    assert job["state"] == "succeeded", job
    return job


def test_scan_to_oscal(as_alice, poam):
    before = PoamItem.objects.count()
    preview = _import(as_alice, dry_run="true")["result"]
    counts = preview["counts"]
    assert preview["dry_run"] and preview["id"] is None and counts["new"] > 0
    assert PoamItem.objects.count() == before and not ImportRecord.objects.exists()

    job = _import(as_alice)
    done = job["result"]
    assert done["counts"] == counts and done["format"] == "nessus"
    assert job["import_id"] == done["id"]
    record = as_alice.get(f"{SYSTEM}/imports/{done['id']}").json()
    assert len(record["changed_items"]) == counts["new"]
    for poam_id in record["changed_items"]:
        item = as_alice.get(f"orgs/acme/items/{poam_id}").json()
        assert item["source"] == "vulnerability_scan" and item["assets"]
        assert item["asset_count"] == len(item["assets"]) > 0
    listed = as_alice.get(f"{SYSTEM}/imports").json()["imports"]
    assert [i["id"] for i in listed] == [done["id"]]

    export = as_alice.get(f"{SYSTEM}/exports/oscal-json")
    assert export.status_code == 200
    assert "attachment" in export["Content-Disposition"]
    document = json.loads(export.content)
    poam_items = document["plan-of-action-and-milestones"]["poam-items"]
    assert len(poam_items) == 3 + counts["new"]

    again = _import(as_alice)  # the same file twice changes nothing
    assert again["result"]["counts"]["new"] == 0


def test_a_bad_file_fails_its_job_with_one_line_and_writes_nothing(as_alice, poam):
    upload = SimpleUploadedFile("scan.nessus", b"<NessusClientData_v2><Report>")
    answer = as_alice.post(f"{SYSTEM}/imports", data={"file": upload})
    assert answer.status_code == 202, answer.content
    run_queued()
    failed = as_alice.get(answer["Location"]).json()
    assert failed["state"] == "failed" and "scan.nessus" in failed["error"], failed
    assert "\n" not in failed["error"] and "Traceback" not in failed["error"]
    assert not ImportRecord.objects.exists()


def test_a_bad_file_with_wait_is_422_and_writes_nothing(as_alice, poam):
    upload = SimpleUploadedFile("scan.nessus", b"<NessusClientData_v2><Report>")
    response = as_alice.post(f"{SYSTEM}/imports", data={"file": upload, "wait": "true"})
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert not ImportRecord.objects.exists()


def test_an_import_over_the_limit_is_413(as_alice, poam, api_settings):
    api_settings.IMPORT_MAX_BYTES = 1000
    response = _upload(as_alice)
    assert response.status_code == 413 and response.json()["field"] == "file"
    assert not ImportRecord.objects.exists() and not Job.objects.exists()


def test_an_unknown_export_format_is_404(as_alice, poam):
    assert as_alice.get(f"{SYSTEM}/exports/docx").status_code == 404
