"""FedRAMP CR26 in the product: a scan into a CR26 system, evaluation, reduction, acceptance,
grouping and the reports, month after month. Rules cited are CR26 (FedRAMP/rules@12fe1b6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from openpoam.formats.cr26 import validation
from openpoam.tracker.models import ChangeEvent, Cr26Report, Cr26Vulnerability, PoamItem
from openpoam.tracker.services import PermissionDenied, ServiceError, cr26, cr26_reports, \
    imports, setup

from .conftest import ROOT
from .test_imports import nessus

URI = "https://example.com/packages/cloud-one"


@pytest.fixture
def cloud(org):
    return setup.create_system(ROOT, org, slug="cloud", name="Cloud", framework="fedramp-moderate",
                               impact_level="Moderate")


@pytest.fixture
def cr26_system(cloud):
    cr26.set_regime(ROOT, cloud, "cr26", "C", package_uri=URI)
    cloud.refresh_from_db()
    return cloud


def scan(system, tmp_path, name, hosts):
    return imports.import_file(ROOT, system, nessus(tmp_path, name, hosts))


def vuln(plugin: str) -> Cr26Vulnerability:
    return Cr26Vulnerability.objects.select_related("item", "system").get(
        item__scan_weakness_id=plugin)


def test_the_classic_fedramp_path_records_nothing_for_cr26(cloud, tmp_path):
    scan(cloud, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    assert PoamItem.objects.count() == 1 and not Cr26Vulnerability.objects.exists()


def test_only_fedramp_systems_choose_a_regime_and_cr26_needs_a_class(org, cloud, alice, users):
    cmmc = setup.create_system(ROOT, org, slug="enclave", name="Enclave", framework="cmmc-l2")
    with pytest.raises(ServiceError, match="not a FedRAMP system"):
        cr26.set_regime(ROOT, cmmc, "cr26", "B")
    with pytest.raises(ServiceError, match="usually Class C"):
        cr26.set_regime(ROOT, cloud, "cr26", "")
    with pytest.raises(ServiceError, match="FRC-CLA"):  # Rev5 + Class A is refused
        cr26.set_regime(ROOT, cloud, "cr26", "A")
    with pytest.raises(PermissionDenied):
        cr26.set_regime(users["bob"], cloud, "cr26", "B")


def test_a_scan_records_detection_and_a_proposal_marked_proposed(cr26_system, tmp_path):
    scan(cr26_system, tmp_path, "june.nessus", {"8.8.8.8": [(1001, 443)],
                                                "10.0.0.2": [(1002, 80)]})
    public = vuln("1001")
    # HOST_START "Mon Jun  3 10:00:00 2024" is the detection; EVU Class C is 5 days.
    assert public.detected_at == datetime(2024, 6, 3, 10, 0, tzinfo=UTC)
    assert cr26.state(public).evaluation_due.at == public.detected_at + timedelta(days=5)
    assert public.evaluated_at is None and public.rating is None  # proposed only
    assert (public.proposed_rating, public.proposed_lev, public.proposed_irv) == (3, True, True)
    assert "public address" in public.proposal_basis
    assert vuln("1002").proposed_irv is False
    assert ChangeEvent.objects.filter(entity="cr26", field="proposal").count() == 2


def test_evaluation_records_who_when_why_and_starts_the_clocks(cr26_system, tmp_path, alice,
                                                              users):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    found = vuln("1001")
    with pytest.raises(PermissionDenied):
        cr26.evaluate(users["bob"], found, rating=4, lev=True, irv=True, reason="x")
    with pytest.raises(ServiceError, match="say why"):
        cr26.evaluate(alice, found, rating=4, lev=True, irv=True, reason=" ")
    at = datetime(2024, 6, 5, 9, 0, tzinfo=UTC)
    cr26.evaluate(alice, found, rating=4, lev=True, irv=True, reason="login page", at=at)
    found.refresh_from_db()
    assert (found.evaluated_by, found.evaluated_at, found.evaluation_reason) == (
        "alice", at, "login page")
    state = cr26.state(found)
    assert state.reduction_due.at == at + timedelta(days=4)  # VDR-TFR-PVR C N4 LEV+IRV
    assert state.reduction_due.rule == "VDR-TFR-PVR"
    assert state.accepted_from.at == at + timedelta(days=192)  # VER-TFR-MAV
    history = ChangeEvent.objects.get(entity="cr26", field="evaluation")
    assert (history.actor_name, history.justification) == ("alice", "login page")


def test_reductions_lower_the_rating_and_restart_the_pvr_clock(cr26_system, tmp_path, alice):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    found = vuln("1001")
    evaluated = datetime(2024, 6, 5, 9, 0, tzinfo=UTC)
    cr26.evaluate(alice, found, rating=4, lev=True, irv=True, reason="r", at=evaluated)
    with pytest.raises(ServiceError, match="lowers"):
        cr26.record_reduction(alice, found, rating=4, what="nothing")
    reduced = evaluated + timedelta(days=2)
    cr26.record_reduction(alice, found, rating=2, what="WAF rule", irv=False, at=reduced,
                          disposition="Partially Mitigated")
    found.refresh_from_db()
    assert (found.rating, found.irv, found.disposition) == (2, False, "Partially Mitigated")
    assert cr26.state(found).reduction_due.at == reduced + timedelta(days=128)  # C N2 NIRV
    assert [e.kind for e in found.rating_events.all()] == ["evaluation", "reduction"]


def test_accepted_at_192_days_and_listed_instead_of_a_poam(cr26_system, tmp_path, alice):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    found = vuln("1001")
    evaluated = datetime(2024, 6, 5, 9, 0, tzinfo=UTC)
    cr26.evaluate(alice, found, rating=1, lev=False, irv=False, reason="r", at=evaluated)
    day_192 = evaluated + timedelta(days=192)
    before = cr26_reports.snapshot(cr26_system, day_192 - timedelta(seconds=1))
    assert cr26_reports.accepted(before) == []
    rows = cr26_reports.snapshot(cr26_system, day_192)
    assert [r.poam_id for r in cr26_reports.accepted(rows)] == [found.item.poam_id]


def test_queue_and_overdue(cr26_system, tmp_path, alice):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443), (1002, 80)]})
    first, second = vuln("1001"), vuln("1002")
    cr26.evaluate(alice, first, rating=5, lev=True, irv=True, reason="r",
                  at=datetime(2024, 6, 4, tzinfo=UTC))
    rows = cr26_reports.snapshot(cr26_system, datetime(2024, 6, 10, tzinfo=UTC))
    assert [r.poam_id for r in cr26_reports.queue(rows)] == [second.item.poam_id]
    assert {r.poam_id for r in cr26_reports.overdue(rows)} == {first.item.poam_id,
                                                               second.item.poam_id}
    counts = cr26_reports.dashboard(rows)
    assert counts["overdue_reductions"] == 1 and counts["late_evaluations"] == 1
    assert counts["incidents"] == 1  # VER-TFR-IRI, SHOULD in Class C


def test_a_later_scan_without_the_weakness_makes_it_remediated(cr26_system, tmp_path):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443), (1002, 80)]})
    scan(cr26_system, tmp_path, "july.nessus", {"10.0.0.1": [(1002, 80)]})
    assert vuln("1001").disposition == "Remediated"
    assert vuln("1002").disposition == ""


def test_grouping_applies_the_rules_to_the_group(cr26_system, tmp_path, alice):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    scan(cr26_system, tmp_path, "july.nessus", {"10.0.0.1": [(1001, 443), (1002, 80)]},)
    lead, member = vuln("1002"), vuln("1001")
    cr26.group(alice, lead, [member], "same OpenSSL build")
    lead.refresh_from_db()
    assert lead.detected_at == member.detected_at  # the earliest member (VER-EVA-GRV)
    rows = cr26_reports.snapshot(cr26_system)
    assert [(r.poam_id, r.members) for r in rows] == [(lead.item.poam_id,
                                                       [member.item.poam_id])]
    with pytest.raises(ServiceError, match="grouped under"):
        cr26.evaluate(alice, vuln("1001"), rating=2, lev=False, irv=False, reason="r")


def test_reports_validate_and_each_covers_since_the_previous_one(cr26_system, tmp_path, alice,
                                                                 users):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    found = vuln("1001")
    cr26.evaluate(alice, found, rating=3, lev=True, irv=False, reason="r")  # late, but now
    with pytest.raises(PermissionDenied):
        cr26_reports.export_report(users["bob"], cr26_system, "vdt")
    first = cr26_reports.export_report(alice, cr26_system, "vdt")
    document = json.loads(first.content)
    assert validation.validate("vdt", document) == []
    assert document["reportPeriod"]["from"] == "2024-06-03T10:00:00Z"
    assert document["vulnerabilities"][0]["ratingHistory"][0]["note"] == "r"
    second = cr26_reports.export_report(alice, cr26_system, "vdt")
    assert second.period_from == first.period_to  # VER-RPT-PER
    assert Cr26Report.objects.filter(kind="vdt").count() == 2
    for kind in ("avi", "mrh"):
        out = cr26_reports.export_report(alice, cr26_system, kind)
        assert validation.validate(kind, json.loads(out.content)) == []
    assert b"VER-TFR-MHR" in cr26_reports.export_report(alice, cr26_system, "mhr").content
    preview = cr26_reports.export_report(users["bob"], cr26_system, "vdt", record=False)
    assert preview.period_from == second.period_to
    assert Cr26Report.objects.filter(kind="vdt").count() == 2


def test_reports_need_the_package_uri(cloud, alice):
    cr26.set_regime(ROOT, cloud, "cr26", "B")
    with pytest.raises(ServiceError, match="Package Overview URI"):
        cr26_reports.export_report(alice, cloud, "vdt")


def test_moving_to_cr26_adopts_open_items(cloud, tmp_path):
    scan(cloud, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    assert cr26.set_regime(ROOT, cloud, "cr26", "D", package_uri=URI) == 1
    adopted = vuln("1001")
    assert adopted.detected_at == datetime(2024, 6, 3, tzinfo=UTC)
    assert cr26.state(adopted).evaluation_due.at == datetime(2024, 6, 5, tzinfo=UTC)  # D: 2d


def test_the_generic_export_path_writes_a_preview(cr26_system, tmp_path, alice):
    from openpoam.tracker.services import exports

    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    out = tmp_path / "vdt.json"
    result = exports.export_system(alice, cr26_system, "cr26-vdt", out)
    assert result.items == 1 and "VER-RPT-VDT" in result.format_label
    assert validation.validate("vdt", json.loads(out.read_text())) == []
    assert not Cr26Report.objects.exists()  # a preview: the period of record is unchanged


def test_a_kev_date_set_on_the_item_caps_the_reduction(cr26_system, tmp_path, alice):
    from datetime import date

    from openpoam.tracker.services import items

    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    found = vuln("1001")
    cr26.evaluate(alice, found, rating=3, lev=True, irv=False, reason="r",
                  at=datetime(2024, 6, 4, tzinfo=UTC))
    items.update_item(alice, found.item, {"kev": True, "kev_due": date(2024, 6, 10)},
                      justification="BOD 26-04 tier for this asset")
    due = cr26.state(vuln("1001")).reduction_due
    assert (due.at, due.rule) == (datetime(2024, 6, 10, 23, 59, 59, tzinfo=UTC), "VDR-TFR-KEV")


def test_items_made_by_hand_are_tracked_on_request(cr26_system, alice, users):
    from datetime import date

    from openpoam.tracker.services import items

    item = items.create_item(ROOT, cr26_system, title="Pentest: admin panel on the internet",
                             detected_on=date(2026, 11, 2), original_risk="critical")
    assert cr26_reports.untracked(cr26_system) == [item.poam_id]
    with pytest.raises(PermissionDenied):
        cr26.track(users["bob"], item, why="pentest")
    tracked = cr26.track(alice, item, why="annual penetration test")
    assert tracked.detected_at == datetime(2026, 11, 2, tzinfo=UTC)
    assert (tracked.proposed_rating, tracked.proposed_lev) == (4, True)
    assert cr26_reports.untracked(cr26_system) == []
    with pytest.raises(ServiceError, match="already tracked"):
        cr26.track(alice, item, why="again")
