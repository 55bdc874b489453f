"""The CR26 pages: dashboard with queue and overdue work, accepted list, one vulnerability
with its forms, and report downloads. Alice owns acme, bob views it, charlie is a stranger."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from openpoam.formats.cr26 import validation
from openpoam.tracker.models import Cr26Report, Cr26Vulnerability
from openpoam.tracker.services import cr26, imports, setup
from tests.services.test_imports import nessus


@pytest.fixture
def cloud(acme, admin_actor, tmp_path):
    system = setup.create_system(admin_actor, acme, slug="cloud", name="Cloud",
                                 framework="fedramp-high")
    cr26.set_regime(admin_actor, system, "cr26", "D", package_uri="https://example.com/cpo")
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443), (1002, 80)]})
    imports.import_file(admin_actor, system, path)
    system.refresh_from_db()
    return system


def url(name: str, system, *args) -> str:
    return reverse(name, args=[system.organization.slug, system.slug, *args])


def test_the_dashboard_shows_the_queue_and_overdue_work(client, alice, cloud):
    client.force_login(alice)
    page = client.get(url("system-cr26", cloud))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Evaluation queue" in text and "proposed N3" in text
    assert "POAM-2024-0001" in text and "late" in text  # detected in 2024, D: 2 days
    assert "SHOULD every 7 days (VER-TFR-MRH)" in text  # Class D cadence


def test_strangers_get_404_and_classic_systems_have_no_cr26_pages(client, charlie, alice,
                                                                  cloud, enclave):
    client.force_login(charlie)
    assert client.get(url("system-cr26", cloud)).status_code == 404
    client.force_login(alice)
    assert client.get(url("system-cr26", enclave)).status_code == 404


def test_an_editor_evaluates_through_the_form_and_a_viewer_cannot(client, alice, bob, cloud):
    target = url("system-cr26-vuln", cloud, "POAM-2024-0001")
    client.force_login(bob)
    refused = client.post(target, {"action": "evaluate", "rating": "4", "lev": "yes",
                                   "reason": "x"})
    assert refused.status_code == 403
    client.force_login(alice)
    done = client.post(target, {"action": "evaluate", "rating": "4", "lev": "yes",
                                "reason": "<b>admin</b> panel", "at": "2024-06-04T08:00"})
    assert done.status_code == 302
    vuln = Cr26Vulnerability.objects.get(item__poam_id="POAM-2024-0001")
    assert (vuln.rating, vuln.lev, vuln.irv, vuln.evaluated_by) == (4, True, False, "alice")
    assert vuln.evaluated_at == datetime(2024, 6, 4, 8, 0, tzinfo=UTC)
    page = client.get(target).content.decode()
    assert "&lt;b&gt;admin&lt;/b&gt; panel" in page and "<b>admin</b>" not in page
    bad = client.post(target, {"action": "reduce", "rating": "5", "reason": "x"})
    assert bad.status_code == 400 and "lowers the N-rating" in bad.content.decode()


def test_accepted_list_replaces_the_poam(client, alice, cloud):
    vuln = Cr26Vulnerability.objects.get(item__poam_id="POAM-2024-0002")
    cr26.evaluate(cr26.Actor.command_line(), vuln, rating=2, lev=False, irv=False,
                  reason="internal only", at=datetime(2024, 6, 4, tzinfo=UTC))
    client.force_login(alice)
    page = client.get(url("system-cr26-accepted", cloud)).content.decode()
    assert "POAM-2024-0002" in page and "VER-TFR-MAV" in page


def test_reports_preview_for_viewers_and_record_for_editors(client, alice, bob, cloud):
    client.force_login(bob)
    preview = client.get(url("system-cr26-report", cloud, "vdt"))
    assert preview.status_code == 200 and preview["Content-Type"] == "application/json"
    assert validation.validate("vdt", json.loads(preview.content)) == []
    assert client.post(url("system-cr26-report", cloud, "vdt")).status_code == 403
    assert not Cr26Report.objects.exists()
    client.force_login(alice)
    recorded = client.post(url("system-cr26-report", cloud, "mhr"))
    assert recorded.status_code == 200 and b"VER-TFR-MHR" in recorded.content
    assert Cr26Report.objects.filter(kind="mhr").count() == 1
    assert client.get(url("system-cr26-report", cloud, "nope")).status_code == 404


def test_an_editor_groups_findings_sharing_a_cause(client, alice, cloud):
    client.force_login(alice)
    target = url("system-cr26-vuln", cloud, "POAM-2024-0001")
    missing = client.post(target, {"action": "group", "members": "POAM-2024-0099",
                                   "reason": "same library"})
    assert missing.status_code == 400 and "no CR26 vulnerability POAM-2024-0099" in \
        missing.content.decode()
    done = client.post(target, {"action": "group", "members": "poam-2024-0002",
                                "reason": "same library"})
    assert done.status_code == 302
    member = Cr26Vulnerability.objects.get(item__poam_id="POAM-2024-0002")
    assert member.group_lead.item.poam_id == "POAM-2024-0001"
    assert "POAM-2024-0002" in client.get(target).content.decode()

    member_page = url("system-cr26-vuln", cloud, "POAM-2024-0002")
    assert "Take out of the group of POAM-2024-0001" in client.get(member_page).content.decode()
    taken_out = client.post(member_page, {"action": "ungroup", "reason": "patched separately"})
    assert taken_out.status_code == 302
    member.refresh_from_db()
    assert member.group_lead is None
    again = client.post(member_page, {"action": "ungroup", "reason": "twice"})
    assert again.status_code == 400 and "is not in a group" in again.content.decode()


def test_the_system_dashboard_counts_cr26_overdue_work(client, alice, cloud, enclave):
    # Detected in June 2024, Class D: both evaluations were due two days later (VER-TFR-EVU).
    client.force_login(alice)
    text = client.get(url("system-dashboard", cloud)).content.decode()
    assert "CR26 overdue" in text and "2 evaluations (VER-TFR-EVU)" in text
    assert "Past scheduled completion" in text
    classic = client.get(url("system-dashboard", enclave)).content.decode()
    assert "CR26 overdue" not in classic and "Overdue items" in classic


def test_n0_through_the_form_is_shown_as_n0_and_stays_selected(client, alice, cloud):
    # VER-EVA-EPA N0 (rules 2026.10.05.01): the form offers it and the page shows it.
    target = url("system-cr26-vuln", cloud, "POAM-2024-0002")
    client.force_login(alice)
    form = client.get(target).content.decode()
    assert '<option value="0"' in form and ">N0</option>" in form
    done = client.post(target, {"action": "evaluate", "rating": "0", "reason": "no agency data",
                                "at": "2024-06-04T08:00"})
    assert done.status_code == 302
    vuln = Cr26Vulnerability.objects.get(item__poam_id="POAM-2024-0002")
    assert vuln.rating == 0 and vuln.evaluated_by == "alice"
    page = client.get(target).content.decode()
    assert "N0 NLEV NIRV" in page and '<option value="0" selected>N0</option>' in page
    bad = client.post(target, {"action": "evaluate", "rating": "6", "reason": "x"})
    assert bad.status_code == 400 and "0 to 5" in bad.content.decode()
