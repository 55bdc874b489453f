"""CMMC through the command line: one transaction for record --to-poam, one status for
page, CLI and JSON, and the assessment's own date everywhere."""

import html
import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from openpoam.tracker.models import Assessment, ChangeEvent, PoamItem

# A Conditional Level 2 whose 180-day window closed long ago (deadline 2026-08-29).
EXPIRED = {"level": 2, "assessment_type": "C3PAO", "status_date": "2026-03-02",
           "results": {"3.1.3": "not_met", "3.13.11": "partial"}}


@pytest.fixture
def expired_file(tmp_path):
    path = tmp_path / "assessment.json"
    path.write_text(json.dumps(EXPIRED))
    return path


def test_it_records_an_expired_window_with_items_detected_on_the_assessment_date(
        enclave, expired_file):
    result = enclave("cmmc", "record", expired_file, "--to-poam")
    assert result.code == 0, result.err
    assert "created 2 POA&M items" in result.out
    items = list(PoamItem.objects.order_by("poam_id"))
    assert {i.detected_on for i in items} == {date(2026, 3, 2)}  # the assessment's, not today
    assert {i.scheduled_completion for i in items} == {date(2026, 8, 29)}
    assert [i.poam_id for i in items] == ["POAM-2026-0001", "POAM-2026-0002"]
    assert "overdue" in result.err and "expired" in result.err  # said once, as a warning
    assert len(result.err_lines) == 1


def test_record_and_items_are_one_transaction(enclave, expired_file, monkeypatch):
    from openpoam.tracker.services import ServiceError
    from openpoam.tracker.services import items as item_services

    real = item_services.create_item
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ServiceError("controls: simulated failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(item_services, "create_item", fail_on_second)
    history_before = ChangeEvent.objects.count()  # setting up the organization is recorded
    result = enclave("cmmc", "record", expired_file, "--to-poam")
    assert result.code == 1 and result.err_lines == ["openpoam: controls: simulated failure"]
    assert "recorded" not in result.out
    assert not Assessment.objects.exists() and not PoamItem.objects.exists()
    assert ChangeEvent.objects.count() == history_before


def test_it_refuses_an_assessment_date_after_the_status_date(enclave, expired_file):
    result = enclave("cmmc", "record", expired_file, "--assessed-on", "2026-11-01", "--to-poam")
    assert result.code == 1 and len(result.err_lines) == 1
    assert "after its CMMC status date 2026-03-02" in result.err
    assert not Assessment.objects.exists() and not PoamItem.objects.exists()


def test_cli_json_and_page_agree_that_an_expired_conditional_holds_no_status(
        enclave, expired_file, client, django_user_model):
    assert enclave("cmmc", "record", expired_file).code == 0
    text = enclave("cmmc", "status").out
    as_json = json.loads(enclave("cmmc", "status", "--json").out)["evaluation"]
    headline = text.splitlines()[0]
    assert headline.startswith("Enclave: No CMMC Status")
    assert "Conditional Level 2 (C3PAO)" not in headline
    assert as_json["current_status"] == "No CMMC Status" and as_json["status_held"] is False
    assert as_json["lapsed_on"] == "2026-08-30"
    summary = ("No CMMC Status: the Conditional Level 2 (C3PAO) status expired on 2026-08-30 "
               "(the POA&M was not closed out by its deadline 2026-08-29); no CMMC status is "
               "held now.")
    assert as_json["status_summary"] == summary and summary in text
    assert "days left" not in text and "passed" in text
    page = _cmmc_page(client, django_user_model)
    assert summary in page and 'cmmc-status__name">No CMMC Status<' in page


def test_the_score_history_shows_the_assessment_date_not_the_day_recorded(
        enclave, tmp_path):
    older = tmp_path / "older.json"
    older.write_text(json.dumps({"level": 2, "assessment_type": "Self",
                                 "status_date": "2025-06-10", "results": {}}))
    assert enclave("cmmc", "record", older).code == 0
    history = json.loads(enclave("cmmc", "status", "--json").out)["history"]
    assert [h["assessed_on"] for h in history] == ["2025-06-10"]
    assert history[0]["recorded_on"] == timezone.localdate().isoformat()
    assert "2025-06-10: 110" in enclave("cmmc", "status").out


def test_a_file_without_a_status_date_needs_the_assessment_date(enclave, tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"level": 2, "assessment_type": "Self"}))
    result = enclave("cmmc", "record", path)
    assert result.code == 1 and "--assessed-on" in result.err and len(result.err_lines) == 1
    assert enclave("cmmc", "record", path, "--assessed-on", "2026-01-05").code == 0


def _cmmc_page(client, user_model) -> str:
    from openpoam.tracker.models import Organization, Role
    from openpoam.tracker.services import Actor, setup

    org = Organization.objects.get(slug="acme")
    alice = user_model.objects.create_user("alice", password="x" * 16)
    setup.add_member(Actor.command_line("test"), org, alice, Role.OWNER)
    client.force_login(alice)
    response = client.get(reverse("system-cmmc", args=["acme", "enclave"]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_a_bad_assessment_file_is_named_with_the_problem(enclave, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"level": 5, "assessment_type": "Self"}))
    result = enclave("cmmc", "record", path, "--assessed-on", "2026-01-05")
    assert result.code == 2 and result.err_lines == [
        f"openpoam: {path}: level must be 1, 2 or 3, not 5"]
    assert not Assessment.objects.exists()
