"""Browser scenarios (Debian's chromium, Playwright) for My work, notifications and the
portfolio: an approver signing in sees the request waiting; a consultant with two client
organizations sees both on one page. Each page is checked with axe-core and photographed at
1280 and 390 px into tests/artifacts/screens/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.my_work_world import build, tasks_inline  # noqa: F401
from tests.browsing import DESKTOP, NEEDS_CHROMIUM, PHONE

pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def world(transactional_db, web_settings, tasks_inline):
    return build()


def test_an_approver_signing_in_sees_the_request_waiting(world, browser):
    from playwright.sync_api import expect

    for viewport in (DESKTOP, PHONE):
        page = browser.open("olga", viewport)
        waiting = page.get_by_role("region", name="Waiting on you")
        expect(waiting).to_contain_text("Requests to decide: 1")
        expect(waiting).to_contain_text("Risk acceptance asked by dana")
        expect(page.locator(".bell__count")).to_have_text("1 unread")
        browser.check("home-owner")
        page.get_by_role("link", name="Requests to decide: 1").click()
        expect(page.get_by_role("heading", name="My work")).to_be_visible()
        browser.check("my-work-approver")
        page.get_by_role("link", name="Notifications", exact=True).first.click()
        expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
        expect(page.locator(".notice--unread")).to_have_count(1)
        expect(page.locator("body")).not_to_contain_text("Globex")
        browser.check("notifications")
        browser.go(reverse("notification-settings"))
        browser.check("notification-settings")
    # Opening the notification marks it read and leads to the request on the item.
    browser.go(reverse("notifications"))
    page.get_by_role("button", name=f"New Risk acceptance waits for your decision: "
                                    f"{world.due_soon.poam_id}").click()
    expect(page.get_by_role("heading", name="Requests for approval")).to_be_visible()
    expect(page.locator(".bell__count")).to_have_count(0)


def test_a_consultant_sees_every_client_on_one_page(world, browser):
    from playwright.sync_api import expect

    for viewport in (DESKTOP, PHONE):
        page = browser.open("dana", viewport)
        expect(page.get_by_role("heading", name="My work")).to_be_visible()
        items = page.get_by_role("region", name="Items due")
        expect(items).to_contain_text("Rotate the backup keys")  # initech, overdue
        expect(items).to_contain_text("Patch the VPN concentrator")  # acme
        expect(items.locator(".work-row--overdue")).to_have_count(1)
        expect(page.locator("body")).not_to_contain_text("Globex")
        browser.check("my-work-consultant")
        page.get_by_role("link", name="Portfolio of all your systems").click()
        expect(page.get_by_role("heading", name="Portfolio")).to_be_visible()
        table = page.get_by_role("table")
        expect(table).to_contain_text("Acme Defense")
        expect(table).to_contain_text("Initech")
        expect(table).not_to_contain_text("Globex")
        browser.check("portfolio")
        if viewport is DESKTOP:
            page.get_by_role("link", name="Organization").click()
        else:  # a phone stacks the table: its column heads are not shown
            page.get_by_label("Sort by").select_option("organization")
            page.get_by_label("Order").select_option("asc")
            page.get_by_role("button", name="Sort").click()
        expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Organization")
        first = page.get_by_role("row").nth(1)
        expect(first).to_contain_text("Acme Defense")
        first.get_by_role("link").first.click()
        expect(page).to_have_url(f"{browser.base}/org/acme/system/enclave/")

