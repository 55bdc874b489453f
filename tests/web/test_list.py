"""The list page over ``tracker.filters``: search, filters, sort, pages; and the database
form of "delayed" agreeing with the domain rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse

from openpoam.domain import workflow
from openpoam.domain.poam import AffectedAsset as AssetData
from openpoam.domain.poam import Status
from openpoam.tracker.filters import ListQuery, delayed_count, delayed_q
from openpoam.tracker.models import PoamItem
from openpoam.tracker.services import Actor
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from tests.web.test_views import LIST_QUERIES, system_url, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def ids(queryset) -> list[str]:
    return list(queryset.values_list("poam_id", flat=True))


def query(text: str) -> ListQuery:
    return ListQuery.from_params(QueryDict(text))


def test_it_searches_titles_descriptions_and_assets(poam):
    items = PoamItem.objects.filter(system=poam.system)
    assert ids(query("q=multifactor").apply(items)) == [poam.delayed.poam_id]
    assert ids(query("q=password+alone").apply(items)) == [poam.delayed.poam_id]  # description
    assert ids(query("q=vpn01").apply(items)) == [poam.delayed.poam_id]  # asset, word start
    assert ids(query("q=acme").apply(items)) == [poam.delayed.poam_id]  # part of a host name
    assert ids(query("q=portal").apply(items)) == [poam.adjusted.poam_id]
    assert ids(query("q=portal+vpn01").apply(items)) == []  # every word must match
    assert ids(query("q=%22%3B+DROP").apply(items)) == []  # quotes and operators are words


def test_search_follows_changes_made_after_the_item(poam, alice):
    actor = Actor.for_user(alice)
    item_services.update_item(actor, poam.closed, {"title": "Syslog forwarding broken"})
    item_services.add_asset(actor, poam.adjusted, AssetData(name="kiosk7.plant.test"))
    items = PoamItem.objects.filter(system=poam.system)
    assert ids(query("q=syslog").apply(items)) == [poam.closed.poam_id]
    assert ids(query("q=audit+logs").apply(items)) == []
    assert ids(query("q=kiosk7").apply(items)) == [poam.adjusted.poam_id]


def test_it_filters_by_owner_control_source_overdue_and_delayed(poam):
    items = PoamItem.objects.filter(system=poam.system)
    owner = poam.delayed.owner_id
    assert ids(query(f"owner={owner}").apply(items)) == [poam.delayed.poam_id]
    assert poam.delayed.poam_id not in ids(query("owner=none").apply(items))
    assert ids(query("control=3.13.8").apply(items)) == [poam.adjusted.poam_id]
    assert ids(query("source=vulnerability_scan").apply(items)) == [poam.adjusted.poam_id]
    assert ids(query("overdue=1").apply(items)) == [poam.delayed.poam_id]
    assert ids(query("status=delayed").apply(items)) == [poam.delayed.poam_id]


def test_it_sorts_by_risk_and_falls_back_on_unknown_values(poam):
    items = PoamItem.objects.filter(system=poam.system)
    ranked = ids(query("sort=risk").apply(items))
    assert ranked[0] == poam.delayed.poam_id and ranked[-1] == poam.closed.poam_id
    bad = query("sort=evil&status=nope&owner=x&page=-3")
    assert (bad.sort, bad.status, bad.owner, bad.page) == ("id", "", "", 1)


def test_the_query_string_keeps_every_filter_and_resets_the_page(poam):
    wanted = query("q=tls&risk=high&overdue=1&page=3")
    assert wanted.query_string(sort="due") == "?risk=high&sort=due&q=tls&overdue=1"
    assert "page=4" in wanted.query_string(page=4)


@pytest.mark.parametrize("days, milestone_days, status, completed", [
    (-1, None, "open", False), (5, -2, "open", False), (5, -2, "open", True),
    (5, None, "in_progress", False), (-3, None, "completed", False), (None, 4, "open", False),
])
def test_the_database_delayed_rule_agrees_with_the_domain(poam, alice, days, milestone_days,
                                                          status, completed):
    today = date(2026, 6, 15)
    before = delayed_count(poam.system.pk, today)
    actor = Actor.for_user(alice)
    due = today + timedelta(days=days) if days is not None else None
    item = item_services.create_item(actor, poam.system, title="Rule check",
                                     detected_on=date(2026, 1, 1), scheduled_completion=due)
    dues = []
    if milestone_days is not None:
        m_due = today + timedelta(days=milestone_days)
        milestone = milestone_services.add_milestone(actor, item, "Step", m_due)
        if completed:
            milestone_services.complete_milestone(actor, milestone, today)
        else:
            dues.append(m_due)
    PoamItem.objects.filter(pk=item.pk).update(status=status)
    expected = workflow.is_delayed(Status(status), due, dues, today)
    found = PoamItem.objects.filter(pk=item.pk).filter(delayed_q(today)).exists()
    assert found is expected
    assert delayed_count(poam.system.pk, today) - before == int(expected)


def test_the_list_page_shows_fifty_items_a_page_in_a_fixed_number_of_queries(
        as_alice, poam, alice, django_assert_max_num_queries):
    actor = Actor.for_user(alice)
    for n in range(60):
        item = item_services.create_item(actor, poam.system, title=f"Weakness {n}",
                                         detected_on=date(2026, 1, 1), controls=["3.1.1"])
        milestone_services.add_milestone(actor, item, "Fix", date(2026, 2, 1))
    as_alice.get(system_url(poam))  # the header's unread count is cached from here on
    with django_assert_max_num_queries(LIST_QUERIES):
        response = as_alice.get(system_url(poam) + "?q=weakness&sort=-id")
    text = text_of(response)
    assert "Items 1–50 of 60 matching" in text and "Page 1 of 2" in text
    second = text_of(as_alice.get(system_url(poam) + "?q=weakness&sort=-id&page=2"))
    assert "Items 51–60 of 60" in second


def test_the_unfiltered_list_takes_its_total_from_the_summary_not_a_count(
        as_alice, poam, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = Actor.for_user(alice)
    for n in range(55):
        item_services.create_item(actor, poam.system, title=f"Weakness {n}",
                                  detected_on=date(2026, 1, 1))
    total = PoamItem.objects.filter(system=poam.system).count()
    as_alice.get(system_url(poam))  # the summary and the header's count are cached from here
    with CaptureQueriesContext(connection) as queries:
        text = text_of(as_alice.get(system_url(poam) + "?page=2"))
    assert f"Items 51–{min(100, total)} of {total}" in text and "Page 2 of 2" in text
    counts = [q["sql"] for q in queries.captured_queries
              if "COUNT(" in q["sql"].upper() and "tracker_poamitem" in q["sql"]]
    assert counts == []
    filtered = text_of(as_alice.get(system_url(poam) + "?q=weakness"))
    assert "Items 1–50 of 55 matching" in filtered


def test_the_live_search_answers_with_the_results_only(as_alice, poam):
    response = as_alice.get(system_url(poam) + "?q=portal", HTTP_HX_REQUEST="true",
                            HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"') and "<html" not in html
    assert poam.adjusted.poam_id in html and poam.delayed.poam_id not in html


def test_the_item_page_costs_the_same_queries_with_more_milestones_and_evidence(
        as_alice, poam, alice, django_assert_max_num_queries):
    from tests.web.test_views import DETAIL_QUERIES, item_url

    actor = Actor.for_user(alice)
    for n in range(5):
        milestone_services.add_milestone(actor, poam.delayed, f"Step {n}", date(2026, 3, n + 1))
    as_alice.get(item_url(poam, poam.delayed))  # the header's unread count is cached from here
    with django_assert_max_num_queries(DETAIL_QUERIES):
        assert as_alice.get(item_url(poam, poam.delayed)).status_code == 200
    assert reverse("item-new", args=[poam.org.slug, poam.system.slug])


def test_it_finds_open_items_nobody_changed_in_thirty_days(poam):
    from datetime import datetime, timezone as tz

    items = PoamItem.objects.filter(system=poam.system)
    old = datetime(2026, 1, 1, tzinfo=tz.utc)
    items.filter(pk__in=[poam.delayed.pk, poam.closed.pk]).update(updated_at=old)
    today = date(2026, 3, 1)
    assert ids(query("stale=1").apply(items, today)) == [poam.delayed.poam_id]  # closed: not
    assert ids(query("stale=1").apply(items, date(2026, 1, 20))) == []


def test_the_counts_above_the_list_follow_every_change(as_alice, poam, alice):
    before = text_of(as_alice.get(system_url(poam)))
    assert "1 In Progress" not in before
    item_services.set_status(Actor.for_user(alice), poam.adjusted, "in_progress")
    after = text_of(as_alice.get(system_url(poam)))
    assert "1 In Progress" in after and "1 Open" in after
