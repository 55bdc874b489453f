"""The FedRAMP regime through the product: on a CR26 system the quality checks, the metrics
forecast and scan imports follow the CR26 rules (FedRAMP/rules@12fe1b6), not the classic
30/90/180-day POA&M deadlines; a classic system is unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from openpoam.domain.metrics import CR26_NO_DEADLINE
from openpoam.reviews.services.metrics import system_metrics
from openpoam.reviews.services.quality import run_checks
from openpoam.tracker.models import Cr26Vulnerability, PoamItem
from openpoam.tracker.services import cr26, imports, items, setup

from .conftest import ROOT
from .test_imports import nessus

# The scan's detection is Mon 3 June 2024 10:00 UTC; the finding is High (Nessus severity 3).
TODAY = date(2024, 7, 15)  # 42 days later: past the classic 30-day High deadline
CLASSIC = {"fedramp-deadline-exceeded", "fedramp-scheduled-after-deadline",
           "fedramp-remediated-late", "operational-requirement-high"}


@pytest.fixture
def classic(org):
    return setup.create_system(ROOT, org, slug="classic", name="Classic",
                               framework="fedramp-moderate", impact_level="Moderate")


@pytest.fixture
def moved(org):
    system = setup.create_system(ROOT, org, slug="moved", name="Moved",
                                 framework="fedramp-moderate", impact_level="Moderate")
    cr26.set_regime(ROOT, system, "cr26", "C")
    system.refresh_from_db()
    return system


def scan(system, tmp_path):
    path = nessus(tmp_path, f"{system.slug}.nessus", {"10.0.0.1": [(1001, 443)]})
    imports.import_file(ROOT, system, path)
    return PoamItem.objects.get(system=system, scan_weakness_id="1001")


def by_code(system) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in run_checks(system, TODAY):
        found.setdefault(issue.code, []).append(issue.poam_id)
    return found


def test_a_classic_system_keeps_its_30_day_deadline(classic, tmp_path):
    item = scan(classic, tmp_path)
    assert item.scheduled_completion == date(2024, 7, 3)  # High: 30 days from detection
    assert by_code(classic)["fedramp-deadline-exceeded"] == [item.poam_id]
    assert system_metrics(classic, TODAY).forecast.deadline_label != CR26_NO_DEADLINE


def test_a_cr26_scan_stamps_no_classic_date_and_shows_the_overdue_evaluation(moved, tmp_path):
    item = scan(moved, tmp_path)
    assert item.scheduled_completion is None  # no KEV: the PVR clock waits for evaluation
    found = by_code(moved)
    assert not CLASSIC & set(found)
    assert found["cr26-evaluation-overdue"] == [item.poam_id]  # VER-TFR-EVU, Class C: 5 days
    assert "no-scheduled-completion" not in found


def test_a_cr26_reduction_past_its_pvr_cell_is_overdue(moved, tmp_path):
    item = scan(moved, tmp_path)
    found = Cr26Vulnerability.objects.select_related("item", "system").get(item=item)
    # Class C, N5 LEV+IRV: reduce within 2 days of evaluation (VDR-TFR-PVR).
    cr26.evaluate(ROOT, found, rating=5, lev=True, irv=True, reason="public and exploitable",
                  at=datetime(2024, 6, 5, 10, 0, tzinfo=UTC))
    codes = by_code(moved)
    assert codes["cr26-reduction-overdue"] == [item.poam_id]
    assert "cr26-evaluation-overdue" not in codes and not CLASSIC & set(codes)


def test_a_cr26_forecast_states_that_no_closure_deadline_applies(moved, tmp_path):
    scan(moved, tmp_path)
    forecast = system_metrics(moved, TODAY).forecast
    assert forecast.deadline is None and forecast.deadline_label == CR26_NO_DEADLINE
    assert forecast.late_items == 0


def test_an_item_added_by_hand_and_not_tracked_is_named(moved):
    item = items.create_item(ROOT, moved, title="Weak TLS on the portal",
                             detected_on=date(2024, 6, 1), original_risk="high",
                             controls=["SC-8"])
    assert by_code(moved)["cr26-not-tracked"] == [item.poam_id]
    cr26.track(ROOT, item, why="found by the penetration test")
    assert "cr26-not-tracked" not in by_code(moved)
