"""A system's CMMC, quality-check and imports pages, and export downloads."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from openpoam.tracker.services import Actor, assessments
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAGES = ["system-cmmc", "system-checks", "system-imports"]


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _url(poam, name, *extra):
    return reverse(name, args=[poam.org.slug, poam.system.slug, *extra])


@pytest.mark.parametrize("name", PAGES)
def test_it_shows_each_page_to_a_viewer(client, poam, bob, name):
    _login(client, bob)
    assert client.get(_url(poam, name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_strangers_get_404(client, poam, charlie, name):
    _login(client, charlie)
    assert client.get(_url(poam, name)).status_code == 404


def test_it_shows_score_status_countdown_and_eligibility(client, poam, alice):
    assessments.record_assessment(
        Actor.for_user(alice), poam.system,
        {"level": 2, "assessment_type": "Self", "status_date": date.today().isoformat(),
         "results": {"3.1.3": "not_met", "3.3.5": "not_met"}}, assessed_on=date.today())
    _login(client, alice)
    page = client.get(_url(poam, "system-cmmc")).content.decode()
    assert "104" in page and "No CMMC Status" in page  # 3.3.5 is worth 5: must be fixed
    assert "Must be fixed" in page and "May stay" in page
    assert "32 CFR 170.21(a)(2)(ii)" in page


def test_it_says_when_no_assessment_is_recorded(client, poam, alice):
    _login(client, alice)
    assert "No assessment is recorded" in client.get(_url(poam, "system-cmmc")).content.decode()


def test_it_groups_quality_problems_and_reads_recorded_reasons(client, poam, alice):
    _login(client, alice)
    page = client.get(_url(poam, "system-checks")).content.decode()
    assert poam.delayed.poam_id in page
    assert "without a recorded reason" not in page  # the fixture's milestone moved with a why


def test_a_viewer_downloads_a_csv_export_marked_with_the_designation(client, poam, bob):
    _login(client, bob)
    response = client.get(_url(poam, "system-export", "csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="enclave-poam-')
    text = b"".join(response).decode("utf-8-sig")
    assert "Internal tracking" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert poam.delayed.poam_id in {row["poam_id"] for row in rows}


def test_a_stranger_cannot_download_an_export(client, poam, charlie):
    _login(client, charlie)
    assert client.get(_url(poam, "system-export", "csv")).status_code == 404


def test_an_unknown_export_format_is_404(client, poam, alice):
    _login(client, alice)
    assert client.get(_url(poam, "system-export", "pdf-bogus")).status_code == 404
