"""The browser's side: an upload starts a dry run whose page polls a small fragment (HTMX)
until the job ends, then lists the items the import would create, a page at a time; a
refused confirmation offers a fresh dry run. Only the starter sees a job."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from openpoam.jobs.models import Job
from openpoam.jobs.services import run_queued
from openpoam.tracker.services import Actor, imports, setup
from tests.jobs.scans import nessus
from tests.web.test_views import text_of

pytestmark = pytest.mark.django_db
BIG = nessus({"10.0.0.1": list(range(3000, 3060))})  # 60 new items: two preview pages
SMALL = nessus({"10.0.0.1": [3000]}, when="Wed Jul  3 10:00:00 2024")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client, poam, content: bytes, name: str = "june.nessus"):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(reverse("system-import-upload", args=[poam.org.slug, poam.system.slug]),
                       {"file": upload})


def test_the_job_page_polls_its_progress_then_shows_the_items_paged(poam, alice):
    client = _client(alice)
    started = _upload(client, poam, BIG)
    assert started.status_code == 302
    waiting = client.get(started["Location"])
    html = waiting.content.decode()
    assert 'hx-trigger="every 1s"' in html and "<progress" in html
    assert "Waiting for a worker" in text_of(waiting)
    fragment = client.get(started["Location"] + "progress/")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    run_queued()
    done = client.get(started["Location"] + "progress/")
    text = text_of(done)
    assert 'hx-trigger' not in done.content.decode()  # done: the polling stops
    assert "What importing june.nessus would change" in text
    assert "Would create (60)" in text and "Page 1 of 2" in text
    assert "Weakness number 3000" in text and "Weakness number 3055" not in text
    second = client.get(started["Location"] + "?section=create&page=2")
    assert "Weakness number 3055" in text_of(second) and "Page 2 of 2" in text_of(second)
    assert "Import june.nessus" in text_of(second)  # the confirm button


def test_a_job_page_is_its_starters_alone(poam, alice, bob, charlie, globex, admin_actor):
    started = _upload(_client(alice), poam, SMALL)
    job = Job.objects.get()
    assert _client(bob).get(started["Location"]).status_code == 404
    assert _client(charlie).get(started["Location"]).status_code == 404
    # The twin: a system of the same slug in charlie's organization.
    setup.create_system(admin_actor, globex.organization, slug=poam.system.slug, name="Twin",
                        framework="cmmc-l2")
    twin = reverse("system-job", args=["globex", poam.system.slug, job.uuid])
    assert _client(charlie).get(twin).status_code == 404


def test_a_refused_confirmation_offers_a_fresh_dry_run(poam, alice, tmp_path):
    client = _client(alice)
    started = _upload(client, poam, SMALL, "july.nessus")
    run_queued()
    dry = Job.objects.get()
    june = tmp_path / "june.nessus"
    june.write_bytes(BIG)
    imports.import_file(Actor.for_user(alice), poam.system, june)  # the system changes
    confirm = client.post(reverse("system-import-confirm",
                                  args=[poam.org.slug, poam.system.slug]), {"job": dry.uuid})
    run_queued()
    refused = client.get(confirm["Location"])
    assert "changed after the dry run" in text_of(refused)
    assert "Run a fresh dry run" in text_of(refused)
    fresh = client.post(confirm["Location"] + "again/")
    assert fresh.status_code == 302 and fresh["Location"] != started["Location"]
    run_queued()
    assert "What importing july.nessus would change" in text_of(client.get(fresh["Location"]))
    assert Job.objects.filter(kind=Job.DRY_RUN, state=Job.SUCCEEDED).count() == 2


def test_an_export_in_the_background_is_downloaded_by_its_starter_only(poam, alice, bob):
    client = _client(alice)
    started = client.post(reverse("system-export-job",
                                  args=[poam.org.slug, poam.system.slug, "csv"]))
    assert started.status_code == 302
    run_queued()
    page = client.get(started["Location"])
    assert "items written" in text_of(page) and "Download" in text_of(page)
    download = client.get(started["Location"] + "download/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content)
    assert poam.delayed.poam_id.encode() in body
    assert _client(bob).get(started["Location"] + "download/").status_code == 404
    unknown = client.post(reverse("system-export-job",
                                  args=[poam.org.slug, poam.system.slug, "nope"]))
    assert unknown.status_code == 422 and "nope" in text_of(unknown)
