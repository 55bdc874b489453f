"""Daily work in the browser (issue 25): work on many items at once from the list and
from an import's result, the item page's sections one tap apart, pages that fit a phone.

Every page is checked with axe-core and photographed at 1280 and 390 px into
tests/artifacts/screens/ (``bulkui-*``); the item page's height and where the content
starts at phone width are written to tests/artifacts/bulkui-measure.json.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from openpoam.tracker.models import ChangeEvent, Milestone, PoamItem
from tests.browsing import DESKTOP, NEEDS_CHROMIUM, PHONE, SCREENS

pytestmark = NEEDS_CHROMIUM

MEASURE = SCREENS.parent / "bulkui-measure.json"


@pytest.fixture
def db_checks(monkeypatch):
    """These scenarios read the database between clicks, to prove what a form changed;
    Playwright's event loop runs in this thread, the server in its own."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _top(page, selector: str) -> int:
    return round(page.evaluate(
        f"document.querySelector({json.dumps(selector)}).getBoundingClientRect().top"
        " + window.scrollY"))


def test_the_item_page_is_short_and_the_content_starts_on_the_first_screen(
        transactional_db, poam, browser):
    org, system = poam.org.slug, poam.system.slug
    item = reverse("item", args=[org, system, poam.delayed.poam_id])
    listing = reverse("system", args=[org, system])
    figures = {}
    for viewport in (DESKTOP, PHONE):
        width = viewport["width"]
        page = browser.open("alice", viewport)
        browser.go(item)
        figures[f"item_height_{width}"] = page.evaluate("document.documentElement.scrollHeight")
        figures[f"item_content_top_{width}"] = _top(page, ".item-head")
        page.screenshot(path=str(SCREENS / f"bulkui-item-first-screen-{width}.png"))
        browser.go(listing)
        figures[f"list_content_top_{width}"] = _top(page, ".counts")
        page.context.close()
    MEASURE.parent.mkdir(parents=True, exist_ok=True)
    MEASURE.write_text(json.dumps(figures, indent=2))
    print(figures)


def _nessus(tmp_path, hosts: int):
    """A scan with one finding on ``hosts`` hosts: that many new items when imported."""
    from tests.web.test_browser_flows import NESSUS

    host = NESSUS.split("<ReportHost", 1)[1].split("</ReportHost>", 1)[0]
    body = "".join(("<ReportHost" + host + "</ReportHost>").replace("10.0.0.9", f"10.0.1.{n}")
                   .replace("mill01", f"mill{n:02d}").replace('pluginID="51192"',
                                                              f'pluginID="{51192 + n}"')
                   for n in range(hosts))
    path = tmp_path / "june.nessus"
    path.write_text(NESSUS.split("<ReportHost", 1)[0] + body + "</Report></NessusClientData_v2>")
    return path


def test_many_items_get_an_owner_a_date_and_a_milestone_from_the_list(
        db_checks, transactional_db, poam, browser):
    from playwright.sync_api import expect

    org, system = poam.org.slug, poam.system.slug
    listing = reverse("system", args=[org, system])
    ids = [poam.delayed.poam_id, poam.adjusted.poam_id]
    for viewport in (DESKTOP, PHONE):
        page = browser.open("alice", viewport)
        browser.go(listing + "?status=active")
        # A saved view: the filters get a name and come back from the list.
        page.get_by_label("Name for these filters").fill(f"Open work {viewport['width']}")
        page.get_by_role("button", name="Save view").click()
        expect(page.get_by_role("link", name=f"Open work {viewport['width']}")).to_be_visible()
        page.locator("summary", has_text="Change the ticked items").click()
        browser.check("bulkui-list-bulk")
        page.context.close()

    page = browser.open("alice", DESKTOP)
    browser.go(listing)
    # A refusal names the item and changes nothing.
    page.locator(f"#pick-{poam.closed.poam_id}").check()
    page.locator(f"#pick-{poam.adjusted.poam_id}").check()
    page.locator("summary", has_text="Change the ticked items").click()
    bulk = page.locator("#bulk")
    bulk.get_by_label("Status").select_option("in_progress")
    bulk.get_by_label("Justification").fill("Kick-off")
    page.get_by_role("button", name="Apply to ticked items").click()
    expect(page.locator(".form-error")).to_contain_text(poam.closed.poam_id)
    expect(page.locator(".form-error")).to_contain_text("nothing was changed")
    browser.check("bulkui-list-refused")
    browser.problems.remove("Failed to load resource: the server responded with a status of "
                            "422 (Unprocessable Entity)")  # the refusal, as it should be
    assert PoamItem.objects.get(pk=poam.adjusted.pk).status == "open"

    browser.go(listing)
    for poam_id in ids:
        page.locator(f"#pick-{poam_id}").check()
    page.locator("summary", has_text="Change the ticked items").click()
    bulk.get_by_label("Owner", exact=True).select_option(label="Dana Reyes")
    bulk.get_by_label("Scheduled completion").fill("2099-06-30")
    bulk.get_by_label("Milestone", exact=True).fill("Patch window agreed")
    bulk.get_by_label("Due").fill("2099-05-01")
    bulk.get_by_label("Milestone owner").select_option(label="Dana Reyes")
    bulk.get_by_label("Justification").fill("June triage: owners and dates")
    page.get_by_role("button", name="Apply to ticked items").click()
    expect(page.locator(".message--success")).to_contain_text("2 items changed")
    for poam_id in ids:
        item = PoamItem.objects.get(poam_id=poam_id)
        assert item.owner.name == "Dana Reyes" and item.scheduled_completion == date(2099, 6, 30)
        last = item.milestones.order_by("-sequence").first()
        assert (last.description, last.current_due, last.owner.name) == \
            ("Patch window agreed", date(2099, 5, 1), "Dana Reyes")
        assert ChangeEvent.objects.filter(item_uuid=item.uuid,
                                          justification="June triage: owners and dates"
                                          ).count() >= 2


def test_an_imports_new_items_are_worked_on_together(db_checks, transactional_db, poam, alice,
                                                      tmp_path, browser):
    from playwright.sync_api import expect

    from openpoam.tracker.services import Actor, imports

    result = imports.import_file(Actor.for_user(alice), poam.system, _nessus(tmp_path, 4))
    record = result.record
    org, system = poam.org.slug, poam.system.slug
    detail = reverse("system-import", args=[org, system, record.pk])
    for viewport in (DESKTOP, PHONE):
        page = browser.open("alice", viewport)
        browser.go(detail)
        browser.check("bulkui-import-result")
        page.get_by_role("link", name="Work on the 4 new items").click()
        expect(page.locator(".page-title")).to_contain_text("Work on 4 items")
        browser.check("bulkui-import-work")
        page.context.close()

    page = browser.open("alice", DESKTOP)
    browser.go(detail)
    page.get_by_role("link", name="Work on the 4 new items").click()
    page.get_by_label("Owner", exact=True).select_option(label="Dana Reyes")
    page.get_by_label("Scheduled completion").fill("2099-07-31")
    page.get_by_label("Milestone", exact=True).fill("Replace the certificates")
    page.get_by_label("Due").fill("2099-07-15")
    page.get_by_label("Justification").fill("New scan findings assigned")
    page.get_by_role("button", name="Apply to the ticked items").click()
    expect(page.locator(".message--success")).to_contain_text("4 items changed")
    browser.check("bulkui-import-work-done")
    new = PoamItem.objects.filter(system=poam.system, owner__name="Dana Reyes",
                                  scheduled_completion=date(2099, 7, 31))
    assert new.count() == 4
    assert Milestone.objects.filter(item__in=new, description="Replace the certificates"
                                    ).count() == 4


def test_the_item_pages_sections_are_one_tap_apart(db_checks, transactional_db, poam, browser):
    from playwright.sync_api import expect

    org, system = poam.org.slug, poam.system.slug
    item = reverse("item", args=[org, system, poam.delayed.poam_id])
    for viewport in (DESKTOP, PHONE):
        page = browser.open("alice", viewport)
        browser.go(item)
        browser.check("bulkui-item")
        nav = page.get_by_role("navigation", name="Item sections")
        for name, heading in (("Milestones", "Milestones"), ("Evidence", "Evidence"),
                              ("Requests & comments", "Requests for approval"),
                              ("History", "Change history"), ("Details", "Weakness")):
            nav.get_by_role("link", name=name).click()
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            if name == "Milestones":
                expect(page.get_by_role("heading", name="Weakness")).to_be_hidden()
                browser.check("bulkui-item-milestones")
        page.context.close()

    # A milestone's owner is given in the browser; the page comes back on the milestones.
    page = browser.open("alice", DESKTOP)
    browser.go(item + "#milestones")
    form = page.get_by_role("form", name="Add a milestone")
    form.get_by_label("Description").fill("Train the help desk")
    form.get_by_label("Due").fill("2099-02-01")
    form.get_by_label("Owner").select_option(label="Dana Reyes")
    form.get_by_role("button", name="Add milestone").click()
    expect(page.get_by_role("heading", name="Milestones", exact=True)).to_be_visible()
    expect(page.locator("#milestones")).to_contain_text("Train the help desk")
    added = Milestone.objects.get(item=poam.delayed, description="Train the help desk")
    assert added.owner.name == "Dana Reyes"
    page.get_by_text("Complete or reschedule milestone 2").click()
    page.locator("#ms-owner-2").select_option(label="Dana Reyes")
    page.locator("details[open]").get_by_role("button", name="Change owner").click()
    expect(page.locator(".message--success")).to_contain_text("Milestone 2 is now Dana Reyes's")
    assert Milestone.objects.get(item=poam.delayed, sequence=2).owner.name == "Dana Reyes"


def test_metrics_and_review_pages_fit_both_widths(db_checks, transactional_db, poam, alice,
                                                  browser):
    from openpoam.reviews.services import review
    from openpoam.tracker.services import Actor

    review.start_review(Actor.for_user(alice), poam.system, date(2026, 11, 1))
    org, system = poam.org.slug, poam.system.slug
    pages = {"bulkui-metrics": reverse("system-metrics", args=[org, system]),
             "bulkui-review": reverse("system-review", args=[org, system, "2026-11"]),
             "bulkui-dashboard": reverse("system-dashboard", args=[org, system])}
    for viewport in (DESKTOP, PHONE):
        page = browser.open("alice", viewport)
        for name, path in pages.items():
            browser.go(path)
            browser.check(name)
        browser.go(pages["bulkui-metrics"])
        card = page.locator("#burn-h").locator("xpath=..")
        chart = card.locator("svg.chart").first
        card_width = card.evaluate("e => e.clientWidth")
        chart_width = chart.evaluate("e => e.getBoundingClientRect().width")
        assert chart_width > card_width * 0.85, (chart_width, card_width)
        browser.go(pages["bulkui-review"])
        # The review's buttons are side by side with room, never squeezed under a word.
        widths = page.locator(".review-actions .button").evaluate_all(
            "bs => bs.map(b => b.getBoundingClientRect().width)")
        assert widths and min(widths) >= 60, widths
        page.context.close()
