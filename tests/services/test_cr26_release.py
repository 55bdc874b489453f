"""The CR26 write and report paths with the 2026.10 rules: the schema release setting, N0 in
the services, a change of class recorded and applied from its instant."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from openpoam.formats.base import FormatError
from openpoam.formats.cr26 import validation
from openpoam.tracker.models import Cr26ClassChange
from openpoam.tracker.services import ServiceError, cr26, cr26_reports

from .conftest import ROOT
from .test_cr26 import cloud, cr26_system, scan, vuln  # noqa: F401  (fixtures)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("version", list(validation.SCHEMA_VERSIONS))
def test_reports_validate_against_the_release_the_setting_names(settings, cr26_system,
                                                                tmp_path, version):
    settings.CR26_SCHEMA_VERSION = version
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    assert cr26_reports.build_report(cr26_system, "vdt").schema_version == version
    result = cr26_reports.export_report(ROOT, cr26_system, "vdt", record=False)
    assert validation.validate("vdt", json.loads(result.content), version) == []


def test_an_unknown_release_in_the_setting_is_refused_and_nothing_recorded(settings,
                                                                          cr26_system):
    settings.CR26_SCHEMA_VERSION = "0.3.0"  # not shipped until its bytes are vendored
    with pytest.raises(FormatError, match="OPENPOAM_CR26_SCHEMA_VERSION '0.3.0'"):
        cr26_reports.export_report(ROOT, cr26_system, "vdt")
    assert not cr26_system.cr26_reports.exists()


def test_n0_in_the_services(cr26_system, tmp_path):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    found = vuln("1001")
    cr26.evaluate(ROOT, found, rating=3, lev=True, irv=False, reason="x", at=t("2024-06-04"))
    cr26.plan_reduction(ROOT, found, at=t("2024-07-01"), rating=0)
    cr26.record_reduction(ROOT, found, rating=0, what="removed", at=t("2024-06-05"))
    found.refresh_from_db()
    assert found.rating == 0 and found.next_reduction_rating is None  # that plan is done
    state = cr26.state(found)
    assert state.closed and not state.accepted and state.reduction_due.at is None
    with pytest.raises(ServiceError, match="below N0"):
        cr26.record_reduction(ROOT, found, rating=0, what="again")


def test_a_class_change_is_recorded_and_applies_from_its_instant(cr26_system, tmp_path):
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    found = vuln("1001")
    cr26.evaluate(ROOT, found, rating=5, lev=True, irv=True, reason="x", at=t("2024-06-04"))
    cr26.set_regime(ROOT, cr26_system, "cr26", "D", class_from=t("2024-06-05"))
    change = Cr26ClassChange.objects.get(system=cr26_system)
    assert (change.old_class, change.new_class, change.at) == ("C", "D", t("2024-06-05"))
    found = vuln("1001")
    assert cr26.state(found).reduction_due.at == t("2024-06-06")  # C N5 LEV+IRV: 2 days
    with pytest.raises(ServiceError, match="needs a new class"):
        cr26.set_regime(ROOT, cr26_system, "cr26", "D", class_from=t("2024-06-07"))
    with pytest.raises(ServiceError, match="before the last one"):
        cr26.set_regime(ROOT, cr26_system, "cr26", "B", class_from=t("2024-06-01"))


def test_scan_coverage_against_the_class_cadences(cr26_system, tmp_path):
    from openpoam.tracker.services import cr26_coverage

    before = {r.rule: r for r in cr26_coverage.coverage(cr26_system)}
    assert before["VDR-TFR-PDD"].late and before["VDR-TFR-PDD"].last_scan is None
    scan(cr26_system, tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})  # Jun 3 2024
    rows = {r.rule: r for r in cr26_coverage.coverage(cr26_system, now=t("2024-06-10"))}
    assert set(rows) == {"VDR-TFR-PDD", "VDR-TFR-PCD", "VDR-TFR-PSD", "VDR-TFR-NMV",
                         "VDR-TFR-MVF"}
    assert rows["VDR-TFR-PDD"].last_scan == t("2024-06-03T10:00:00")
    assert rows["VDR-TFR-PDD"].next_due == t("2024-06-17T10:00:00") and not rows[
        "VDR-TFR-PDD"].late  # Class C: 14 days
    assert rows["VDR-TFR-PSD"].late  # Class C: 3 days
    assert rows["VDR-TFR-NMV"].next_due is None and rows["VDR-TFR-NMV"].every == "3 months"
