"""Changing things from the browser: every form posts to a view that calls a service,
shows the service's message as it is when refused, and refuses viewers and strangers."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse

from openpoam.tracker.models import ApprovalRequest, ChangeEvent, PoamItem, Role
from openpoam.tracker.services import Actor, setup
from openpoam.tracker.services import items as item_services
from tests.web.conftest import _user
from tests.web.test_views import item_url, system_url, text_of

pytestmark = pytest.mark.django_db


def url(name: str, poam, item=None, *extra) -> str:
    args = [poam.org.slug, poam.system.slug] + ([item.poam_id] if item is not None else [])
    return reverse(name, args=[*args, *extra])


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def as_bob(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def erin(django_user_model, web_settings, acme):
    user = _user(django_user_model, "erin")
    setup.add_member(Actor.command_line("admin"), acme, user, Role.EDITOR)
    return user


# ---- items ----------------------------------------------------------------------------------

def test_it_creates_an_item_from_the_form(as_alice, poam):
    response = as_alice.post(url("item-new", poam), {
        "title": "Backups not tested", "detected_on": "2026-05-01", "source": "self_assessment",
        "original_risk": "high", "owner": "Dana Reyes", "controls": "3.8.9",
        "assets": "nas01:445/tcp\nnas02", "scheduled_completion": "2026-09-30",
        "cost_estimate": "$1,500", "vendor_dependency": "on", "vendor_product": "Synology DSM"})
    assert response.status_code == 302
    item = PoamItem.objects.get(title="Backups not tested")
    assert response["Location"] == item_url(poam, item)
    assert item.owner.name == "Dana Reyes" and item.original_risk == "high"
    assert [c.control_id for c in item.controls.all()] == ["3.8.9"]
    assert sorted(str(a) for a in item.assets.all()) == ["nas01:445/tcp", "nas02"]
    assert str(item.cost_estimate) == "1500.00" and item.vendor_dependency


def test_it_shows_the_cli_message_and_keeps_the_input_when_refused(as_alice, poam):
    response = as_alice.post(url("item-new", poam), {
        "title": "Keep me", "detected_on": "2026-05-01", "scheduled_completion": "2026-13-01"})
    assert response.status_code == 422
    assert "scheduled_completion: '2026-13-01' is not a real date" in \
        response.content.decode().replace("&#x27;", "'")
    assert 'value="Keep me"' in response.content.decode()
    assert not PoamItem.objects.filter(title="Keep me").exists()


def test_it_edits_an_item_and_needs_a_reason_to_move_its_date(as_alice, poam):
    item = poam.adjusted
    page = as_alice.get(url("item-edit", poam, item))
    assert page.status_code == 200
    values = {"title": item.title, "source": item.source, "original_risk": item.original_risk,
              "scheduled_completion": "2099-03-31", "version": str(item.version),
              "controls": "3.13.8", "depends_on": poam.delayed.poam_id}
    refused = as_alice.post(url("item-edit", poam, item), values)
    assert refused.status_code == 422
    assert "requires a justification" in text_of(refused)
    values["justification"] = "Waiting for the vendor's patch"
    assert as_alice.post(url("item-edit", poam, item), values).status_code == 302
    item.refresh_from_db()
    assert item.scheduled_completion == date(2099, 3, 31)
    assert ChangeEvent.objects.filter(item_uuid=item.uuid, field="scheduled_completion",
                                      justification="Waiting for the vendor's patch").exists()


def test_it_refuses_a_stale_edit(as_alice, poam):
    item = poam.adjusted
    response = as_alice.post(url("item-edit", poam, item), {
        "title": "Changed", "source": item.source, "original_risk": item.original_risk,
        "version": str(item.version - 1 if item.version > 1 else 99)})
    assert response.status_code == 422
    assert "changed by someone else" in text_of(response)


def test_it_moves_an_item_through_the_workflow_with_the_domain_message(as_alice, poam):
    item = poam.adjusted
    refused = as_alice.post(url("item-status", poam, item), {"status": "completed"})
    assert refused.status_code == 422
    assert ("Cannot move from Open to Completed: an actual completion date is required" in
            text_of(refused))
    ok = as_alice.post(url("item-status", poam, item), {"status": "in_progress"})
    assert ok.status_code == 302
    item.refresh_from_db()
    assert item.status == "in_progress"


# ---- milestones and evidence ----------------------------------------------------------------

def test_it_adds_reschedules_completes_and_reorders_milestones(as_alice, poam):
    item = poam.adjusted
    for text, due in (("Order certificates", "2026-07-01"), ("Disable TLS 1.0", "2026-08-01")):
        assert as_alice.post(url("item-milestone-add", poam, item),
                             {"description": text, "due": due}).status_code == 302
    refused = as_alice.post(url("item-milestone", poam, item, 1),
                            {"do": "reschedule", "due": "2026-07-15"})
    assert refused.status_code == 422 and "requires a justification" in text_of(refused)
    assert as_alice.post(url("item-milestone", poam, item, 1), {
        "do": "reschedule", "due": "2026-07-15", "justification": "CA backlog"}).status_code == 302
    page = text_of(as_alice.get(item_url(poam, item)))
    assert "2026-07-01" in page and "2026-07-15" in page and "CA backlog" in page
    assert as_alice.post(url("item-milestone", poam, item, 2), {"do": "up"}).status_code == 302
    assert [m.description for m in item.milestones.order_by("sequence")] == \
        ["Disable TLS 1.0", "Order certificates"]
    assert as_alice.post(url("item-milestone", poam, item, 1),
                         {"do": "complete", "completed_on": "2026-07-20"}).status_code == 302
    assert item.milestones.get(sequence=1).completed_on == date(2026, 7, 20)


def test_it_uploads_evidence_typed_from_its_content(as_alice, poam):
    item = poam.adjusted
    upload = io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    upload.name = "renamed.txt"
    response = as_alice.post(url("item-evidence", poam, item),
                             {"file": upload, "description": "Scan after the fix"})
    assert response.status_code == 302
    added = item.evidence.get(name="renamed.txt")
    assert added.media_type == "application/pdf" and added.description == "Scan after the fix"


def test_it_refuses_evidence_over_the_limit_before_reading_it(as_alice, poam, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    upload = io.BytesIO(b"x" * (200 * 1024))
    upload.name = "big.bin"
    response = as_alice.post(url("item-evidence", poam, poam.adjusted), {"file": upload})
    assert response.status_code == 413 and "over the limit" in text_of(response)
    assert not poam.adjusted.evidence.filter(name="big.bin").exists()


# ---- requests, comments, bulk ---------------------------------------------------------------

def test_a_second_person_approves_a_risk_acceptance(client, poam, erin, alice):
    item = poam.adjusted
    client.force_login(erin)
    review = (date.today() + timedelta(days=180)).isoformat()
    assert client.post(url("item-request", poam, item), {
        "kind": "risk_acceptance", "rationale": "Internal only; compensating controls",
        "review_date": review}).status_code == 302
    pending = ApprovalRequest.objects.get(item=item)
    own = client.post(url("item-request-decide", poam, item, pending.pk), {"decision": "approve"})
    assert own.status_code == 422  # an editor cannot decide, let alone their own request
    client.force_login(alice)
    assert client.post(url("item-request-decide", poam, item, pending.pk),
                       {"decision": "approve"}).status_code == 302
    item.refresh_from_db()
    pending.refresh_from_db()
    assert item.status == "risk_accepted" and pending.state == "approved"
    assert item.approver == alice.get_username() or item.approver
    assert item.organization.people.filter(user=alice).exists()


def test_nobody_approves_their_own_request(as_alice, poam):
    item = poam.adjusted
    as_alice.post(url("item-request", poam, item), {
        "kind": "false_positive", "rationale": "The portal runs TLS 1.2 only"})
    pending = ApprovalRequest.objects.get(item=item)
    response = as_alice.post(url("item-request-decide", poam, item, pending.pk),
                             {"decision": "approve"})
    assert response.status_code == 422
    assert "must be someone other than the person asking" in text_of(response)
    item.refresh_from_db()
    assert item.status == "open"


def test_it_adds_a_comment(as_alice, poam):
    item = poam.adjusted
    assert as_alice.post(url("item-comment", poam, item),
                         {"text": "Called the vendor <b>today</b>"}).status_code == 302
    html = as_alice.get(item_url(poam, item)).content.decode()
    assert "Called the vendor &lt;b&gt;today&lt;/b&gt;" in html


def test_bulk_change_records_the_justification_on_each_item(as_alice, poam):
    ids = [poam.delayed.poam_id, poam.adjusted.poam_id]
    response = as_alice.post(reverse("system-bulk", args=[poam.org.slug, poam.system.slug]), {
        "items": ids, "change": "status", "value_status": "in_progress",
        "justification": "Kick-off meeting held"})
    assert response.status_code == 302
    assert set(PoamItem.objects.filter(poam_id__in=ids).values_list("status", flat=True)) == \
        {"in_progress"}
    assert ChangeEvent.objects.filter(poam_id__in=ids, field="status",
                                      justification="Kick-off meeting held").count() == 2


def test_bulk_change_is_all_or_nothing(as_alice, poam):
    ids = [poam.adjusted.poam_id, poam.closed.poam_id]  # a completed item cannot go in progress
    response = as_alice.post(reverse("system-bulk", args=[poam.org.slug, poam.system.slug]), {
        "items": ids, "change": "status", "value_status": "in_progress", "justification": "x"})
    assert response.status_code == 422
    assert poam.closed.poam_id in text_of(response) and "nothing was changed" in text_of(response)
    poam.adjusted.refresh_from_db()
    assert poam.adjusted.status == "open"


# ---- who may -------------------------------------------------------------------------------

def test_a_viewer_sees_no_edit_controls(as_bob, poam):
    html = as_bob.get(item_url(poam, poam.adjusted)).content.decode()
    assert "Edit item" not in html and 'name="status"' not in html
    assert "Add milestone" not in html and "Add evidence" not in html
    listing = as_bob.get(system_url(poam)).content.decode()
    assert 'id="bulk"' not in listing and "New item" not in listing


@pytest.mark.parametrize("name, data", [
    ("item-status", {"status": "in_progress"}),
    ("item-milestone-add", {"description": "x", "due": "2026-01-01"}),
    ("item-comment", {"text": "x"}),
    ("item-request", {"kind": "false_positive", "rationale": "x"}),
    ("item-edit", {"title": "x"}),
])
def test_a_viewer_post_is_refused(as_bob, poam, name, data):
    before = ChangeEvent.objects.count()
    response = as_bob.post(url(name, poam, poam.adjusted), data)
    assert response.status_code == 403
    assert ChangeEvent.objects.count() == before


def test_a_stranger_gets_404_for_every_change(client, charlie, globex, poam):
    client.force_login(charlie)
    assert client.post(url("item-status", poam, poam.adjusted),
                       {"status": "in_progress"}).status_code == 404
    assert client.post(reverse("system-bulk", args=[poam.org.slug, poam.system.slug]),
                       {"items": [poam.adjusted.poam_id]}).status_code == 404


def test_every_post_needs_the_csrf_token(poam, alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(url("item-status", poam, poam.adjusted), {"status": "in_progress"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    poam.adjusted.refresh_from_db()
    assert poam.adjusted.status == "open"


# ---- people, systems, approvals -------------------------------------------------------------

def test_people_are_added_and_renamed(as_alice, poam):
    page = reverse("org-people", args=[poam.org.slug])
    assert as_alice.post(page, {"name": "Sam Lee", "email": "sam@acme.test"}).status_code == 302
    sam = poam.org.people.get(name="Sam Lee")
    assert as_alice.post(page, {"person": sam.pk, "name": "Samuel Lee",
                                "email": "sam@acme.test"}).status_code == 302
    sam.refresh_from_db()
    assert sam.name == "Samuel Lee"
    duplicate = as_alice.post(page, {"name": "Dana Reyes"})
    assert duplicate.status_code == 422


def test_an_owner_creates_a_system_and_changes_its_designation(as_alice, poam):
    response = as_alice.post(reverse("system-new", args=[poam.org.slug]), {
        "name": "Cloud", "slug": "cloud", "framework": "fedramp-moderate",
        "designation": "official", "impact_level": "Moderate", "auto_close": "on"})
    assert response.status_code == 302
    settings_url = reverse("system-settings", args=[poam.org.slug, "cloud"])
    assert "designated for official submission" in text_of(as_alice.get(settings_url))
    assert as_alice.post(settings_url, {"name": "Cloud", "framework": "fedramp-moderate",
                                        "designation": "internal"}).status_code == 302
    assert poam.org.systems.get(slug="cloud").designation == "internal"
    bad = as_alice.post(reverse("system-new", args=[poam.org.slug]), {
        "name": "X", "slug": "Bad Slug", "framework": "rmf", "designation": "internal"})
    assert bad.status_code == 422


def test_a_viewer_cannot_add_systems_or_people(as_bob, poam):
    assert as_bob.post(reverse("system-new", args=[poam.org.slug]),
                       {"name": "X", "slug": "x", "framework": "rmf"}).status_code == 403
    assert as_bob.post(reverse("org-people", args=[poam.org.slug]),
                       {"name": "Mallory"}).status_code == 403


def test_the_approvals_page_lists_pending_requests(as_alice, poam):
    as_alice.post(url("item-request", poam, poam.adjusted),
                  {"kind": "false_positive", "rationale": "Scanner misread the banner"})
    text = text_of(as_alice.get(reverse("approvals")))
    assert poam.adjusted.poam_id in text and "False positive" in text


# ---- imports --------------------------------------------------------------------------------

SCAN = """<?xml version="1.0"?><NessusClientData_v2><Report name="m"><ReportHost name="10.1.1.1">
<HostProperties><tag name="HOST_START">Mon Jun  3 10:00:00 2024</tag><tag name="host-ip">10.1.1.1</tag>
</HostProperties><ReportItem port="22" svc_name="ssh" protocol="tcp" severity="2" pluginID="70658"
 pluginName="SSH Server CBC Mode Ciphers Enabled" pluginFamily="Misc."><risk_factor>Low</risk_factor>
<synopsis>CBC ciphers</synopsis><description>CBC mode ciphers are enabled.</description>
<solution>Disable them.</solution></ReportItem></ReportHost></Report></NessusClientData_v2>"""


def _upload(client, poam, content=SCAN.encode(), name="june.nessus"):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(reverse("system-import-upload", args=[poam.org.slug, poam.system.slug]),
                       {"file": upload})


def _worker_runs(client, response):
    """A worker runs the queued job; the job page the response pointed to, afterwards."""
    from openpoam.jobs.services import run_queued

    assert response.status_code == 302 and "/jobs/" in response["Location"], response
    run_queued()
    return client.get(response["Location"])


def test_an_upload_shows_the_dry_run_and_changes_nothing_until_confirmed(as_alice, poam):
    before = PoamItem.objects.count()
    preview = _worker_runs(as_alice, _upload(as_alice, poam))
    assert preview.status_code == 200
    assert "What importing june.nessus would change" in text_of(preview)
    assert "SSH Server CBC Mode Ciphers Enabled" in text_of(preview)  # the items, not counts
    assert PoamItem.objects.count() == before
    job = preview.context["job"].uuid
    confirm = reverse("system-import-confirm", args=[poam.org.slug, poam.system.slug])
    done = _worker_runs(as_alice, as_alice.post(confirm, {"job": job}))
    assert done.status_code == 200 and "june.nessus imported" in text_of(done)
    assert PoamItem.objects.count() == before + 1
    record = as_alice.get(reverse("system-import", args=[poam.org.slug, poam.system.slug,
                                                         done.context["job"].import_record_id]))
    assert "SSH Server CBC Mode Ciphers Enabled" in text_of(record)
    again = as_alice.post(confirm, {"job": job})
    assert again.status_code == 422 and "already confirmed" in text_of(again)


def test_an_unreadable_upload_names_the_file(as_alice, poam):
    response = _worker_runs(as_alice, _upload(as_alice, poam, b"just some words", "notes.txt"))
    assert "notes.txt" in text_of(response) and response.context["job"].state == "failed"


def test_a_viewer_cannot_upload(as_bob, poam):
    assert _upload(as_bob, poam).status_code == 403


def test_the_checks_page_reads_stored_results_and_shows_a_change_at_once(
        as_alice, poam, alice, django_assert_max_num_queries):
    page = reverse("system-checks", args=[poam.org.slug, poam.system.slug])
    as_alice.get(page)
    # Session, user, system, the basis, one count of the rows that hold today, two queries
    # per kind of problem, the POA&M-wide checks: not one per item.
    with django_assert_max_num_queries(40):
        shown = as_alice.get(page)
    assert shown.status_code == 200
    delayed = poam.delayed.poam_id
    before = shown.content.decode().count(f">{delayed}</a>")
    item_services.update_item(Actor.for_user(alice), poam.delayed, {"planned_remediation": ""})
    after = as_alice.get(page).content.decode()
    assert after.count(f">{delayed}</a>") == before + 1  # now in "describe the plan" too
    assert "3 items checked" in text_of(as_alice.get(page))
