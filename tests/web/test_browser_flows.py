"""The issue's browser scenarios in Debian's chromium (Playwright): create an item with
two milestones, reschedule one, upload evidence, complete it and see the dashboard
change; a second user approves a risk acceptance; a viewer sees no edit controls and
is refused; a scan is imported through the upload page. Every main page is checked
with axe-core (no serious or critical violations) and photographed at desktop and
phone width into tests/artifacts/screens/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import threading

import pytest
from django.urls import reverse

from openpoam.tracker.models import Role
from openpoam.tracker.services import Actor, setup
from tests.web.conftest import _user
from tests.browsing import DESKTOP, NEEDS_CHROMIUM, PHONE, axe_violations, shoot  # noqa: F401

pytestmark = NEEDS_CHROMIUM

NESSUS = """<?xml version="1.0"?><NessusClientData_v2><Report name="monthly">
<ReportHost name="10.0.0.9"><HostProperties><tag name="HOST_START">Mon Jun  3 10:00:00 2024</tag>
<tag name="host-ip">10.0.0.9</tag><tag name="host-fqdn">mill01.acme.test</tag></HostProperties>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="51192"
 pluginName="SSL Certificate Cannot Be Trusted" pluginFamily="General">
<risk_factor>High</risk_factor><synopsis>Untrusted certificate</synopsis>
<description>The certificate chain is not trusted.</description><solution>Replace it.</solution>
<plugin_output>found</plugin_output></ReportItem></ReportHost></Report></NessusClientData_v2>
"""


def _section(page, name: str) -> None:
    """Open a group of the item page's sections (one tap)."""
    page.get_by_role("navigation", name="Item sections").get_by_role("link", name=name).click()


@pytest.fixture
def erin(django_user_model, web_settings, acme):
    user = _user(django_user_model, "erin")
    setup.add_member(Actor.command_line("admin"), acme, user, Role.EDITOR)
    return user


def test_an_item_from_creation_to_completion_changes_the_dashboard(
        transactional_db, poam, tmp_path, browser):
    from playwright.sync_api import expect

    org, system = poam.org.slug, poam.system.slug
    page = browser.open("alice")
    dashboard = reverse("system-dashboard", args=[org, system])
    browser.go(dashboard)
    open_before = int(page.locator("#h-open + .stat").inner_text())

    browser.go(reverse("item-new", args=[org, system]))
    page.get_by_label("Title").fill("Shop-floor PCs run an unsupported OS")
    page.get_by_label("Original risk").select_option("high")
    page.get_by_label("Owner").select_option("Dana Reyes")
    page.get_by_label("Controls").fill("3.14.1")
    page.get_by_role("button", name="Create item").click()
    expect(page.locator(".page-title")).to_contain_text("Shop-floor PCs")
    expect(page.locator(".designation")).to_contain_text("Internal tracking")
    item_url = page.url

    _section(page, "Milestones")
    for text, due in (("Order replacement PCs", "2026-09-01"), ("Re-image the line", "2026-10-01")):
        form = page.get_by_role("form", name="Add a milestone")
        form.get_by_label("Description").fill(text)
        form.get_by_label("Due").fill(due)
        page.get_by_role("button", name="Add milestone").click()
        expect(page.get_by_role("region", name="Milestones")).to_contain_text(text)

    page.get_by_text("Complete or reschedule milestone 1").click()
    page.locator("#ms-due-1").fill("2026-09-20")
    page.locator("#ms-why-1").fill("Supplier shipped late")
    page.get_by_role("button", name="Reschedule").first.click()
    row = page.get_by_role("region", name="Milestones").get_by_role("row").filter(
        has_text="Order replacement PCs")
    expect(row).to_contain_text("2026-09-01")
    expect(row).to_contain_text("2026-09-20")
    expect(row).to_contain_text("Supplier shipped late")

    evidence = tmp_path / "reimage-report.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
    _section(page, "Evidence")
    page.get_by_label("File").set_input_files(str(evidence))
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_role("region", name="Evidence")).to_contain_text("reimage-report.pdf")
    with page.expect_download() as download:  # a file, never a page swapped in by htmx
        page.get_by_role("link", name="reimage-report.pdf").click()
    assert download.value.suggested_filename == "reimage-report.pdf"

    # An item is completed only once no milestone is open: one done, one not needed.
    _section(page, "Milestones")
    page.get_by_text("Complete or reschedule milestone 1").click()
    page.get_by_role("button", name="Mark complete").first.click()
    expect(page.get_by_text("Complete or reschedule milestone 1")).to_have_count(0)
    page.get_by_text("Complete or reschedule milestone 2").click()
    page.locator("#ms-reason-2").fill("The old PCs were retired instead")
    page.locator("form:has(#ms-reason-2)").get_by_role("button",
                                                      name="Close as not needed").click()
    expect(page.get_by_role("region", name="Milestones")).to_contain_text("Not needed")

    _section(page, "Details")
    page.get_by_label("New status").select_option("completed")
    page.get_by_label("Actual completion").fill(date.today().isoformat())
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".item-head__badges")).to_contain_text("Completed")
    assert page.url.split("#")[0] == item_url

    browser.go(dashboard)
    expect(page.locator("#h-open + .stat")).to_have_text(str(open_before))


def test_a_second_user_approves_a_risk_acceptance(transactional_db, poam, erin, browser):
    from playwright.sync_api import expect

    item = reverse("item", args=[poam.org.slug, poam.system.slug, poam.adjusted.poam_id])
    page = browser.open("erin")
    browser.go(item)
    _section(page, "Requests & comments")
    page.get_by_text("Ask for an approval").click()
    page.get_by_label("Request", exact=True).select_option("risk_acceptance")
    page.get_by_label("Rationale").fill("Portal is internal; compensating controls in place")
    page.get_by_label("Review date").fill((date.today() + timedelta(days=180)).isoformat())
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("region", name="Requests for approval")).to_contain_text("Pending")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)  # an editor cannot
    browser.check("scenario-request-pending")

    page = browser.open("alice")
    browser.go(reverse("approvals"))
    page.get_by_role("link", name=poam.adjusted.poam_id).click()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".item-head__badges")).to_contain_text("Risk Accepted")
    expect(page.get_by_role("region", name="Requests for approval")).to_contain_text(
        "Approved by alice")
    browser.check("scenario-request-approved")


def test_a_viewer_sees_no_edit_controls_and_a_viewer_post_is_refused(
        transactional_db, poam, browser):
    from playwright.sync_api import expect

    item = reverse("item", args=[poam.org.slug, poam.system.slug, poam.adjusted.poam_id])
    page = browser.open("bob")
    browser.go(item)
    expect(page.locator(".page-title")).to_contain_text("TLS 1.0")
    expect(page.get_by_role("link", name="Edit item")).to_have_count(0)
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)
    expect(page.get_by_role("button", name="Add milestone")).to_have_count(0)
    browser.check("scenario-viewer-item")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(f"{browser.base}{item}status/",
                                form={"status": "in_progress", "csrfmiddlewaretoken": token},
                                headers={"Referer": f"{browser.base}{item}"})
    assert refused.status == 403


@pytest.fixture
def a_worker(transactional_db):
    """A background worker beside the server, as `openpoam start` runs one: the upload's
    dry run and the import are jobs."""
    from openpoam.jobs import worker as job_worker

    worker, heart = job_worker.run(in_thread=True, interval=0.2)
    yield worker
    worker.running = False
    heart.stopping.set()
    heart.join(timeout=10)
    for thread in threading.enumerate():  # its connection closed before the tables are flushed
        if thread.name == "openpoam-worker":
            thread.join(timeout=10)


def test_a_scan_is_imported_through_the_upload_page(transactional_db, poam, tmp_path, a_worker,
                                                     browser):
    from playwright.sync_api import expect

    scan = tmp_path / "june.nessus"
    scan.write_text(NESSUS)
    page = browser.open("alice")
    browser.go(reverse("system-imports", args=[poam.org.slug, poam.system.slug]))
    page.get_by_label("Scan, checklist or POA&M file").set_input_files(str(scan))
    page.get_by_role("button", name="Check the file").click()
    # The dry run is a job: its page shows the progress, then the preview, without a reload.
    preview = page.get_by_role("region", name="Import dry run of june.nessus")
    expect(preview).to_contain_text("What importing june.nessus would change", timeout=20000)
    expect(preview.locator("dt:has-text(\"New items\") + dd")).to_have_text("1")
    browser.check("scenario-import-preview")
    page.get_by_role("button", name="Import june.nessus").click()
    # The import is a job too: its page says when it is done and links to its record.
    expect(page.get_by_role("heading", name="june.nessus imported")).to_be_visible(timeout=20000)
    page.get_by_role("link", name="See the import's changes").click()
    expect(page.locator(".page-title")).to_contain_text("Import of june.nessus")
    expect(page.get_by_role("region", name="What it changed")).to_contain_text(
        "SSL Certificate Cannot Be Trusted")
    browser.check("scenario-import-record")


@pytest.fixture
def november_review(poam):
    """A review in progress (made before the browser starts: the ORM is not async-safe)."""
    from openpoam.reviews.services import review as reviews
    from openpoam.tracker.services import Actor

    return reviews.start_review(Actor.command_line("admin"), poam.system, date(2026, 11, 1))


def test_every_main_page_passes_axe_at_desktop_and_phone_width(
        transactional_db, poam, november_review, browser):
    org, system = poam.org.slug, poam.system.slug
    item = poam.delayed.poam_id
    pages = {
        "home": reverse("home"),
        "list": reverse("system", args=[org, system]),
        "item": reverse("item", args=[org, system, item]),
        "item-edit": reverse("item-edit", args=[org, system, item]),
        "item-new": reverse("item-new", args=[org, system]),
        "dashboard": reverse("system-dashboard", args=[org, system]),
        "cmmc": reverse("system-cmmc", args=[org, system]),
        "cmmc-grid": reverse("system-cmmc-assess", args=[org, system]),
        "checks": reverse("system-checks", args=[org, system]),
        "imports": reverse("system-imports", args=[org, system]),
        "settings": reverse("system-settings", args=[org, system]),
        "people": reverse("org-people", args=[org]),
        "approvals": reverse("approvals"),
        "reviews": reverse("system-reviews", args=[org, system]),
        "review": reverse("system-review", args=[org, system, "2026-11"]),
        "metrics": reverse("system-metrics", args=[org, system]),
        "calendars": reverse("system-calendars", args=[org, system]),
        "members": reverse("members", args=[org]),
        "audit": reverse("audit", args=[org]),
        "mfa": reverse("mfa"),
    }
    found: dict[str, list[str]] = {}
    for viewport in (DESKTOP, PHONE):
        page = browser.open("alice", viewport)
        for name, path in pages.items():
            browser.go(path)
            assert page.locator(".designation, .designation-badge").count() or name in (
                "home", "people", "approvals", "members", "audit", "mfa"), \
                f"{name} does not show the designation"
            shoot(page, name)
            problems = axe_violations(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            if viewport is PHONE and width > PHONE["width"] + 1:
                problems.append(f"the page scrolls sideways ({width}px)")
            if problems:
                found[f"{name}@{viewport['width']}"] = problems
    assert found == {}, found


def test_the_list_at_phone_width_keeps_every_key_column_visible(
        transactional_db, poam, browser):
    page = browser.open("alice", PHONE)
    browser.go(reverse("system", args=[poam.org.slug, poam.system.slug]))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page scrolls sideways ({width}px)"
    card = page.locator("tbody tr").first
    for label in ("ID", "Title", "Risk", "Status", "Owner", "Due"):
        box = card.locator(f'td[data-label="{label}"]').bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, label
    assert re.search(r"POAM-\d{4}-\d+", card.inner_text())


@pytest.fixture
def lived_in(poam, tmp_path):
    """The states a month of use leaves (made before the browser starts): a finished review
    with its snapshot, a recorded import, a CMMC assessment with gaps, people with long
    names, a long audit trail."""
    from openpoam.reviews.services import review as reviews
    from openpoam.tracker.services import assessments
    from openpoam.tracker.services import imports as import_services

    admin = Actor.command_line("admin")
    october = reviews.start_review(admin, poam.system, date(2026, 10, 1))
    reviews.finish_review(admin, october, "Walked in the monthly meeting", allow_unreviewed=True)
    scan = tmp_path / "june-monthly-authenticated-scan-of-the-whole-enclave.nessus"
    scan.write_text(NESSUS)
    record = import_services.import_file(admin, poam.system, scan).record
    assessments.record_assessment(admin, poam.system, {
        "level": 2, "assessment_type": "Self", "status_date": "2026-03-02",
        "results": {"3.1.3": "not_met", "3.13.11": "partial", "3.3.5": "not_met"}},
        assessed_on=date(2026, 3, 1))
    for n in range(3):
        setup.add_person(admin, poam.org, f"Maximiliane Oberhauser-Wittgenstein {n}",
                         email=f"maximiliane.oberhauser{n}@contractor.example")
    for n in range(40):
        setup.add_person(admin, poam.org, f"Auditor {n}")
    return {"import": record.pk}


def test_the_states_a_month_of_use_reaches_pass_axe_and_fit_a_phone(
        transactional_db, poam, lived_in, browser):
    org, system = poam.org.slug, poam.system.slug
    pages = {
        "review-finished": reverse("system-review", args=[org, system, "2026-10"]),
        "import-record": reverse("system-import", args=[org, system, lived_in["import"]]),
        "cmmc-gaps": reverse("system-cmmc", args=[org, system]),
        "audit-long": reverse("audit", args=[org]),
        "list-bulk": reverse("system", args=[org, system]),
        "item-evidence": reverse("item", args=[org, system, poam.delayed.poam_id]),
        "list-bad-filter": reverse("system", args=[org, system]) + "?risk=bogus",
    }
    for viewport in (DESKTOP, PHONE):
        browser.open("alice", viewport)
        for name, path in pages.items():
            browser.go(path)
            browser.check(name)
    assert browser.findings == {}, browser.findings
    browser.findings.clear()
