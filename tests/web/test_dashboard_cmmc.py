"""The dashboard's numbers and charts, and recording a CMMC assessment from the grid."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openpoam.tracker.models import Assessment, PoamItem
from tests.web.test_views import text_of

pytestmark = pytest.mark.django_db

DASHBOARD_QUERIES = 13  # uncached: the counts, and the version they are cached under


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def test_the_dashboard_counts_and_draws_in_a_fixed_number_of_queries(
        as_alice, poam, django_assert_max_num_queries):
    url = reverse("system-dashboard", args=[poam.org.slug, poam.system.slug])
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = as_alice.get(url)
    html = response.content.decode()
    text = text_of(response)
    assert "Open items by risk: Critical 0, High 1, Moderate 1, Low 0" in html
    assert "Overdue items 1" in text and poam.delayed.poam_id in text
    assert html.count("<svg") >= 2 and "<script" not in html.replace(
        '<script src="/static/web/vendor/htmx.min.js" defer></script>', "")
    assert "Internal tracking" in text or "internal" in text.lower()


def test_the_cmmc_grid_previews_and_records_an_assessment_with_items(as_alice, poam):
    org, system = poam.org.slug, poam.system.slug
    page = as_alice.get(reverse("system-cmmc-assess", args=[org, system]))
    assert page.status_code == 200 and "IA.L2-3.5.3" in page.content.decode()
    grid = {"assessment_type": "C3PAO", "r:AC.L2-3.1.3": "not_met",
            "r:IA.L2-3.5.3": "partial", "r:AC.L2-3.1.1": "not_met"}
    preview = as_alice.post(reverse("system-cmmc-preview", args=[org, system]), grid,
                            HTTP_HX_REQUEST="true")
    text = text_of(preview)
    assert "SPRS score:" in text and "AC.L2-3.1.1 must be fixed before the assessment" in text
    before = PoamItem.objects.count()
    done = as_alice.post(reverse("system-cmmc-assess", args=[org, system]),
                         {**grid, "assessed_on": "2026-06-01", "status_date": "2026-06-02",
                          "to_poam": "1", "assessor": "Ace C3PAO"})
    assert done.status_code == 302
    assessment = Assessment.objects.get(system=poam.system)
    assert assessment.assessment_type == "C3PAO" and assessment.results.count() == 3
    assert PoamItem.objects.count() == before + 3


def test_a_partial_result_is_refused_where_the_rules_have_none(as_alice, poam):
    org, system = poam.org.slug, poam.system.slug
    response = as_alice.post(reverse("system-cmmc-preview", args=[org, system]),
                             {"r:AC.L2-3.1.1": "partial"})
    assert "partial is not a result" in text_of(response)


def test_a_viewer_cannot_open_the_grid(client, bob, poam):
    client.force_login(bob)
    response = client.get(reverse("system-cmmc-assess", args=[poam.org.slug, poam.system.slug]))
    assert response.status_code == 403


def test_the_burn_down_counts_open_items_week_by_week(poam):
    from django.utils import timezone

    from openpoam.web.views.dashboard import burn_down

    points = burn_down(PoamItem.objects.filter(system=poam.system), timezone.localdate())
    assert len(points) == 12
    # Three items detected long ago; one was completed on 2026-03-01 (recorded today): it
    # left the POA&M on its completion date, so two were open all along (domain.metrics).
    assert [p.value for p in points] == [2] * 12


def test_the_fast_check_data_gives_the_same_issues_as_the_full_document(poam, alice):
    from datetime import date

    from openpoam.domain import checks
    from openpoam.tracker.documents import MOVES, build_document
    from openpoam.tracker.services import Actor
    from openpoam.tracker.services import items as item_services

    item_services.set_dependencies(Actor.for_user(alice), poam.closed, [poam.adjusted.poam_id])
    for today in (date(2026, 3, 1), date(2030, 1, 1)):
        full = checks.check_document(build_document(poam.system, today=today).items,
                                     poam.system.framework_enum, today)
        fast = checks.check_document(
            build_document(poam.system, today=today, with_history=MOVES).items,
            poam.system.framework_enum, today)
        assert sorted(map(repr, fast)) == sorted(map(repr, full))
        assert full
