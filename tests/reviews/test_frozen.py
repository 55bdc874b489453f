"""A finished review shows what its snapshot froze; comparing snapshots keeps why a
scheduled completion moved (a bulk change's justification), in the browser and in
`openpoam snapshot compare` run as a process."""

from __future__ import annotations

from datetime import date

from openpoam.reviews.services import review as reviews
from openpoam.tracker.services import bulk_edit, items
from tests.process import Openpoam, environment, fresh_database
from tests.reviews.test_pages import BASE, signed_in  # noqa: F401  (the fixture)


def test_a_finished_review_shows_what_its_snapshot_froze(signed_in, poam, actors,  # noqa: F811
                                                         system):
    review = reviews.start_review(actors["alice"], system, date(2026, 11, 1))
    for item in poam:
        reviews.record_entry(actors["alice"], review, item, "confirmed")
    review = reviews.finish_review(actors["alice"], review, "all walked")
    items.create_item(actors["alice"], system, title="Found after the freeze",
                      detected_on=date(2026, 11, 20))
    items.set_status(actors["alice"], poam[2], "in_progress")  # changes after it too
    page = signed_in("bob").get(BASE + "reviews/2026-11/").content.decode()
    assert "Found after the freeze" not in page and "Not reviewed" not in page
    assert all(item.poam_id in page for item in poam)
    assert page.count("Confirmed") == 3
    state = reviews.progress(review)
    assert [row["item"].poam_id for row in state["items"]] == [i.poam_id for i in poam]
    assert [row["owner"] for row in state["items"]] == ["Dana Ortiz", "Lee Park", "Dana Ortiz"]


def test_compare_keeps_the_reason_a_bulk_change_moved_a_completion_date(
        signed_in, poam, actors, system):  # noqa: F811
    first = reviews.take_snapshot(actors["alice"], system, "before")
    bulk_edit.change_all(actors["alice"], [poam[0]],
                         bulk_edit.Plan(scheduled_completion=date(2027, 3, 1)),
                         "Vendor ships the tokens in February")
    second = reviews.take_snapshot(actors["alice"], system, "after")
    diff = reviews.compare_snapshots(actors["alice"], first, second)
    assert [(s.poam_id, s.what, s.justifications) for s in diff.slipped] == [
        (poam[0].poam_id, "scheduled completion", ("Vendor ships the tokens in February",))]
    page = signed_in("bob").get(f"{BASE}snapshots/compare/?old={first.pk}&new={second.pk}")
    text = page.content.decode()
    assert "Vendor ships the tokens in February" in text
    assert "(no reason recorded)" not in text


def test_snapshot_compare_as_a_process_prints_the_reason(tmp_path):
    with fresh_database() as url:
        run = Openpoam(environment(tmp_path / "data", url))
        for args in (("org", "create", "acme", "--name", "Acme"),
                     ("system", "create", "enclave", "--name", "Enclave", "--framework",
                      "cmmc-l2"),
                     ("item", "add", "--title", "No MFA", "--detected", "2026-10-01",
                      "--set", "scheduled_completion=2027-01-15"),
                     ("snapshot", "take", "--label", "before"),
                     ("item", "update", "POAM-2026-0001", "--set",
                      "scheduled_completion=2027-03-01", "--why", "Vendor backorder"),
                     ("snapshot", "take", "--label", "after")):
            ran = run(*args)
            assert ran.code == 0, (args, ran.err)
        listed = run("snapshot", "list", "--json").json()
        ids = sorted(str(s.get("id", s.get("number"))) for s in listed)
        compared = run("snapshot", "compare", *ids, "--json")
        assert compared.code == 0, compared.err
        slipped = compared.json()["slipped"]
        assert [(s["poam_id"], s["justifications"]) for s in slipped] == [
            ("POAM-2026-0001", ["Vendor backorder"])]
        wide = Openpoam({**run.env, "COLUMNS": "200"})
        assert "Vendor backorder" in wide("snapshot", "compare", *ids).out
