"""In a real browser (chromium through Playwright): the item form's RMF risk analysis is
filled and saved, and the item page shows it."""

from __future__ import annotations

from urllib.parse import urlparse

from django.urls import reverse

from tests.browsing import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM


def test_the_rmf_risk_analysis_is_filled_in_the_form_and_shown_on_the_item(
        strict_server, transactional_db, poam, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.web.conftest import PASSWORD

    live_server = strict_server
    item_id = poam.delayed.poam_id
    edit = reverse("item-edit", args=[poam.org.slug, poam.system.slug, item_id])
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/")
            page.get_by_label("User name").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Signed in as")).to_contain_text("alice")
            page.goto(f"{live_server.url}{edit}")
            page.get_by_label("Likelihood").select_option(label="Very High")
            page.get_by_label("Relevance of Threat").select_option(label="High")
            page.get_by_label("Threat Description").fill("Phishing of privileged users")
            page.get_by_label("Identified in CFO Audit or other review").check()
            page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
            page.get_by_role("button", name="Save changes").click()
            page.wait_for_url(lambda url: urlparse(url).path != edit)
            remediation = page.get_by_role("region", name="Remediation")
            expect(remediation).to_contain_text("Very High")
            expect(remediation).to_contain_text("Phishing of privileged users")
            expect(remediation).to_contain_text("Identified in CFO Audit or other review")
            page.screenshot(path=str(tmp_path / "item.png"), full_page=True)
        finally:
            browser.close()
    assert problems == [], problems
    assert (tmp_path / "item.png").stat().st_size > 10_000
