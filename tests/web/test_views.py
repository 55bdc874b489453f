"""The web pages: login, home, a system's POA&M list, an item, evidence downloads."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpoam.tracker.models import AffectedAsset
from openpoam.tracker.services import Actor
from openpoam.tracker.services import evidence as evidence_services
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services import setup
from openpoam.tracker.services.downloads import safe_media_type
from tests.web.conftest import EVIDENCE_BYTES, PASSWORD

pytestmark = pytest.mark.django_db

# Session, user, system, count, page rows + controls, the newest history event (the
# counts' cache key), status counts, delayed counts (two indexed queries; these three
# only when the counts are not cached), people (filters and the bulk form), the user's
# role, the user's saved views.
LIST_QUERIES = 13
# Session, user, system, item + 5 prefetches, history, the dependencies' systems,
# requests, comments, the user's role, people (milestone owners).
DETAIL_QUERIES = 14


def system_url(poam) -> str:
    return reverse("system", args=[poam.org.slug, poam.system.slug])


def item_url(poam, item) -> str:
    return reverse("item", args=[poam.org.slug, poam.system.slug, item.poam_id])


def evidence_url(evidence) -> str:
    return reverse("evidence", args=[evidence.uuid])


def inline_scripts(html: str) -> list[str]:
    """Script tags other than the app's own static files (htmx): there must be none."""
    return re.findall(r'<script(?![^>]*\bsrc="/static/web/)[^>]*>', html)


def text_of(response) -> str:
    """The page without tags and with collapsed spaces, for reading like a person."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


# ---- login and logout -----------------------------------------------------------------------

def test_it_shows_a_login_page_with_the_product_name(client, web_settings):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Sign in to OpenPOAM" in text_of(response)
    assert b"csrfmiddlewaretoken" in response.content


@pytest.mark.parametrize("name", ["home", "system", "item", "evidence"])
def test_it_sends_anonymous_users_to_login(client, poam, name):
    urls = {"home": reverse("home"), "system": system_url(poam),
            "item": item_url(poam, poam.delayed), "evidence": evidence_url(poam.file)}
    response = client.get(urls[name])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_it_logs_in_with_a_password_and_out_only_by_post(client, poam):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_it_refuses_a_wrong_password(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in text_of(response)


def test_it_requires_csrf_on_login(alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


# ---- home -----------------------------------------------------------------------------------

def test_it_lists_the_users_organizations_with_counts(as_alice, poam, globex):
    page = text_of(as_alice.get(reverse("home")))
    assert "Acme Defense" in page and "CUI Enclave" in page
    assert "Internal tracking" in page
    assert "Globex" not in page
    row = re.search(r"CUI Enclave.*?Internal tracking(.*?)</tr>",
                    as_alice.get(reverse("home")).content.decode(), re.S).group(1)
    numbers = [int(n) for n in re.findall(r">\s*(\d+)\s*<", row)]
    # open, in progress, completed, accepted, false positive, reopened, delayed, total
    assert numbers == [2, 0, 1, 0, 0, 0, 1, 3]


def test_it_shows_each_tenant_only_its_own_organizations(client, poam, globex, charlie):
    client.force_login(charlie)
    page = text_of(client.get(reverse("home")))
    assert "Globex Cloud" in page and "Official submission" in page
    assert "Acme" not in page


def test_it_says_so_when_a_user_belongs_nowhere(client, poam, charlie):
    client.force_login(charlie)
    assert "not a member of any organization" in text_of(client.get(reverse("home")))


def test_it_shows_an_administrator_every_organization(client, poam, globex, django_user_model):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(root)
    page = text_of(client.get(reverse("home")))
    assert "Acme Defense" in page and "Globex" in page


# ---- the system's POA&M list ----------------------------------------------------------------

def test_it_lists_items_with_risk_status_owner_due_and_controls(as_alice, poam):
    response = as_alice.get(system_url(poam))
    assert response.status_code == 200
    page = text_of(response)
    for expected in (poam.delayed.poam_id, "Multifactor authentication not enforced",
                     "Dana Reyes", "2025-06-30", "3.5.3", "3.13.8", "SC-8",
                     "Moderate adjusted from High", "Completed"):
        assert expected in page, expected
    row = re.search(rf"{poam.delayed.poam_id}.*?</tr>", response.content.decode(), re.S).group(0)
    assert "Delayed" in row
    closed_row = re.search(rf"{poam.closed.poam_id}.*?</tr>", response.content.decode(),
                           re.S).group(0)
    assert "Delayed" not in closed_row


def test_it_counts_items_per_status_on_top(as_alice, poam):
    html = as_alice.get(system_url(poam)).content.decode()
    counts = dict((label, int(n)) for n, label in re.findall(
        r'count__n">(\d+)</span><span class="count__label">([^<]+)<', html))
    assert counts["All items"] == 3
    assert counts["Open"] == 2 and counts["Completed"] == 1 and counts["Delayed"] == 1


@pytest.mark.parametrize("url_name", ["system", "item"])
def test_it_marks_every_page_of_a_system_with_its_designation(as_alice, poam, url_name):
    url = system_url(poam) if url_name == "system" else item_url(poam, poam.delayed)
    html = as_alice.get(url).content.decode()
    assert 'class="designation designation--internal"' in html
    assert "Internal tracking" in html and "not an official submission" in html
    setup.update_system(Actor.for_user(poam.system.organization.memberships.get(
        role="owner").user), poam.system, designation="official")
    html = as_alice.get(url).content.decode()
    assert 'class="designation designation--official"' in html
    assert "Official submission" in html and "Internal tracking" not in html


def listed_ids(response) -> list[str]:
    return re.findall(r'class="poam-id" href="[^"]+">([^<]+)<', response.content.decode())


def test_it_filters_by_status(as_alice, poam):
    assert listed_ids(as_alice.get(system_url(poam), {"status": "completed"})) == [
        poam.closed.poam_id]
    assert set(listed_ids(as_alice.get(system_url(poam), {"status": "active"}))) == {
        poam.delayed.poam_id, poam.adjusted.poam_id}
    assert listed_ids(as_alice.get(system_url(poam), {"status": "delayed"})) == [
        poam.delayed.poam_id]


def test_it_filters_by_effective_risk(as_alice, poam):
    assert listed_ids(as_alice.get(system_url(poam), {"risk": "moderate"})) == [
        poam.adjusted.poam_id]
    assert listed_ids(as_alice.get(system_url(poam), {"risk": "high"})) == [poam.delayed.poam_id]
    page = text_of(as_alice.get(system_url(poam), {"risk": "critical"}))
    assert "No items match these filters." in page


def test_it_ignores_unknown_filter_and_sort_values(as_alice, poam):
    response = as_alice.get(system_url(poam), {"status": "<x>", "risk": "bad", "sort": "zz"})
    assert response.status_code == 200
    assert len(listed_ids(response)) == 3


def test_it_sorts_by_id_and_by_due_date(as_alice, poam):
    by_id = listed_ids(as_alice.get(system_url(poam)))
    assert by_id == sorted(by_id)
    assert listed_ids(as_alice.get(system_url(poam), {"sort": "-id"})) == sorted(by_id,
                                                                               reverse=True)
    # Undated items sort last both ways.
    assert listed_ids(as_alice.get(system_url(poam), {"sort": "due"})) == [
        poam.delayed.poam_id, poam.adjusted.poam_id, poam.closed.poam_id]
    assert listed_ids(as_alice.get(system_url(poam), {"sort": "-due"})) == [
        poam.adjusted.poam_id, poam.delayed.poam_id, poam.closed.poam_id]


def test_it_keeps_filters_in_the_sort_links(as_alice, poam):
    html = as_alice.get(system_url(poam), {"risk": "high"}).content.decode()
    assert 'href="?risk=high&amp;sort=due"' in html
    assert 'href="?risk=high&amp;sort=-id"' in html


def add_items(poam, count: int) -> None:
    actor = Actor.command_line("bulk")
    for n in range(count):
        item = item_services.create_item(actor, poam.system, title=f"Bulk {n}",
                                          detected_on=date(2026, 1, 1), controls=["3.1.1"],
                                          scheduled_completion=date(2026, 2, 1))
        milestone_services.add_milestone(actor, item, "Step", date(2026, 1, 20))
        evidence_services.add_link(actor, item, f"https://example.test/{n}")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_lists_in_a_fixed_number_of_queries(as_alice, poam, django_assert_max_num_queries):
    url = system_url(poam)
    as_alice.get(url)  # the counts are cached from here on
    few = count_queries(as_alice, url)
    add_items(poam, 15)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = as_alice.get(url)
    assert len(listed_ids(response)) == 18
    assert count_queries(as_alice, url) == few


def test_it_shows_an_item_in_a_fixed_number_of_queries(as_alice, poam,
                                                       django_assert_max_num_queries):
    url = item_url(poam, poam.delayed)
    as_alice.get(url)  # the header's unread count is cached from here on
    few = count_queries(as_alice, url)
    actor = Actor.command_line("bulk")
    for n in range(10):
        milestone_services.add_milestone(actor, poam.delayed, f"Extra step {n}", date(2027, 1, 1))
        evidence_services.add_link(actor, poam.delayed, f"https://example.test/{n}")
    with django_assert_max_num_queries(DETAIL_QUERIES):
        as_alice.get(url)
    assert count_queries(as_alice, url) == few


# ---- one item -------------------------------------------------------------------------------

def test_it_shows_every_field_of_an_item(as_alice, poam):
    page = text_of(as_alice.get(item_url(poam, poam.delayed)))
    for expected in (
            poam.delayed.poam_id, "Multifactor authentication not enforced for remote access",
            "Remote VPN logins accept a password alone.", "Self-assessment", "3.5.3[a]",
            "CVE-2024-0001", "High", "Low once MFA is enforced.",
            "Enable MFA on the VPN concentrator", "Dana Reyes", "dana@example.com",
            "Two days of engineering", "$1,200.00", "Detected 2025-01-15",
            "Scheduled completion 2025-06-30", "Raised at the quarterly review.",
            "3.5.3", "NIST SP 800-171 Rev 2", "vpn01.acme.test", "10.0.0.5", "443", "tcp",
            "Delayed", "Open"):
        assert expected in page, expected


def test_it_shows_original_and_adjusted_risk_with_rationale(as_alice, poam):
    page = text_of(as_alice.get(item_url(poam, poam.adjusted)))
    assert "Original risk: High" in page
    assert "Adjusted risk: Moderate" in page
    assert "Portal reachable only from the internal network." in page
    assert "Vulnerability scan" in page and "plugin 104743" in page


def test_it_shows_milestones_with_original_and_current_due_and_why_moved(as_alice, poam):
    html = as_alice.get(item_url(poam, poam.delayed)).content.decode()
    row = re.search(r"Buy hardware tokens.*?</tr>", html, re.S).group(0)
    assert "2025-03-01" in row and "2025-04-15" in row
    assert "Moved" in row and "Token supplier backordered" in row
    other = re.search(r"Enforce MFA for all VPN users.*?</tr>", html, re.S).group(0)
    assert "Moved" not in other


def test_it_shows_the_full_change_history(as_alice, poam):
    html = as_alice.get(item_url(poam, poam.delayed)).content.decode()
    history = html[html.index('id="h-history"'):]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history))
    assert "milestone 1 due" in page
    assert "2025-03-01 → 2025-04-15" in page
    assert "Token supplier backordered" in page
    assert "alice" in page
    assert "evidence on item" in page and "mfa-plan.txt" in page
    assert "scheduled_completion" in page


def test_it_links_dependencies_to_their_items(as_alice, poam):
    html = as_alice.get(item_url(poam, poam.adjusted)).content.decode()
    assert f'href="{item_url(poam, poam.delayed)}">{poam.delayed.poam_id}<' in html


def test_it_lists_evidence_files_for_download_and_links_as_external(as_alice, poam):
    html = as_alice.get(item_url(poam, poam.delayed)).content.decode()
    assert f'href="{evidence_url(poam.file)}" download hx-boost="false">mfa-plan.txt<' in html
    html = as_alice.get(item_url(poam, poam.adjusted)).content.decode()
    assert 'href="https://tickets.acme.test/CHG-42" rel="noopener noreferrer nofollow"' in html


def test_it_shows_when_an_asset_was_remediated(as_alice, poam):
    # What a later scan import records when it no longer finds the weakness on a host.
    AffectedAsset.objects.filter(item=poam.delayed).update(remediated_on=date(2025, 5, 2))
    row = re.search(r"vpn01.acme.test.*?</tr>",
                    as_alice.get(item_url(poam, poam.delayed)).content.decode(), re.S).group(0)
    assert "2025-05-02" in row


def test_it_answers_404_for_an_unknown_item_or_the_wrong_system(as_alice, poam, alice):
    other = setup.create_system(Actor.for_user(alice), poam.org, slug="other", name="Other",
                                framework="rmf")
    assert as_alice.get(reverse("item", args=["acme", "enclave", "POAM-1999-0001"])
                        ).status_code == 404
    assert as_alice.get(reverse("item", args=["acme", other.slug, poam.delayed.poam_id])
                        ).status_code == 404


def test_it_accepts_a_lower_case_poam_id(as_alice, poam):
    url = reverse("item", args=["acme", "enclave", poam.delayed.poam_id.lower()])
    assert as_alice.get(url).status_code == 200


# ---- evidence downloads ---------------------------------------------------------------------

def test_it_downloads_evidence_as_an_attachment(client, poam, bob):
    client.force_login(bob)  # a viewer may read evidence
    response = client.get(evidence_url(poam.file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == EVIDENCE_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="mfa-plan.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    assert "sandbox" in response["Content-Security-Policy"]


def test_it_never_serves_html_evidence_as_html(as_alice, poam, alice):
    page = evidence_services.add_file(Actor.for_user(alice), poam.delayed, "report.html",
                                      io.BytesIO(b"<script>alert(1)</script>"))
    response = as_alice.get(evidence_url(page))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("media_type, expected", [
    ("text/html", "application/octet-stream"), ("image/svg+xml", "application/octet-stream"),
    ("application/xhtml+xml", "application/octet-stream"), ("", "application/octet-stream"),
    ("application/pdf", "application/pdf"), ("TEXT/PLAIN; charset=utf-8", "text/plain")])
def test_it_picks_a_safe_media_type(media_type, expected):
    assert safe_media_type(media_type) == expected


def test_it_answers_404_for_a_link_or_unknown_evidence(as_alice, poam):
    link = poam.adjusted.evidence.get()
    assert as_alice.get(evidence_url(link)).status_code == 404
    assert as_alice.get("/evidence/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_it_answers_404_when_the_stored_file_is_gone(as_alice, poam):
    from openpoam.tracker.services.evidence import path_of

    path_of(poam.file).unlink()
    assert as_alice.get(evidence_url(poam.file)).status_code == 404


# ---- permissions ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["system", "item", "evidence"])
def test_it_hides_another_organizations_pages_behind_404(client, poam, charlie, name):
    client.force_login(charlie)
    urls = {"system": system_url(poam), "item": item_url(poam, poam.delayed),
            "evidence": evidence_url(poam.file)}
    response = client.get(urls[name])
    assert response.status_code == 404
    assert b"Multifactor" not in response.content


def without_csrf_token(response) -> str:
    """The page with the CSRF token (masked anew on every render) taken out."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_it_gives_the_same_404_whether_or_not_a_system_exists(client, poam, charlie):
    client.force_login(charlie)
    real = client.get(system_url(poam))
    made_up = client.get(reverse("system", args=["acme", "no-such-system"]))
    assert real.status_code == made_up.status_code == 404
    assert without_csrf_token(real) == without_csrf_token(made_up)


def test_it_keeps_members_out_of_other_tenants(as_alice, globex):
    assert as_alice.get(reverse("system", args=["globex", "cloud"])).status_code == 404


def test_it_lets_a_viewer_read_list_and_item(client, poam, bob):
    client.force_login(bob)
    assert client.get(system_url(poam)).status_code == 200
    assert client.get(item_url(poam, poam.delayed)).status_code == 200


def test_it_refuses_to_change_anything_by_post(as_alice, poam):
    assert as_alice.post(system_url(poam)).status_code == 405
    assert as_alice.post(item_url(poam, poam.delayed)).status_code == 405


# ---- escaping and headers -------------------------------------------------------------------

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_TEXT = '<img src=x onerror="alert(2)">'


@pytest.fixture
def hostile(poam, alice):
    return item_services.create_item(
        Actor.for_user(alice), poam.system, title=HOSTILE_TITLE, detected_on=date(2026, 3, 3),
        weakness_description=HOSTILE_TEXT, comments=HOSTILE_TEXT,
        source_identifier=HOSTILE_TEXT, assets=[item_services.AssetData(name=HOSTILE_TEXT)])


@pytest.mark.parametrize("page", ["list", "item"])
def test_it_shows_imported_text_as_text(as_alice, poam, hostile, page):
    url = system_url(poam) if page == "list" else item_url(poam, hostile)
    html = as_alice.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not inline_scripts(html)
    assert "<img" not in html
    if page == "item":
        assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html


def test_it_sets_a_strict_content_security_policy(as_alice, poam):
    policy = as_alice.get(system_url(poam))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("page", ["login", "home", "list", "item"])
def test_it_needs_no_inline_script_or_style(client, poam, alice, page):
    """The strict policy blocks inline code, so the pages must not rely on any."""
    if page != "login":
        client.force_login(alice)
    url = {"login": reverse("login"), "home": reverse("home"), "list": system_url(poam),
           "item": item_url(poam, poam.delayed)}[page]
    html = client.get(url).content.decode()
    assert not inline_scripts(html) and "<style" not in html and " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None


def test_it_serves_its_stylesheet(client, web_settings):
    response = client.get("/static/web/openpoam.css")
    assert response.status_code == 200
    assert b".designation--internal" in b"".join(response.streaming_content)


def test_it_shows_a_plain_not_found_page(client, poam, charlie):
    client.force_login(charlie)
    response = client.get(system_url(poam))
    assert response.status_code == 404
    page = text_of(response)
    assert "Page not found" in page and "not shared with your account" in page
    assert "CUI Enclave" not in page and "Acme" not in page


def test_it_points_the_browsers_favicon_request_at_the_static_icon(client, web_settings):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/web/favicon.svg"
