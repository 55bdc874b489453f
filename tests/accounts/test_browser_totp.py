"""A real browser (Debian's chromium, driven by Playwright) enrols an authenticator from
the QR page, then signs in with password and a TOTP code computed here."""

from __future__ import annotations

import base64
import time


from tests.browsing import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM


def _code(secret_text: str, ahead: int = 0) -> str:
    """The authenticator app's code for the shown key, ``ahead`` time steps from now."""
    from django_otp.oath import TOTP

    totp = TOTP(base64.b32decode(secret_text.replace(" ", "")))
    totp.time = time.time() + 30 * ahead
    return f"{totp.token():06d}"


def test_it_enrols_an_authenticator_and_signs_in_with_a_code(live_server, transactional_db,
                                                            alice, org_a):
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import PASSWORD

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/login/")
            page.get_by_label("User name").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Signed in as")).to_contain_text("alice")

            page.goto(f"{live_server.url}/account/mfa/enrol/")
            expect(page.locator(".qr svg")).to_be_visible()
            secret = page.locator("#totp-secret").inner_text()
            page.get_by_label("The code the app shows").fill(_code(secret))
            page.get_by_role("button", name="Confirm").click()
            expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
            expect(page.locator(".recovery-codes li")).to_have_count(10)
            page.goto(f"{live_server.url}/")
            page.get_by_role("button", name="Sign out").click()

            page.get_by_label("User name").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
            expect(page.get_by_text("Signed in as")).to_have_count(0)
            # The enrolment used this time step's code; a code is accepted once, so use the
            # next step's (django-otp allows one step of clock drift).
            page.get_by_label("Code").fill(_code(secret, ahead=1))
            page.get_by_role("button", name="Verify").click()
            expect(page.get_by_text("Signed in as")).to_contain_text("alice")
        finally:
            browser.close()
    assert problems == [], problems
