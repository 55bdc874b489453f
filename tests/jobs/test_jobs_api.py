"""Imports as jobs through the API: 202 with a job (the default), polled; wait=true for
scripts, bounded; the dry run's items paged;
confirming applies the kept dry run, and refuses when the system changed since. A job is
its starter's: another member of the organization and another organization get 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openpoam.jobs.models import Job
from openpoam.jobs.services import run_queued
from openpoam.tracker.models import ImportRecord, PoamItem
from openpoam.tracker.services import Actor, imports
from tests.jobs.scans import nessus

pytestmark = pytest.mark.django_db
SYSTEM = "orgs/acme/systems/enclave"
JUNE = nessus({"10.0.0.1": [1001, 1002, 1003], "10.0.0.2": [1001]})
JULY = nessus({"10.0.0.1": [1001, 1004], "10.0.0.2": [1001]}, when="Wed Jul  3 10:00:00 2024")


def _start(caller, content: bytes, name: str = "june.nessus", **form):
    upload = SimpleUploadedFile(name, content)
    return caller.post(f"{SYSTEM}/imports", data={"file": upload, **form})


def test_an_import_answers_202_with_a_job_that_is_polled_until_done(as_alice, poam):
    before = PoamItem.objects.filter(system=poam.system).count()
    answer = _start(as_alice, JUNE)
    assert answer.status_code == 202, answer.content
    job = answer.json()
    assert answer["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["state"] == "queued" and job["kind"] == "import"
    assert job["progress"]["total_bytes"] == len(JUNE)
    assert PoamItem.objects.filter(system=poam.system).count() == before  # not in the request
    assert run_queued() == 1
    polled = as_alice.get(f"jobs/{job['id']}").json()
    assert polled["state"] == "succeeded", polled
    assert polled["progress"]["hosts"] == 2 and polled["progress"]["findings"] == 4
    assert polled["result"]["counts"]["new"] == 3 and polled["import_id"]
    assert PoamItem.objects.filter(system=poam.system).count() == before + 3
    assert [j["id"] for j in as_alice.get("jobs").json()["jobs"]] == [job["id"]]
    # The former opt-in, still sent by older scripts, changes nothing.
    assert _start(as_alice, JULY, "july.nessus", background="true").status_code == 202


def test_a_job_is_its_starters_alone(as_alice, as_bob, as_charlie, poam, globex):
    job = _start(as_alice, JUNE, dry_run="true").json()
    run_queued()
    for other in (as_bob, as_charlie):
        assert other.get(f"jobs/{job['id']}").status_code == 404
        assert other.get(f"jobs/{job['id']}/preview").status_code == 404
        assert other.post(f"jobs/{job['id']}/confirm").status_code == 404
        assert other.get("jobs").json()["jobs"] == []
    # The twin: charlie's own job in globex, invisible to alice.
    twin = Job.objects.create(kind=Job.IMPORT, organization=globex.organization, system=globex,
                              started_by=charlie_of(globex), actor_name="charlie")
    assert as_alice.get(f"jobs/{twin.uuid}").status_code == 404
    assert as_charlie.get(f"jobs/{twin.uuid}").status_code == 200
    assert as_alice.get("jobs/not-a-uuid").status_code == 404


def charlie_of(system):
    return system.organization.memberships.get().user


def test_the_dry_run_lists_its_items_a_page_at_a_time_and_confirming_does_not_read_again(
        as_alice, poam, monkeypatch):
    dry = _start(as_alice, JUNE, dry_run="true").json()
    run_queued()
    done = as_alice.get(f"jobs/{dry['id']}").json()
    assert done["state"] == "succeeded" and done["result"]["preview"] == {
        "create": 3, "close": 0, "reopen": 0}
    page = as_alice.get(f"jobs/{dry['id']}/preview", data={"section": "create"}).json()
    assert page["total"] == 3 and page["pages"] == 1
    assert {row["title"] for row in page["rows"]} == {
        "Weakness number 1001", "Weakness number 1002", "Weakness number 1003"}
    assert as_alice.get(f"jobs/{dry['id']}/preview",
                        data={"section": "nope"}).status_code == 400

    def no_parsing(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(imports, "_digest", no_parsing)
    confirmed = as_alice.post(f"jobs/{dry['id']}/confirm")
    assert confirmed.status_code == 202 and confirmed.json()["kind"] == "confirm"
    assert confirmed["Location"] == f"/api/v1/jobs/{confirmed.json()['id']}"
    run_queued()
    result = as_alice.get(f"jobs/{confirmed.json()['id']}").json()
    assert result["state"] == "succeeded", result
    assert result["result"]["counts"]["new"] == 3
    record = ImportRecord.objects.get(pk=result["import_id"])
    assert record.system == poam.system and record.new == 3 and record.storage_name
    again = as_alice.post(f"jobs/{dry['id']}/confirm")
    assert again.status_code == 400 and "already confirmed" in again.json()["detail"]


def test_confirming_after_the_system_changed_refuses_and_offers_a_fresh_dry_run(
        as_alice, poam, alice, tmp_path):
    dry = _start(as_alice, JULY, "july.nessus", dry_run="true").json()
    run_queued()
    june = tmp_path / "june.nessus"
    june.write_bytes(JUNE)
    imports.import_file(Actor.for_user(alice), poam.system, june)  # meanwhile
    items = PoamItem.objects.filter(system=poam.system).count()
    confirmed = as_alice.post(f"jobs/{dry['id']}/confirm").json()
    run_queued()
    failed = as_alice.get(f"jobs/{confirmed['id']}").json()
    assert failed["state"] == "failed"
    assert "changed after the dry run" in failed["error"] and "fresh dry run" in failed["error"]
    assert "\n" not in failed["error"] and failed["result"] == {"fresh_dry_run": True}
    assert PoamItem.objects.filter(system=poam.system).count() == items
    assert ImportRecord.objects.filter(file_name="july.nessus").count() == 0


def test_a_read_only_token_cannot_start_or_confirm(as_bob, poam):
    assert _start(as_bob, JUNE).status_code == 403
    assert Job.objects.count() == 0


def test_an_unreadable_file_fails_its_job_with_one_line_naming_it(as_alice, poam):
    job = _start(as_alice, b"just words", "notes.txt").json()
    run_queued()
    failed = as_alice.get(f"jobs/{job['id']}").json()
    assert failed["state"] == "failed" and "notes.txt" in failed["error"]
    assert "Traceback" not in failed["error"]


def test_an_export_job_answers_202_and_its_file_is_downloaded_when_done(as_alice, as_bob,
                                                                        as_charlie, poam):
    answer = as_alice.post(f"{SYSTEM}/exports/oscal-json/jobs")
    assert answer.status_code == 202, answer.content
    job = answer.json()
    assert answer["Location"] == f"/api/v1/jobs/{job['id']}"
    assert as_alice.get(f"jobs/{job['id']}/download").status_code == 404  # not done yet
    run_queued()
    done = as_alice.get(f"jobs/{job['id']}").json()
    assert done["state"] == "succeeded" and done["download"] and done["result"]["items"] == 3
    file = as_alice.get(f"jobs/{job['id']}/download")
    assert file.status_code == 200 and b"plan-of-action-and-milestones" in b"".join(
        file.streaming_content)
    assert as_bob.get(f"jobs/{job['id']}/download").status_code == 404
    assert as_charlie.post(f"{SYSTEM}/exports/csv/jobs").status_code == 404
    assert as_alice.post(f"{SYSTEM}/exports/nope/jobs").status_code == 400


def test_wait_imports_within_the_request_up_to_its_limit(as_alice, poam, api_settings):
    dry = _start(as_alice, JUNE, dry_run="true", wait="true")
    assert dry.status_code == 200, dry.content
    assert dry.json()["dry_run"] and dry.json()["counts"]["new"] == 3
    done = _start(as_alice, JUNE, wait="true")
    assert done.status_code == 201 and done.json()["counts"]["new"] == 3
    assert ImportRecord.objects.get(pk=done.json()["id"]).system == poam.system
    assert not Job.objects.exists()  # no job: the answer is the import itself
    api_settings.API_WAIT_MAX_BYTES = len(JULY) - 1
    refused = _start(as_alice, JULY, "july.nessus", wait="true")
    assert refused.status_code == 413 and refused.json()["field"] == "file"
    assert "without wait" in refused.json()["detail"]
    assert ImportRecord.objects.count() == 1 and not Job.objects.exists()
    assert _start(as_alice, JULY, "july.nessus").status_code == 202  # as a job: fine
