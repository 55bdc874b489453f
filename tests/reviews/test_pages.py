"""The review, snapshot, metrics, report and calendar pages: owners work there, viewers read,
strangers get 404."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from openpoam.reviews.models import Review, ReviewEntry
from openpoam.reviews.services import review as reviews
from tests.reviews.conftest import PASSWORD

BASE = "/org/acme/system/enclave/"


@pytest.fixture
def signed_in(client, accounts):
    def sign_in(name):
        client.logout()
        assert client.login(username=name, password=PASSWORD)
        return client
    return sign_in


def test_an_owner_starts_walks_and_finishes_a_review_in_the_browser(signed_in, poam):
    client = signed_in("alice")
    response = client.post(BASE + "reviews/", {"month": "2026-11"})
    assert response.status_code == 302 and response["Location"].endswith("/reviews/2026-11/")
    page = client.get(BASE + "reviews/2026-11/")
    assert b"0</strong> of 3 open items reviewed" in page.content
    assert b"MFA not enforced for [/admin] VPN" in page.content
    for item in poam:
        row = client.post(f"{BASE}reviews/2026-11/items/{item.poam_id}/",
                          {"action": "confirmed", "note": "still right"}, HTTP_HX_REQUEST="true")
        assert row.status_code == 200 and b"Confirmed" in row.content
    client.post(BASE + "reviews/2026-11/", {"summary": "All good"})
    review = Review.objects.get()
    assert review.is_finished and review.snapshot.item_count == 3


def test_an_escalation_without_a_note_shows_the_rule_in_the_row(signed_in, poam, actors,
                                                                 system):
    reviews.start_review(actors["alice"], system, date(2026, 11, 1))
    row = signed_in("alice").post(f"{BASE}reviews/2026-11/items/{poam[0].poam_id}/",
                                  {"action": "escalated"}, HTTP_HX_REQUEST="true")
    assert b"say why the item is escalated" in row.content
    assert not ReviewEntry.objects.exists()


def test_a_viewer_reads_but_cannot_review(signed_in, poam, actors, system):
    reviews.start_review(actors["alice"], system, date(2026, 11, 1))
    client = signed_in("bob")
    page = client.get(BASE + "reviews/2026-11/")
    assert page.status_code == 200 and b'name="action"' not in page.content
    response = client.post(f"{BASE}reviews/2026-11/items/{poam[0].poam_id}/",
                           {"action": "confirmed"})
    assert response.status_code == 403
    assert not ReviewEntry.objects.exists()
    assert client.post(BASE + "reviews/", {"month": "2026-12"}).status_code == 403
    assert Review.objects.count() == 1


@pytest.mark.parametrize("path", ["reviews/", "reviews/2026-11/", "metrics/", "report.pdf",
                                  "calendars/", "snapshots/compare/?old=1&new=1",
                                  "snapshots/1/export/csv/"])
def test_strangers_get_404_everywhere(signed_in, poam, actors, system, path):
    reviews.start_review(actors["alice"], system, date(2026, 11, 1))
    reviews.take_snapshot(actors["alice"], system)
    assert signed_in("charlie").get(BASE + path).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, poam):
    response = client.get(BASE + "metrics/")
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_metrics_page_shows_charts_and_the_report_downloads(signed_in, poam):
    client = signed_in("bob")
    page = client.get(BASE + "metrics/")
    assert page.status_code == 200 and page.content.count(b"<svg") >= 3
    report = client.get(BASE + "report.pdf")
    assert report["Content-Type"] == "application/pdf"
    assert report["Content-Disposition"].startswith("attachment;")
    assert b"".join(report).startswith(b"%PDF-")


def test_snapshots_compare_and_download_from_the_page(signed_in, poam, actors, system):
    first = reviews.take_snapshot(actors["alice"], system, "first")
    second = reviews.take_snapshot(actors["alice"], system, "second")
    client = signed_in("bob")
    assert b"Nothing changed" in client.get(
        f"{BASE}snapshots/compare/?old={first.pk}&new={second.pk}").content
    download = client.get(f"{BASE}snapshots/{first.pk}/export/csv/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert poam[0].poam_id.encode() in download.content


def test_a_calendar_feed_is_made_shown_once_and_revoked(signed_in, poam):
    client = signed_in("alice")
    page = client.post(BASE + "calendars/", {"person": ""})
    url = page.context["new_url"]
    assert "/calendar/" in url and url.encode() in page.content
    assert client.get(url).status_code == 200
    feed_id = page.context["feeds"][0].pk
    client.post(BASE + "calendars/", {"revoke": feed_id})
    assert client.get(url).status_code == 404
