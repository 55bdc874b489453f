"""`openpoam check | metrics | report | remind | review | snapshot | calendar` as a user types
them: exit codes a pipeline can gate on, JSON, stored text printed as text."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from openpoam.cli import base
from openpoam.reviews.models import Review, Snapshot
from openpoam.tracker.services import items


@pytest.fixture
def run(db):
    from openpoam.cli import reviews  # noqa: F401  (registers the commands)

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(base.cli, list(args), catch_exceptions=False)
    return invoke


def test_check_fails_a_pipeline_on_errors_and_passes_a_clean_poam(run, poam, system):
    found = run("check", "--org", "acme", "--system", "enclave", "--json")
    assert found.exit_code == 1
    data = json.loads(found.output)
    assert data["errors"] > 0
    issue = next(i for i in data["issues"] if i["code"] == "no-milestones")
    assert issue["hint"] and issue["citation"] and issue["severity"] == "error"
    for item in poam:
        item.delete()
    assert run("check", "--org", "acme", "--system", "enclave").exit_code == 0


def test_check_prints_imported_text_literally(run, poam):
    found = run("check", "--org", "acme", "--system", "enclave")
    assert "error(s)" in found.output
    from openpoam.tracker.services import Actor

    items.update_item(Actor.command_line(), poam[0], {"planned_remediation": "fix [/admin]"})
    assert "[/admin]" in run("check", "--org", "acme", "--system", "enclave").output


def test_metrics_json(run, poam):
    result = run("metrics", "--org", "acme", "--system", "enclave", "--json",
                 "--today", "2026-11-29")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["open_total"] == 3 and data["overdue_items"] == 1
    assert data["open_by_risk"] == {"critical": 0, "high": 1, "moderate": 1, "low": 1}
    assert "forecast" in data and data["forecast"]["message"]


def test_a_whole_review_from_the_command_line(run, poam):
    ids = [i.poam_id for i in poam]
    assert run("review", "start", "2026-11", "--org", "acme").exit_code == 0
    assert run("review", "confirm", "2026-11", ids[0], ids[2], "--org", "acme").exit_code == 0
    assert run("review", "escalate", "2026-11", ids[1], "--org", "acme",
               "--note", "overdue").exit_code == 0
    shown = json.loads(run("review", "show", "2026-11", "--org", "acme", "--json").output)
    assert shown["done"] == 3
    finished = run("review", "finish", "2026-11", "--org", "acme")
    assert finished.exit_code == 0 and "sha256" in finished.output
    assert Review.objects.get().snapshot.item_count == 3


def test_review_errors_are_one_line(run, poam):
    result = run("review", "finish", "2026-11", "--org", "acme")
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "no review for 2026-11" in result.output


def test_snapshots_compare_and_export(run, poam, tmp_path):
    assert run("snapshot", "take", "--org", "acme", "--label", "one").exit_code == 0
    assert run("snapshot", "take", "--org", "acme", "--label", "two").exit_code == 0
    first, second = Snapshot.objects.order_by("pk")
    compared = json.loads(run("snapshot", "compare", str(first.pk), str(second.pk), "--org",
                              "acme", "--json").output)
    assert compared["new"] == [] and compared["slipped"] == []
    out = tmp_path / "deliverable.xlsx"
    exported = run("snapshot", "export", str(first.pk), "fedramp-xlsx", "-o", str(out),
                   "--org", "acme")
    assert exported.exit_code == 0 and out.read_bytes()[:2] == b"PK"
    missing = run("snapshot", "export", str(first.pk), "csv", "-o",
                  str(tmp_path / "nowhere" / "x.csv"), "--org", "acme")
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_report_writes_html_and_refuses_a_missing_folder(run, poam, tmp_path):
    out = tmp_path / "report.html"
    assert run("report", "--org", "acme", "--html", str(out)).exit_code == 0
    assert "CUI Enclave" in out.read_text()
    assert run("report", "--org", "acme").exit_code == 1


def test_remind_dry_run_lists_the_digests(run, poam):
    result = run("remind", "--dry-run", "--today", "2026-11-29")
    assert result.exit_code == 0 and "2 digest(s) would send" in result.output


def test_calendar_create_prints_the_url_last(run, poam, client):
    result = run("calendar", "create", "--org", "acme", "--owner", "Lee Park")
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:8000/calendar/")
    assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert run("calendar", "create", "--org", "acme", "--owner", "Nobody").exit_code == 1
    listed = json.loads(run("calendar", "list", "--org", "acme", "--json").output)
    assert run("calendar", "revoke", str(listed[0]["id"]), "--org", "acme").exit_code == 0
    assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 404
