"""Keyset pages of the POA&M list (tracker/keyset.py) through the web page: every sort
order visits every item once, in the order of the whole list, across ties; the links
keep the filters; a deep page asks the database for no OFFSET; another organization's
items with the very same POA&M ids never show."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpoam.tracker.models import PoamItem
from openpoam.tracker.services import Actor
from openpoam.tracker.services import items as item_services
from tests.web.test_views import system_url

pytestmark = pytest.mark.django_db

RISKS = ("low", "moderate", "high")
SORTS = ("id", "-id", "due", "-due", "risk", "-risk", "updated")


@pytest.fixture
def many(poam, alice, globex, admin_actor):
    """123 more acme items (dates and risks repeat: ties), and globex twins of the same ids."""
    actor = Actor.for_user(alice)
    for n in range(123):
        item_services.create_item(
            actor, poam.system, title=f"Weakness {n}" + (" openssl" if n % 2 else ""),
            detected_on=date(2026, 1, 1), original_risk=RISKS[n % 3],
            scheduled_completion=date(2026, 7, n % 4 + 1) if n % 5 else None)
    for n in range(130):
        item_services.create_item(admin_actor, globex, title=f"Globex twin {n} openssl",
                                  detected_on=date(2026, 1, 1), original_risk="high")
    return poam


def _ids(html: str) -> list[str]:
    return re.findall(r'name="items" value="([^"]+)"', html)


def _link(html: str, rel: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', html)
    return unescape(found.group(1)) if found else ""


def _walk(client, url: str, query: str, pages: list | None = None):
    """Every page by its Next link; the ids seen, and the pages' query strings."""
    seen, queries, href = [], [], f"?{query}"
    while href:
        queries.append(href)
        html = client.get(url + href).content.decode()
        if pages is not None:
            pages.append(html)
        seen += _ids(html)
        href = _link(html, "next")
    return seen, queries


def _expected(system, sort: str, **filters) -> list[str]:
    from django.http import QueryDict

    from openpoam.tracker.filters import ListQuery

    query = ListQuery.from_params(QueryDict(f"sort={sort}"))
    return list(query.apply(PoamItem.objects.filter(system=system, **filters))
                .values_list("poam_id", flat=True))


@pytest.mark.parametrize("sort", SORTS)
def test_next_links_visit_every_item_once_in_order(client, alice, many, sort):
    client.force_login(alice)
    seen, queries = _walk(client, system_url(many), f"sort={sort}")
    assert seen == _expected(many.system, sort)
    assert len(seen) == 126 and len(queries) == 3
    assert all("after=" in q for q in queries[1:])  # keyset links, not page offsets


def test_previous_and_last_links_give_the_same_pages_back(client, alice, many):
    client.force_login(alice)
    url = system_url(many)
    first = client.get(url + "?sort=due").content.decode()
    second = client.get(url + _link(first, "next")).content.decode()
    back = client.get(url + _link(second, "prev")).content.decode()
    assert _ids(back) == _ids(first) and "Page 1 of 3" in back
    last_href = unescape(re.search(r'<a href="([^"]+)">Last</a>', first).group(1))
    last = client.get(url + last_href).content.decode()
    assert _ids(last) == _expected(many.system, "due")[100:] and "Page 3 of 3" in last
    assert "Items 101–126 of 126" in last
    before_last = client.get(url + _link(last, "prev")).content.decode()
    assert _ids(before_last) == _expected(many.system, "due")[50:100]


def test_the_links_keep_the_filters(client, alice, many):
    client.force_login(alice)
    seen, queries = _walk(client, system_url(many), "q=openssl&risk=high&sort=risk")
    expected = [i for i in _expected(many.system, "risk")
                if PoamItem.objects.get(system=many.system, poam_id=i).original_risk == "high"
                and "openssl" in PoamItem.objects.get(system=many.system, poam_id=i).title]
    assert seen == expected and seen
    assert all("q=openssl" in q and "risk=high" in q for q in queries)


def test_a_deep_page_asks_for_no_offset(client, alice, many):
    client.force_login(alice)
    url = system_url(many)
    html = client.get(url + "?sort=-due").content.decode()
    nxt = _link(client.get(url + _link(html, "next")).content.decode(), "next")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url + nxt).content.decode()
    assert _ids(page) == _expected(many.system, "-due")[100:]
    item_queries = [q["sql"] for q in queries.captured_queries
                    if "tracker_poamitem" in q["sql"] and "LIMIT" in q["sql"].upper()]
    assert item_queries and not any("OFFSET" in sql.upper() for sql in item_queries)


def test_twin_organization_items_never_show(client, alice, many, globex):
    client.force_login(alice)
    twins = set(PoamItem.objects.filter(system=globex).values_list("poam_id", flat=True))
    assert twins & set(_expected(many.system, "id"))  # the very same ids exist there
    pages: list[str] = []
    seen, _ = _walk(client, system_url(many), "q=openssl&sort=-id", pages)
    assert pages and not any("Globex twin" in html for html in pages)
    assert sorted(seen) == sorted(_expected(many.system, "id", title__contains="openssl"))


def test_a_forged_cursor_shows_the_first_page(client, alice, many):
    client.force_login(alice)
    html = client.get(system_url(many) + "?sort=id&after=bm90LWEtY3Vyc29y&page=9").content
    assert _ids(html.decode()) == _expected(many.system, "id")[:50]
