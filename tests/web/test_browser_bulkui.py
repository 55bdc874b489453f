"""Daily work in the browser (issue 25): work on many items at once from the list and
from an import's result, the item page's sections one tap apart, pages that fit a phone.

Every page is checked with axe-core and photographed at 1280 and 390 px into
tests/artifacts/screens/ (``bulkui-*``); the item page's height and where the content
starts at phone width are written to tests/artifacts/bulkui-measure.json.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from openpoam.tracker.models import ChangeEvent, Milestone, PoamItem
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser_flows import DESKTOP, PHONE, SCREENS, Browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install chromium)"),
]

MEASURE = SCREENS.parent / "bulkui-measure.json"


@pytest.fixture
def browser(strict_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        session = Browser(playwright, strict_server.url)
        try:
            yield session
        finally:
            session.close()
    assert session.problems == [], session.problems
    assert session.findings == {}, session.findings


def _top(page, selector: str) -> int:
    return round(page.evaluate(
        f"document.querySelector({json.dumps(selector)}).getBoundingClientRect().top"
        " + window.scrollY"))


def test_the_item_page_is_short_and_the_content_starts_on_the_first_screen(
        transactional_db, poam, browser):
    org, system = poam.org.slug, poam.system.slug
    item = reverse("item", args=[org, system, poam.delayed.poam_id])
    listing = reverse("system", args=[org, system])
    figures = {}
    for viewport in (DESKTOP, PHONE):
        width = viewport["width"]
        page = browser.open("alice", viewport)
        browser.go(item)
        figures[f"item_height_{width}"] = page.evaluate("document.documentElement.scrollHeight")
        figures[f"item_content_top_{width}"] = _top(page, ".item-head")
        browser.go(listing)
        figures[f"list_content_top_{width}"] = _top(page, ".counts")
        page.context.close()
    MEASURE.parent.mkdir(parents=True, exist_ok=True)
    MEASURE.write_text(json.dumps(figures, indent=2))
    print(figures)
