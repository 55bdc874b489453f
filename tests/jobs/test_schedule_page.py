"""The scheduled work as the site's administrators see it: every periodic job with its last
run, outcome (a failure's one line) and next run, and the scheduler holding the lease; on a
page for staff signed in with a second factor, and in `openpoam jobs --schedule`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from openpoam.jobs import schedule, services
from openpoam.jobs.models import ScheduledRun, WorkerBeat
from tests.conftest import administrator_client

pytestmark = pytest.mark.django_db
URL = "/site/scheduled-work/"


@pytest.fixture
def root(django_user_model):
    return administrator_client(django_user_model)


@pytest.fixture
def ran(db, settings, tmp_path):
    """The scheduler ticked once, a worker ran every job; the KEV refresh failed."""
    settings.KEV_SOURCE = str(tmp_path / "missing<b>kev</b>.json")
    now = timezone.now()
    WorkerBeat.objects.create(worker_id="sched-1", host="app2.example", pid=42,
                              started_at=now, seen_at=now, scheduler=True)
    assert schedule.tick("sched-1", now)
    services.run_queued()
    return now


def test_staff_see_every_periodic_job_its_outcome_and_the_lease_holder(root, ran):
    page = root.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    for periodic in schedule.PERIODIC:
        assert f'id="job-{periodic.name}"' in html and escape(periodic.label) in html
    for name in ("reminders", "sessions", "old-jobs", "kev", "cr26-overdue", "digests"):
        assert name in schedule.BY_NAME
    kev_row = html.split('id="job-kev"')[1].split("</tr>")[0]
    assert "Failed" in kev_row and "missing&lt;b&gt;kev&lt;/b&gt;.json" in kev_row
    assert "<b>kev" not in html  # the outcome is text, never markup
    sessions_row = html.split('id="job-sessions"')[1].split("</tr>")[0]
    assert "OK" in sessions_row and "expired sessions cleared" in sessions_row
    assert (ran + timedelta(days=1)).strftime("%Y-%m-%d") in sessions_row  # next run
    assert "sched-1" in html and "app2.example" in html


def test_without_a_scheduler_the_page_says_so(root, db):
    html = root.get(URL).content.decode()
    assert "No scheduler" in html and "never" in html


def test_others_are_refused(alice, django_user_model):
    client = Client()
    client.force_login(alice)
    assert client.get(URL).status_code == 403
    staff = django_user_model.objects.create_user("ops", password="y" * 20, is_staff=True)
    client.force_login(staff)  # a password alone: no second factor
    refused = client.get(URL)
    assert refused.status_code == 403 and "second factor" in refused.content.decode()
    assert Client().get(URL).status_code == 302  # to sign in


def test_a_run_in_progress_shows_as_running(root, db):
    ScheduledRun.objects.create(name="kev", last_started=timezone.now(), last_outcome="old")
    overview = schedule.overview()
    kev = next(row for row in overview["jobs"] if row["name"] == "kev")
    assert kev["state"] == "running" and kev["outcome"] == ""
