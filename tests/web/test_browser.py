"""A real browser (Debian's chromium, driven by Playwright) walks the pages:
sign in, open a system's POA&M, open an item, read its milestones and history."""

from __future__ import annotations

from urllib.parse import urlparse

from django.urls import reverse

from tests.browsing import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM


def test_it_signs_in_and_reads_an_item_with_its_milestones_and_history(
        strict_server, transactional_db, poam, tmp_path):
    live_server = strict_server
    from playwright.sync_api import expect, sync_playwright

    from tests.web.conftest import PASSWORD

    item_id = poam.delayed.poam_id
    item_path = reverse("item", args=[poam.org.slug, poam.system.slug, item_id])
    screenshot = tmp_path / "item.png"
    problems: list[str] = []
    foreign: list[str] = []
    server_host = urlparse(live_server.url).netloc
    # Only the browser runs inside this block: Django's database work happens in the
    # live server's thread, never under Playwright's event loop.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: foreign.append(r.url)
                    if urlparse(r.url).netloc != server_host else None)

            response = page.goto(f"{live_server.url}/")
            assert "default-src 'self'" in response.headers.get("content-security-policy", ""), \
                "add ContentSecurityPolicyMiddleware to settings.MIDDLEWARE"
            expect(page.get_by_role("heading", name="Sign in to OpenPOAM")).to_be_visible()
            page.get_by_label("User name").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Signed in as")).to_contain_text("alice")

            page.get_by_role("link", name="CUI Enclave").click()
            expect(page.locator(".designation")).to_contain_text("Internal tracking")
            expect(page.get_by_role("table")).to_contain_text(item_id)

            page.get_by_role("link", name=item_id).click()
            page.wait_for_url(f"{live_server.url}{item_path}")
            expect(page.locator(".designation")).to_contain_text("Internal tracking")
            sections = page.get_by_role("navigation", name="Item sections")
            sections.get_by_role("link", name="Milestones").click()
            milestones = page.get_by_role("region", name="Milestones")
            milestone = milestones.get_by_role("row").filter(has_text="Buy hardware tokens")
            expect(milestone).to_contain_text("2025-03-01")
            expect(milestone).to_contain_text("2025-04-15")
            expect(milestone).to_contain_text("Moved")
            sections.get_by_role("link", name="History").click()
            history = page.get_by_role("region", name="Change history")
            expect(history).to_contain_text("milestone 1 due")
            expect(history).to_contain_text("Token supplier backordered")
            page.screenshot(path=str(screenshot), full_page=True)

            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", name="Sign in to OpenPOAM")).to_be_visible()
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
    assert problems == [], problems  # no missing files, no blocked inline code
    assert foreign == [], foreign  # works offline: nothing is fetched from elsewhere
