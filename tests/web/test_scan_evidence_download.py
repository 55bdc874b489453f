"""The evidence of a closure made by a scan is the import's stored file, downloadable as such."""

from __future__ import annotations

from django.urls import reverse

from openpoam.tracker.models import Evidence, ImportRecord
from openpoam.tracker.services import Actor, imports

SCAN = """<?xml version="1.0"?><NessusClientData_v2><Report name="m">
<ReportHost name="10.0.0.1"><HostProperties><tag name="HOST_START">{when}</tag>
</HostProperties>{items}</ReportHost></Report></NessusClientData_v2>"""
ITEM = """<ReportItem port="443" svc_name="www" protocol="tcp" severity="3"
 pluginID="1001" pluginName="Old TLS" pluginFamily="Misc."><description>d</description>
</ReportItem>"""


def test_it_downloads_the_scan_that_closed_an_item_as_an_attachment(client, enclave, bob,
                                                                     alice, tmp_path,
                                                                     web_settings):
    web_settings.EVIDENCE_MAX_BYTES = 100  # the scan is larger: it is not an upload
    actor = Actor.for_user(alice)
    june, july = tmp_path / "june.nessus", tmp_path / "july.nessus"
    june.write_text(SCAN.format(when="Mon Jun  3 10:00:00 2024", items=ITEM))
    july.write_text(SCAN.format(when="Wed Jul  3 10:00:00 2024", items=""))
    imports.import_file(actor, enclave, june)
    imports.import_file(actor, enclave, july)
    proof = Evidence.objects.get()
    assert proof.storage_name == ImportRecord.objects.get(file_name="july.nessus").storage_name
    client.force_login(bob)  # a viewer may read evidence
    response = client.get(reverse("evidence", args=[proof.uuid]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == july.read_bytes()
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="july.nessus"' in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/octet-stream")  # XML: never inline
