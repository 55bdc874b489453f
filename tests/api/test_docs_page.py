"""The API's documentation page works with no internet and under the strict
Content-Security-Policy: its scripts and styles come from the product itself."""

from __future__ import annotations

from urllib.parse import urlparse


from tests.web.conftest import strict_server  # noqa: F401
from tests.browsing import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM


def test_the_docs_render_offline_under_the_strict_policy(strict_server, transactional_db,  # noqa: F811
                                                         tmp_path):
    from playwright.sync_api import expect, sync_playwright

    server_host = urlparse(strict_server.url).netloc
    problems: list[str] = []
    foreign: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: foreign.append(r.url)
                    if urlparse(r.url).netloc != server_host
                    and not r.url.startswith("data:") else None)
            page.goto(f"{strict_server.url}/api/v1/docs")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("OpenPOAM API")
            expect(page.locator(".opblock-tag").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "docs.png"))
        finally:
            browser.close()
    assert foreign == []
    assert [p for p in problems if "script" in p.lower()] == [], problems
