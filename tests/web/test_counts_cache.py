"""The counts over every item (the list's summary, the dashboard's aggregates, the
portfolio's rows) are cached until a change that can move them: a comment or a text edit
keeps them, a status, date or risk change, a milestone, a new or deleted item refreshes them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpoam.tracker.models.history import QUIET_ITEM_FIELDS
from openpoam.tracker.services import Actor
from openpoam.tracker.services import comments as comment_services
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services.summary import counts_version
from tests.web.test_views import system_url, text_of

pytestmark = pytest.mark.django_db

# What the cached counts read (tracker/services/summary.py, web/views/dashboard.py and
# reviews/services/portfolio.py): a change to any of these must never be quiet.
COUNTED_FIELDS = ("status", "status_date", "actual_completion", "scheduled_completion",
                  "detected_on", "original_risk", "adjusted_risk")


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def dashboard_url(poam) -> str:
    return reverse("system-dashboard", args=[poam.org.slug, poam.system.slug])


def item_counts(queries) -> list[str]:
    """The aggregates over the system's items a view ran, the live stale count aside."""
    return [q["sql"] for q in queries.captured_queries
            if "COUNT(" in q["sql"].upper() and "tracker_poamitem" in q["sql"]
            and "updated_at" not in q["sql"]]


def views(client, poam) -> tuple[list[str], str, str]:
    with CaptureQueriesContext(connection) as queries:
        dashboard = text_of(client.get(dashboard_url(poam)))
        listing = text_of(client.get(system_url(poam)))
    return item_counts(queries), dashboard, listing


def test_the_fields_the_counts_read_are_never_quiet():
    assert not set(COUNTED_FIELDS) & set(QUIET_ITEM_FIELDS)


def test_a_comment_and_a_text_edit_keep_the_counts(as_alice, poam, alice):
    actor = Actor.for_user(alice)
    first, _, _ = views(as_alice, poam)
    assert first  # counted once
    comment_services.add_comment(actor, poam.adjusted, "Asked the vendor for a date.")
    item_services.update_item(actor, poam.adjusted, {"comments": "Vendor answered.",
                                                     "title": "TLS 1.0 on the portal"})
    again, dashboard, listing = views(as_alice, poam)
    assert again == []
    assert "Overdue items 1" in dashboard and "TLS 1.0 on the portal" in listing


def test_a_date_change_a_status_change_and_a_new_item_move_the_counts(as_alice, poam, alice):
    actor = Actor.for_user(alice)
    _, dashboard, _ = views(as_alice, poam)
    assert "Overdue items 1" in dashboard
    late = timezone.localdate() - timedelta(days=1)
    item_services.update_item(actor, poam.adjusted, {"scheduled_completion": late},
                              justification="moved earlier")
    recounted, dashboard, listing = views(as_alice, poam)
    assert recounted and "Overdue items 2" in dashboard
    item_services.set_status(actor, poam.adjusted, "completed", actual_completion=late)
    _, dashboard, _ = views(as_alice, poam)
    assert "Overdue items 1" in dashboard
    item_services.create_item(actor, poam.system, title="Backups untested",
                              detected_on=date(2026, 1, 5))
    _, _, listing = views(as_alice, poam)
    assert "4 All items 2 Open 0 In Progress 2 Completed" in listing


def test_a_milestone_past_due_moves_the_delayed_count(poam, alice):
    actor = Actor.for_user(alice)
    before = counts_version(poam.system)
    milestone_services.add_milestone(actor, poam.adjusted, "Replace the certificate",
                                     timezone.localdate() - timedelta(days=3))
    assert counts_version(poam.system) > before


def test_a_comment_does_not_move_the_version_and_another_system_never_does(
        poam, alice, globex, admin_actor):
    before = counts_version(poam.system)
    comment_services.add_comment(Actor.for_user(alice), poam.delayed, "Still waiting.")
    assert counts_version(poam.system) == before
    twin = globex.items.get()
    item_services.update_item(admin_actor, twin, {"scheduled_completion": date(2026, 1, 9)},
                              justification="agreed with the sponsor")
    assert counts_version(poam.system) == before


def test_the_database_finds_the_version_by_an_index(poam):
    """PostgreSQL takes the partial index (one seek, whatever the quiet events). SQLite
    matches a partial index's condition only to literal values; with bound parameters it
    walks the system's events from the newest by ``history_system_latest`` and stops at
    the first counted one. Either way no sort and no scan of the table."""
    with CaptureQueriesContext(connection) as queries:
        counts_version(poam.system)
    [sql] = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ")
                       + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    wanted = "history_system_counted" if connection.vendor == "postgresql" else (
        "SEARCH tracker_changeevent USING INDEX history_system_")
    assert wanted in plan and "TEMP B-TREE" not in plan.upper()
