"""The quality-checks page over HTTP: it shows the stored results (the same as a fresh
computation), escapes what people typed, keeps another organization's twin out, and a
viewer without access to the organization gets no page."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from openpoam.reviews.services.quality import run_checks
from openpoam.tracker.services import Actor, item_checks, setup
from openpoam.tracker.services import items as item_services
from tests.web.test_views import system_url

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_stored_results_escaped_and_only_its_own(client, alice, poam,
                                                                       globex):
    actor = Actor.for_user(alice)
    team = setup.add_person(actor, poam.org, "<b>Network Team</b>")
    item_services.create_item(actor, poam.system, title="Printer firmware", owner=team,
                              detected_on=date(2026, 1, 5), poam_id="POAM-2026-0099")
    client.force_login(alice)
    page = client.get(system_url(poam) + "checks/")
    html = page.content.decode()
    assert page.status_code == 200
    issues = run_checks(poam.system, timezone.localdate())
    errors = sum(1 for i in issues if i.severity.value == "error")
    assert f"<strong>{errors}</strong> error" in html
    assert f"<strong>{len(issues) - errors}</strong> warning" in html
    assert "&lt;b&gt;Network Team&lt;/b&gt;" in html and "<b>Network Team" not in html
    assert "POAM-2026-0099" in html
    assert "Globex" not in html
    assert item_checks.summary(globex, timezone.localdate(), 60)["item_count"] == 1


def test_someone_of_another_organization_gets_no_page(client, charlie, poam):
    client.force_login(charlie)
    assert client.get(system_url(poam) + "checks/").status_code == 404
