"""The scheduled work page in Debian's chromium (Playwright): an administrator signed in with a
second factor sees each periodic job, a failure's one line and the scheduler holding the
lease; checked with axe-core and photographed at 1280 and 390 px into tests/artifacts/screens/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from openpoam.jobs import schedule, services
from openpoam.jobs.models import WorkerBeat
from tests.conftest import administrator_client
from tests.browsing import DESKTOP, NEEDS_CHROMIUM, PHONE

pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def root_session(transactional_db, web_settings, django_user_model, settings, tmp_path):
    """A superuser's session verified with a second factor, after one scheduler pass in which
    the KEV refresh failed; the session cookie's value."""
    settings.KEV_SOURCE = str(tmp_path / "kev-not-here.json")
    now = timezone.now()
    WorkerBeat.objects.create(worker_id="sched-7", host="app1.example", pid=7, started_at=now,
                              seen_at=now, scheduler=True)
    schedule.tick("sched-7", now)
    services.run_queued()
    client = administrator_client(django_user_model)
    return client.cookies["sessionid"].value


def test_an_administrator_reads_the_scheduled_work(root_session, browser):
    from playwright.sync_api import expect

    for viewport in (DESKTOP, PHONE):
        context = browser.browser.new_context(viewport=viewport)
        context.add_cookies([{"name": "sessionid", "value": root_session,
                              "url": browser.base}])
        browser.page = context.new_page()
        browser.page.on("console", lambda m: browser.problems.append(m.text)
                        if m.type == "error" else None)
        page = browser.go(reverse("home"))
        page.get_by_role("link", name="Scheduled work").click()
        expect(page.get_by_role("heading", name="Scheduled work")).to_be_visible()
        expect(page.locator(".scheduler-holder")).to_have_text("sched-7")
        expect(page.locator("#job-kev")).to_contain_text("Failed")
        expect(page.locator("#job-kev")).to_contain_text("kev-not-here.json")
        expect(page.locator("#job-cr26-overdue")).to_contain_text("OK")
        expect(page.locator("tbody tr")).to_have_count(len(schedule.PERIODIC))
        browser.check("scheduled-work")
        context.close()
