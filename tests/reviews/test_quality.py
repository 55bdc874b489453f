"""Quality checks through the product: a CMMC system's checks read its latest assessment."""

from __future__ import annotations

from datetime import date

import pytest

from openpoam.cli import base
from openpoam.reviews.services.metrics import system_metrics
from openpoam.reviews.services.quality import check_settings, gate, run_checks, spooled_gate
from openpoam.tracker.services import assessments, items
from tests.reviews.conftest import ROOT

TODAY = date(2026, 11, 29)


def record_conditional(system, status_date=date(2026, 10, 1)):
    # 3.1.8 (1 point) NOT MET: 109 of 110, Conditional with a POA&M.
    assessments.record_assessment(
        ROOT, system, {"level": 2, "assessment_type": "Self", "results": {"3.1.8": "not_met"},
                       "status_date": status_date.isoformat()}, assessed_on=status_date)


def test_the_closeout_deadline_comes_from_the_latest_assessment(system, poam):
    assert check_settings(system).closeout_deadline is None
    record_conditional(system)
    settings = check_settings(system)
    assert settings.cmmc_level == 2 and settings.closeout_deadline == date(2027, 3, 30)
    items.update_item(ROOT, poam[2], {"scheduled_completion": date(2027, 6, 1)},
                      justification="vendor")
    found = [i for i in run_checks(system, TODAY) if i.code == "cmmc-after-closeout"]
    assert [i.poam_id for i in found] == [poam[2].poam_id]


def test_an_ineligible_requirement_on_the_poam_is_an_error(system, poam):
    record_conditional(system)  # 3.5.3 assessed MET: poam[0] is no gap of this assessment
    assert not [i for i in run_checks(system, TODAY) if i.code == "cmmc-ineligible-on-poam"]
    assessments.record_assessment(  # now 3.5.3 partial (3 points): never on a POA&M
        ROOT, system, {"level": 2, "assessment_type": "Self", "results": {"3.5.3": "partial"}},
        assessed_on=date(2026, 11, 1))
    found = [i for i in run_checks(system, TODAY) if i.code == "cmmc-ineligible-on-poam"]
    assert [i.poam_id for i in found] == [poam[0].poam_id]


def test_metrics_carry_the_score_history_and_the_closeout_forecast(system, poam):
    record_conditional(system)
    result = system_metrics(system, TODAY)
    assert result.score_trend == ((date(2026, 10, 1), 109),)
    assert result.forecast.deadline == date(2027, 3, 30)
    assert result.open_total == 3


def test_the_spooled_gate_gives_what_the_gate_gives(system, poam):
    # `openpoam check` reads the issues back from a spool file; the API keeps the list.
    items.update_item(ROOT, poam[1], {"owner": None}, justification="left")
    for emass, fail_on in ((False, "error"), (True, "warning")):
        whole = gate(system, TODAY, emass=emass, fail_on=fail_on)
        with spooled_gate(system, TODAY, emass=emass, fail_on=fail_on) as (result, issues):
            assert {**result, "issues": list(issues)} == whole
        assert whole["issues"] and whole["items"] == len(poam)


@pytest.mark.parametrize("entries", [[], [{"a": 1}], [
    {"code": "x", "message": 'quote " back \\ new\nline \x1b[31m ünï \u2028', "n": None},
    {"nested": {"list": [1, 2, {"deep": []}], "empty": {}}, "when": date(2026, 1, 2)}]])
def test_json_written_an_entry_at_a_time_is_the_same_text(capsys, entries):
    data = {"system": "s", "items": 2, "passed": False}
    base.echo_json({**data, "issues": entries})
    whole = capsys.readouterr().out
    base.echo_json_listing(data, "issues", iter(entries))
    assert capsys.readouterr().out == whole
