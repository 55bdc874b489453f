"""What a month of work in the browser found (issue: "Found in a month of work in the
browser"), each checked where the user met it: the page, the download, the message."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse

from openpoam.tracker.models import ApprovalRequest, PoamItem
from openpoam.tracker.services import Actor
from openpoam.tracker.services import evidence as evidence_services
from openpoam.tracker.services import items as item_services
from tests.web.test_views import text_of

pytestmark = pytest.mark.django_db


def _system(name: str, poam, *extra) -> str:
    return reverse(name, args=[poam.org.slug, poam.system.slug, *extra])


def test_an_unknown_filter_value_on_the_list_is_named(client, poam, alice):
    client.force_login(alice)
    page = client.get(_system("system", poam) + "?risk=bogus&status=shiny")
    assert page.status_code == 200
    text = text_of(page).replace("&#x27;", "'")
    assert "risk: 'bogus' is not one of critical, high, moderate, low" in text
    assert "status: 'shiny' is not one of" in text
    assert poam.delayed.poam_id in text  # the list itself still shows, unfiltered
    assert "is not one of" not in text_of(client.get(_system("system", poam) + "?risk=high"))


def test_a_viewer_sees_no_new_system_link(client, poam, alice, bob):
    client.force_login(bob)
    assert "New system" not in client.get(reverse("home")).content.decode()
    client.force_login(alice)
    assert "New system" in client.get(reverse("home")).content.decode()


def test_fedramp_and_emass_workbooks_download_under_different_names(client, poam, alice):
    client.force_login(alice)
    names = {}
    for key in ("fedramp-xlsx", "emass-xlsx", "csv", "oscal-json"):
        response = client.get(_system("system-export", poam, key))
        assert response.status_code == 200, key
        names[key] = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    today = date.today().isoformat()
    assert names == {"fedramp-xlsx": f"enclave-poam-fedramp-{today}.xlsx",
                     "emass-xlsx": f"enclave-poam-emass-{today}.xlsx",
                     "csv": f"enclave-poam-{today}.csv",
                     "oscal-json": f"enclave-poam-oscal-{today}.json"}


def test_the_csv_carries_the_approver_and_review_date_the_api_gives(client, poam, alice):
    actor = Actor.for_user(alice)
    review = date.today() + timedelta(days=90)
    item_services.set_status(actor, poam.adjusted, "risk_accepted", approver="Dana Reyes",
                             rationale="Internal network only", review_date=review)
    client.force_login(alice)
    text = b"".join(client.get(_system("system-export", poam, "csv"))).decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text))
               if r["poam_id"] == poam.adjusted.poam_id)
    assert (row["approver"], row["review_date"]) == ("Dana Reyes", review.isoformat())


def test_a_risk_acceptance_request_with_a_past_review_date_is_refused_when_made(client, poam,
                                                                                alice):
    client.force_login(alice)
    for review in (date.today() - timedelta(days=1), date.today()):
        refused = client.post(_system("item-request", poam, poam.adjusted.poam_id), {
            "kind": "risk_acceptance", "rationale": "Compensating controls",
            "review_date": review.isoformat()})
        assert refused.status_code == 422
        assert "review_date: the review date" in text_of(refused)
        assert "must lie in the future" in text_of(refused)
    assert not ApprovalRequest.objects.filter(item=poam.adjusted).exists()


def test_the_members_page_says_no_mail_went_out_and_says_it_once(client, poam, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    client.force_login(alice)
    page = client.post(reverse("member-add", args=[poam.org.slug]),
                       {"email": "newcomer@example.com", "role": "viewer"}, follow=True)
    text = text_of(page)
    assert "no mail server is set (OPENPOAM_EMAIL_HOST), so no e-mail went out" in text
    assert "was sent" not in text
    assert text.count("Invited newcomer@example.com") == 1


def test_an_invitation_mailed_through_a_mail_server_says_it_was_sent(client, poam, alice,
                                                                     settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(alice)
    page = client.post(reverse("member-add", args=[poam.org.slug]),
                       {"email": "second@example.com", "role": "viewer"}, follow=True)
    assert "an e-mail with a one-time link to set a password was sent" in text_of(page)
    assert len(mailoutbox) == 1


def test_a_detection_date_in_the_future_is_refused(client, poam, alice):
    client.force_login(alice)
    refused = client.post(_system("item-new", poam), {
        "title": "From tomorrow", "detected_on": (date.today() + timedelta(days=1)).isoformat()})
    assert refused.status_code == 422 and "is in the future" in text_of(refused)
    assert not PoamItem.objects.filter(title="From tomorrow").exists()
    page = client.get(_system("item-new", poam)).content.decode()
    # A text box that says YYYY-MM-DD (a date box shows the browser's locale format);
    # the server refuses a future date, as above.
    assert 'placeholder="YYYY-MM-DD"' in page and 'name="detected_on" required' in page


def test_reloading_the_address_of_a_refused_form_leads_back_to_its_page(client, poam, alice):
    client.force_login(alice)
    item_page = _system("item", poam, poam.delayed.poam_id)
    milestone = _system("item-milestone", poam, poam.delayed.poam_id, 2)
    refused = client.post(milestone, {"action": "reschedule", "due": "2026-02-30"})
    assert refused.status_code == 422  # shown again, with the reason
    reload = client.get(milestone)
    assert (reload.status_code, reload["Location"]) == (302, item_page)
    assert client.get(_system("system-bulk", poam))["Location"] == _system("system", poam)
    assert client.get(_system("item-milestone-add", poam, poam.delayed.poam_id))["Location"] \
        == item_page


def test_the_api_docs_page_states_its_language(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.content.decode().lstrip().splitlines()[1].startswith('<html lang="en">') or \
        '<html lang="en">' in page.content.decode()
    assert "swagger-ui-bundle.js" in page.content.decode()  # served from here, not a CDN
