"""A CI pipeline end to end over the API: upload a scan as a dry run, then for real; fetch
the items it changed; download the OSCAL export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openpoam.tracker.models import ImportRecord, PoamItem
from tests.paths import SAMPLES

SCAN = SAMPLES / "nessus" / "nessus_was_many_vuln.xml"
pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not SCAN.is_file(), reason=f"shared samples absent ({SCAN})")]
SYSTEM = "orgs/acme/systems/enclave"


def _upload(caller, **form):
    upload = SimpleUploadedFile(SCAN.name, SCAN.read_bytes())
    return caller.post(f"{SYSTEM}/imports", data={"file": upload, **form})


def test_scan_to_oscal(as_alice, poam):
    before = PoamItem.objects.count()
    preview = _upload(as_alice, dry_run="true")
    assert preview.status_code == 200, preview.content
    counts = preview.json()["counts"]
    assert preview.json()["dry_run"] and preview.json()["id"] is None and counts["new"] > 0
    assert PoamItem.objects.count() == before and not ImportRecord.objects.exists()

    done = _upload(as_alice)
    assert done.status_code == 201, done.content
    assert done.json()["counts"] == counts and done.json()["format"] == "nessus"
    record = as_alice.get(f"{SYSTEM}/imports/{done.json()['id']}").json()
    assert len(record["changed_items"]) == counts["new"]
    for poam_id in record["changed_items"]:
        item = as_alice.get(f"orgs/acme/items/{poam_id}").json()
        assert item["source"] == "vulnerability_scan" and item["assets"]
        assert item["asset_count"] == len(item["assets"]) > 0
    listed = as_alice.get(f"{SYSTEM}/imports").json()["imports"]
    assert [i["id"] for i in listed] == [done.json()["id"]]

    export = as_alice.get(f"{SYSTEM}/exports/oscal-json")
    assert export.status_code == 200
    assert "attachment" in export["Content-Disposition"]
    document = json.loads(export.content)
    poam_items = document["plan-of-action-and-milestones"]["poam-items"]
    assert len(poam_items) == 3 + counts["new"]

    again = _upload(as_alice)  # the same file twice changes nothing
    assert again.json()["counts"]["new"] == 0


def test_a_bad_file_is_422_and_writes_nothing(as_alice, poam):
    upload = SimpleUploadedFile("scan.nessus", b"<NessusClientData_v2><Report>")
    response = as_alice.post(f"{SYSTEM}/imports", data={"file": upload})
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert not ImportRecord.objects.exists()


def test_an_import_over_the_limit_is_413(as_alice, poam, api_settings):
    api_settings.IMPORT_MAX_BYTES = 1000
    response = _upload(as_alice)
    assert response.status_code == 413 and response.json()["field"] == "file"
    assert not ImportRecord.objects.exists()


def test_an_unknown_export_format_is_404(as_alice, poam):
    assert as_alice.get(f"{SYSTEM}/exports/docx").status_code == 404
