"""What every browser test shares: Debian's chromium (Playwright's own download does not
work everywhere), the skip when it is absent, and a session that records console errors,
axe-core findings and sideways scrolling for each page state it is asked to check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install chromium)"),
]

AXE = Path(__file__).parent / "web" / "vendor" / "axe.min.js"
SCREENS = Path(__file__).resolve().parent / "artifacts" / "screens"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


class Browser:
    """One chromium for a test, with helpers that read like the scenarios. Tests ask for
    this fixture last: the database fixtures must run before Playwright's event loop."""

    def __init__(self, playwright, base_url: str):
        self.base = base_url
        self.browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS)
        self.problems: list[str] = []
        self.findings: dict[str, list[str]] = {}  # axe and width, per page state
        self.page = None

    def open(self, user: str, viewport=DESKTOP):
        context = self.browser.new_context(viewport=viewport)
        self.page = context.new_page()
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if m.type == "error" else None)
        self.page.goto(f"{self.base}/login/")
        self.page.get_by_label("User name").fill(user)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("text=Signed in as", state="attached")
        return self.page

    def go(self, path: str):
        self.page.goto(f"{self.base}{path}")
        return self.page

    def check(self, name: str) -> None:
        """axe-core and the page width on the page as it is now: every scenario calls it in
        every state it reaches (after each change), not only on first load."""
        shoot(self.page, name)
        problems = axe_violations(self.page)
        viewport = self.page.viewport_size["width"]
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > viewport + 1:
            problems.append(f"the page scrolls sideways ({width}px)")
        if problems:
            self.findings[f"{name}@{viewport}"] = problems

    def close(self):
        self.browser.close()


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core findings on the page as it is now."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
            .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
    }""")
    return list(found)


def shoot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
