"""The portfolio and My work at any number of organizations: the same number of queries
for two organizations as for six (no query per organization, system or row), figures that
follow every change at once, and the CMMC score the system's page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpoam.reviews.services.my_work import my_work
from openpoam.reviews.services.portfolio import portfolio
from openpoam.tracker.services import Actor, assessments, cr26, setup
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services.actors import visible_organizations
from tests.web.my_work_world import build, tasks_inline  # noqa: F401

pytestmark = pytest.mark.django_db
ADMIN = Actor.command_line("admin")


@pytest.fixture
def world(db, tasks_inline, django_capture_on_commit_callbacks):
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        return build()


def dana():
    return get_user_model().objects.get(username="dana")


def add_client(n: int) -> None:
    """One more client of dana's: a CMMC system with an assessment and a CR26 system, each
    with items she owns, items nobody owns, late dates and a late milestone."""
    today = timezone.localdate()
    org = setup.create_organization(ADMIN, f"client-{n}", f"Client {n}")
    setup.add_member(ADMIN, org, dana(), "owner")
    person = setup.add_person(ADMIN, org, "Dana Reyes", user=dana())
    for slug, framework in (("cmmc", "cmmc-l2"), ("cloud", "fedramp-moderate")):
        system = setup.create_system(ADMIN, org, slug=slug, name=f"{slug} {n}",
                                     framework=framework)
        for k, (owner, days) in enumerate(((person, -3), (person, 5), (None, 40))):
            item = item_services.create_item(ADMIN, system, title=f"Weakness {k}",
                                             detected_on=today - timedelta(days=9),
                                             owner=owner, original_risk="moderate",
                                             scheduled_completion=today + timedelta(days=days))
        milestone_services.add_milestone(ADMIN, item, "First step", today - timedelta(days=1),
                                         person)
        if framework == "cmmc-l2":
            assessments.record_assessment(ADMIN, system, {
                "level": 2, "assessment_type": "Self",
                "status_date": (today - timedelta(days=20)).isoformat(),
                "results": {"3.1.3": "not_met"}})
        else:
            cr26.set_regime(ADMIN, system, "cr26", "D")


def queries(read) -> int:
    cache.clear()  # the first request after a start: nothing cached
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_with_organizations_and_systems(world):
    def read_portfolio():
        return portfolio(visible_organizations(Actor.for_user(dana())))

    add_client(0)  # one of each kind of system, so every query is already made
    small = (queries(read_portfolio), queries(lambda: my_work(dana())))
    for n in range(1, 5):
        add_client(n)
    large = (queries(read_portfolio), queries(lambda: my_work(dana())))
    assert large == small
    rows = read_portfolio().rows
    assert len(rows) == 2 + 5 * 2
    cloud = next(r for r in rows if r.organization == "client-4" and r.system == "cloud")
    assert (cloud.open_by_risk["moderate"], cloud.overdue, cloud.delayed) == (3, 1, 2)
    assert cloud.cr26
    cmmc = next(r for r in rows if r.organization == "client-4" and r.system == "cmmc")
    assert cmmc.sprs_score is not None and cmmc.cmmc_status
    work = my_work(dana())
    assert work.section("cr26").total == 5 * 3  # every CR26 item is hers or nobody's
    assert work.section("unowned").total == 5 * 2


def test_a_change_shows_at_once_on_the_cached_portfolio(world):
    def acme():
        result = portfolio(visible_organizations(Actor.for_user(dana())))
        return next(r for r in result.rows if r.organization == "acme")

    before = acme()
    assert (before.overdue, before.open) == (0, 3)
    assert acme().overdue == 0  # now from the cache
    late = timezone.localdate() - timedelta(days=1)
    item_services.update_item(ADMIN, world.due_soon, {"scheduled_completion": late},
                              justification="moved earlier")
    assert acme().overdue == 1
    item_services.delete_item(ADMIN, world.unowned, "a duplicate of another finding")
    assert acme().open == 2


def test_the_score_is_the_latest_assessed_not_the_last_typed_in(world):
    today = timezone.localdate()

    def record(days_ago: int, results: dict):
        assessments.record_assessment(ADMIN, world.acme_system, {
            "level": 2, "assessment_type": "Self",
            "status_date": (today - timedelta(days=days_ago)).isoformat(),
            "results": results})

    record(10, {})  # the newest assessment: every requirement met
    record(200, {"3.1.3": "not_met", "3.5.3": "not_met"})  # an old one, entered afterwards
    current = assessments.latest(world.acme_system)
    result = portfolio(visible_organizations(Actor.for_user(dana())))
    acme = next(r for r in result.rows if r.organization == "acme")
    assert (acme.sprs_score, acme.cmmc_status) == (current.score, current.status)
    assert acme.sprs_score == acme.sprs_max
