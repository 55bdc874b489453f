"""The quality checks' stored results (tracker.services.item_checks) equal a fresh
computation of the rules (reviews.services.quality.run_checks) after imports, edits,
closing, a bulk edit, milestone moves and on days to come; a twin organization with the
same POA&M ids never leaks in; the page's reads do not grow with the POA&M."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpoam.domain.poam import Status
from openpoam.reviews.services.quality import run_checks
from openpoam.tracker.models import CheckBasis, ItemCheck, PoamItem
from openpoam.tracker.services import (bulk_edit, cr26, evidence, imports, item_checks, items,
                                       milestones, people, setup)

from .conftest import ROOT
from .test_imports import nessus
from .test_poam_import import _document, _item, _write

SHOWN = 3


def fresh(system, today: date) -> dict:
    issues = run_checks(system, today)
    return {"groups": item_checks.group_issues(issues, SHOWN),
            "errors": sum(1 for i in issues if i.severity.value == "error"),
            "warnings": sum(1 for i in issues if i.severity.value != "error"),
            "item_count": PoamItem.objects.filter(system=system).count()}


def assert_same(system):
    """Today and days to come (rows over before the day they are written are not kept)."""
    today = timezone.localdate()
    for day in (today, today + timedelta(days=45), today + timedelta(days=400)):
        assert item_checks.summary(system, day, SHOWN) == fresh(system, day), day


@pytest.fixture
def cloud(org):
    return setup.create_system(ROOT, org, slug="cloud", name="Cloud", framework="fedramp-high")


@pytest.fixture
def twin(db):
    """Another organization with the same POA&M ids and problems of its own."""
    other = setup.create_organization(ROOT, "globex", "Globex")
    system = setup.create_system(ROOT, other, slug="cloud", name="Cloud",
                                 framework="fedramp-moderate")
    for n in range(1, 6):
        items.create_item(ROOT, system, title="twin", detected_on=date(2026, 1, 1),
                          poam_id=f"EXT-{n}", original_risk="critical")
    return system


def _rows(n: int):
    rows = [_item(f"EXT-{i}", detected_on=date(2026, 9, i % 27 + 1)) for i in range(1, n + 1)]
    rows[1].milestones.clear()
    rows[2].owner = "IT Team"
    return rows


def test_after_an_import_edits_closing_and_a_bulk_edit_the_stored_results_are_fresh(
        cloud, twin, tmp_path):
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(*_rows(12))))
    assert ItemCheck.objects.filter(system=cloud).exists()
    assert_same(cloud)

    first = PoamItem.objects.get(system=cloud, poam_id="EXT-1")
    items.update_item(ROOT, first, {"planned_remediation": "fix",
                                    "vendor_dependency": True, "vendor_product": "Acme VPN"})
    closing = PoamItem.objects.get(system=cloud, poam_id="EXT-4")
    for step in closing.milestones.all():
        milestones.complete_milestone(ROOT, step, date(2026, 10, 18))
    evidence.add_link(ROOT, closing, "https://scans.example/rescan-4", name="Rescan")
    items.set_status(ROOT, closing, Status.COMPLETED.value, actual_completion=date(2026, 10, 20),
                     today=timezone.localdate())
    milestone = PoamItem.objects.get(system=cloud, poam_id="EXT-5").milestones.first()
    milestones.reschedule_milestone(ROOT, milestone, date(2027, 3, 1), "vendor late")
    items.create_item(ROOT, cloud, title="Badge reader", detected_on=date(2026, 12, 1),
                      depends_on=["EXT-6"])
    assert_same(cloud)

    chosen = list(PoamItem.objects.filter(system=cloud, poam_id__in=["EXT-7", "EXT-8",
                                                                      "EXT-9"]))
    bulk_edit.change_all(ROOT, chosen, bulk_edit.Plan(scheduled_completion=date(2027, 2, 1)),
                         "re-planned")
    assert_same(cloud)
    assert not ItemCheck.objects.filter(system=cloud, poam_id="EXT-1",
                                        message__contains="twin").exists()


def test_a_scan_import_and_next_months_stay_fresh(cloud, tmp_path):
    june = nessus(tmp_path, "june.nessus", {f"10.0.{h}.{h}": [(1001, 443), (1002, 443)]
                                            for h in range(1, 4)})
    imports.import_file(ROOT, cloud, june)
    assert_same(cloud)
    july = nessus(tmp_path, "july.nessus", {"10.0.1.1": [(1002, 443), (1003, 443)]},
                  when="Wed Jul  3 10:00:00 2024")
    imports.import_file(ROOT, cloud, july)
    assert_same(cloud)


def test_the_refresh_and_the_rebuild_never_read_the_affected_assets(cloud, tmp_path):
    """No rule looks at assets, and a scan's items can carry hundreds of thousands: reading
    them made next month's refresh the peak of a large scan import."""
    imports.import_file(ROOT, cloud, nessus(tmp_path, "june.nessus", {
        f"10.0.{h}.{h}": [(1001, 443), (1002, 443)] for h in range(1, 6)}))
    ids = list(PoamItem.objects.filter(system=cloud).values_list("id", flat=True))
    for name, work in (("refresh", lambda: item_checks.refresh(cloud, ids)),
                       ("rebuild", lambda: item_checks.rebuild(cloud))):
        with CaptureQueriesContext(connection) as captured:
            work()
        sql = [q["sql"] for q in captured.captured_queries]
        assert any("tracker_milestone" in q for q in sql), name  # it did read the items
        assert not [q for q in sql if "tracker_affectedasset" in q], name
    assert_same(cloud)


def test_a_changed_basis_rebuilds_and_the_rebuild_equals_the_writes(cloud, tmp_path, settings):
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(*_rows(6))))
    written = sorted(ItemCheck.objects.filter(system=cloud).values_list(
        "poam_id", "position", "code", "message", "starts", "ends"))
    assert item_checks.rebuild(cloud) == len(written)
    assert sorted(ItemCheck.objects.filter(system=cloud).values_list(
        "poam_id", "position", "code", "message", "starts", "ends")) == written
    settings.OPENPOAM_STALE_DAYS = 5  # a threshold the rows were written with changes
    assert_same(cloud)
    assert "5" in CheckBasis.objects.get(system=cloud).basis


def test_the_page_reads_a_fixed_number_of_queries(cloud, tmp_path):
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(*_rows(5))))
    item_checks.summary(cloud, timezone.localdate(), SHOWN)
    with CaptureQueriesContext(connection) as small:
        item_checks.summary(cloud, timezone.localdate(), SHOWN)
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(*_rows(40)), name="more.csv"))
    item_checks.summary(cloud, timezone.localdate(), SHOWN)
    with CaptureQueriesContext(connection) as large:
        item_checks.summary(cloud, timezone.localdate(), SHOWN)
    kinds = len(item_checks.summary(cloud, timezone.localdate(), SHOWN)["groups"])
    assert len(large) <= len(small) + 2 * kinds  # per kind of problem, not per item


def test_a_cr26_system_reads_its_cr26_rules_live_beside_the_stored_ones(org, tmp_path):
    moved = setup.create_system(ROOT, org, slug="moved", name="Moved",
                                framework="fedramp-moderate", impact_level="Moderate")
    imports.import_file(ROOT, moved, nessus(tmp_path, "june.nessus",
                                            {"10.0.0.1": [(1001, 443), (1002, 443)]}))
    assert_same(moved)
    cr26.set_regime(ROOT, moved, "cr26", "C")  # the basis changes: the rows are rebuilt
    moved.refresh_from_db()
    items.create_item(ROOT, moved, title="Not tracked yet", detected_on=date(2026, 1, 5))
    assert_same(moved)
    codes = {g["code"] for g in item_checks.summary(moved, timezone.localdate(), SHOWN)["groups"]}
    assert "cr26-not-tracked" in codes and "fedramp-deadline-exceeded" not in codes


def test_renaming_an_owner_rewrites_the_owner_checks_of_their_items(cloud, org):
    team = setup.add_person(ROOT, org, "Network Team")
    items.create_item(ROOT, cloud, title="Switch firmware", detected_on=date(2026, 1, 5),
                      owner=team)
    assert "owner-not-a-person" in {g["code"] for g in item_checks.summary(
        cloud, timezone.localdate(), SHOWN)["groups"]}
    people.update_person(ROOT, team, name="Dana Ortiz-Reyes")
    assert "owner-not-a-person" not in {g["code"] for g in item_checks.summary(
        cloud, timezone.localdate(), SHOWN)["groups"]}
    assert_same(cloud)


def test_an_upgrade_writes_the_rows_of_systems_that_have_none_and_only_those(cloud, twin,
                                                                            tmp_path):
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(*_rows(6))))
    item_checks.rebuild(twin)
    # As after upgrading from a version without stored results: this system has none.
    ItemCheck.objects.filter(system=cloud).delete()
    CheckBasis.objects.filter(system=cloud).delete()
    done = [(system.pk, rows) for system, rows in item_checks.bring_up_to_date()]
    assert [pk for pk, _rows in done] == [cloud.pk]
    assert done[0][1] == ItemCheck.objects.filter(system=cloud).count() > 0
    assert_same(cloud)
    assert list(item_checks.bring_up_to_date()) == []


def _stored(system) -> list:
    return sorted(ItemCheck.objects.filter(system=system).values_list(
        "item__uuid", "poam_id", "position", "code", "severity", "message", "citation",
        "wording", "starts", "ends", "repeat"))


@pytest.mark.parametrize("framework", ["fedramp-high", "rmf"])
def test_a_scan_imports_new_items_have_their_rows_written_from_the_rows_in_hand(
        org, twin, tmp_path, monkeypatch, framework):
    """The scan import writes its new items' rows from what it inserted, without reading
    them back; the rows equal a rebuild that reads everything, and the twin's stay its own."""
    system = setup.create_system(ROOT, org, slug="scan", name="Scan", framework=framework)
    item_checks.ensure_current(system)  # rows current: the import writes, no rebuild
    twin_rows = _stored(twin)
    june = nessus(tmp_path, "june.nessus", {f"10.0.{h}.{h}": [(1001, 443), (1002, 80 + h)]
                                            for h in range(1, 5)})

    def no_read_back(*args, **kwargs):
        raise AssertionError("the new items were read back")

    with monkeypatch.context() as patched:
        patched.setattr(item_checks, "ChunkedItems", no_read_back)
        imports.import_file(ROOT, system, june)
    written = _stored(system)
    assert written
    assert item_checks.rebuild(system) == len(written)
    assert _stored(system) == written
    assert _stored(twin) == twin_rows
    assert_same(system)

    rows = _rows(6)
    rows[3].milestones[0].current_due = date(2027, 1, 15)  # moved: a history move in hand
    rows[3].cost_estimate = Decimal("1250.5")
    rows[4].vendor_dependency, rows[4].vendor_product = True, "Acme VPN"
    rows[5].owner, rows[5].owner_email = "Dana Whitfield", "dana@example.com"
    with monkeypatch.context() as patched:  # a POA&M CSV: its new items are not read back
        patched.setattr(item_checks, "ChunkedItems", no_read_back)
        imports.import_file(ROOT, system, _write(tmp_path, _document(*rows)))
    written = _stored(system)
    item_checks.rebuild(system)
    assert _stored(system) == written
    assert _stored(twin) == twin_rows
    assert_same(system)


def test_a_first_import_into_a_system_without_rows_keeps_its_milestone_moves(cloud, tmp_path):
    """No current rows yet: the rows are rebuilt after the history (the moves) is saved."""
    rows = _rows(4)
    rows[0].milestones[1].current_due = date(2027, 1, 15)
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(*rows)))
    written = _stored(cloud)
    assert "milestone-change-unrecorded" not in {row[3] for row in written}  # the move's reason
    item_checks.rebuild(cloud)
    assert _stored(cloud) == written
    assert_same(cloud)
