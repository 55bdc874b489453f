"""The command line as a user drives it: one-line errors, --json, nothing half-written."""

import json

import pytest
from click.testing import CliRunner

from openpoam.cli import base
from openpoam.tracker.models import ChangeEvent, PoamItem


@pytest.fixture
def run(db):
    from openpoam.cli import formats, items, server  # noqa: F401  (register commands)

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(base.cli, list(args), catch_exceptions=False)
    return invoke


@pytest.fixture
def acme(run):
    assert run("org", "create", "acme", "--name", "Acme").exit_code == 0
    assert run("system", "create", "enclave", "--name", "Enclave", "--framework", "cmmc-l2",
               "--designation", "official").exit_code == 0
    assert run("person", "add", "Dana Ortiz").exit_code == 0
    return run


def test_it_adds_and_shows_an_item_as_json(acme):
    added = acme("item", "add", "--title", "No MFA", "--detected", "2026-10-01",
                 "--control", "3.5.3", "--asset", "vpn01:443/tcp",
                 "--set", "original_risk=high", "--set", "owner=Dana Ortiz")
    assert added.exit_code == 0 and added.output.strip() == "POAM-2026-0001"
    shown = json.loads(acme("item", "show", "POAM-2026-0001", "--json").output)
    assert shown["original_risk"] == "high" and shown["owner"] == "Dana Ortiz"
    assert shown["controls"] == [{"catalog": "nist-800-171r2", "control_id": "3.5.3"}]
    assert shown["assets"][0]["port"] == "443"


def test_it_lists_items_with_the_designation(acme):
    acme("item", "add", "--title", "No MFA", "--detected", "2026-10-01")
    listed = json.loads(acme("item", "list", "--json").output)
    assert listed["system"]["designation"] == "official"
    assert [i["poam_id"] for i in listed["items"]] == ["POAM-2026-0001"]


def test_it_prints_one_line_errors_and_exits_non_zero(acme):
    acme("item", "add", "--title", "No MFA", "--detected", "2026-10-01")
    result = acme("item", "set-status", "POAM-2026-0001", "completed")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("openpoam: POAM-2026-0001: Cannot move from "
                                                   "Open to Completed")


def test_it_writes_nothing_on_a_bad_field(acme):
    result = acme("item", "add", "--title", "x", "--detected", "2026-10-01",
                  "--set", "original_risk=severe")
    assert result.exit_code == 1 and "original_risk" in result.output
    assert not PoamItem.objects.exists()
    assert not ChangeEvent.objects.filter(item_uuid__isnull=False).exists()


def test_it_reschedules_with_why_and_shows_history(acme):
    acme("item", "add", "--title", "No MFA", "--detected", "2026-10-01")
    acme("milestone", "add", "POAM-2026-0001", "Buy tokens", "--due", "2026-11-01")
    missing_why = acme("milestone", "reschedule", "POAM-2026-0001", "1", "--due", "2026-12-01")
    assert missing_why.exit_code != 0
    moved = acme("milestone", "reschedule", "POAM-2026-0001", "1", "--due", "2026-12-01",
                 "--why", "backorder")
    assert "originally 2026-11-01" in moved.output
    history = json.loads(acme("history", "POAM-2026-0001", "--json").output)
    assert any(h["why"] == "backorder" and h["old"] == "2026-11-01" for h in history)


def test_it_adds_evidence_and_completes(acme, tmp_path, settings):
    settings.EVIDENCE_DIR = tmp_path / "evidence"
    acme("item", "add", "--title", "No MFA", "--detected", "2026-10-01")
    proof = tmp_path / "scan.txt"
    proof.write_text("clean")
    assert "sha256" in acme("evidence", "add", "POAM-2026-0001", str(proof)).output
    done = acme("item", "set-status", "POAM-2026-0001", "completed", "--completed-on", "2026-11-20")
    assert done.exit_code == 0 and "Completed" in done.output


def test_it_names_an_unknown_organization(run):
    result = run("system", "list", "--org", "nope")
    assert result.exit_code == 1 and "no organization 'nope'" in result.output


NESSUS = """<?xml version="1.0"?><NessusClientData_v2><Report name="m">
<ReportHost name="10.0.0.1"><HostProperties><tag name="HOST_START">Mon Jun  3 10:00:00 2024</tag>
</HostProperties><ReportItem port="443" svc_name="www" protocol="tcp" severity="3"
 pluginID="1001" pluginName="Old TLS" pluginFamily="Misc."><description>d</description>
</ReportItem></ReportHost></Report></NessusClientData_v2>"""


def test_it_imports_a_scan_dry_run_first_then_for_real(acme, tmp_path):
    scan = tmp_path / "june.nessus"
    scan.write_text(NESSUS)
    dry = json.loads(acme("import", str(scan), "--dry-run", "--json").output)
    assert (dry["dry_run"], dry["counts"]["new"], dry["id"]) == (True, 1, None)
    assert not PoamItem.objects.exists()
    done = acme("import", str(scan))
    assert done.exit_code == 0 and "New items" in done.output
    listed = json.loads(acme("imports", "list", "--json").output)
    assert [(r["file"], r["new"]) for r in listed] == [("june.nessus", 1)]


def test_it_names_the_file_and_line_of_a_broken_scan(acme, tmp_path):
    broken = tmp_path / "broken.nessus"
    broken.write_text('<?xml version="1.0"?><NessusClientData_v2>\n<Report name="x">\n<oops')
    result = acme("import", str(broken), "--format", "nessus")
    assert result.exit_code == 1 and "broken.nessus" in result.output and "line" in result.output


def test_it_exports_a_system_to_a_file(acme, tmp_path):
    acme("item", "add", "--title", "No MFA", "--detected", "2026-10-01")
    output = tmp_path / "poam.csv"
    result = acme("export", "csv", "--output", str(output))
    assert result.exit_code == 0 and "Official submission" in result.output
    assert "POAM-2026-0001" in output.read_text(encoding="utf-8-sig")


def test_it_records_an_assessment_and_turns_its_gaps_into_items(acme, tmp_path):
    from openpoam.cli import cmmc  # noqa: F401  (registers the group)

    path = tmp_path / "assessment.json"
    path.write_text(json.dumps({"level": 2, "assessment_type": "Self",
                                "status_date": "2026-03-02",
                                "results": {"3.1.3": "not_met"}}))
    recorded = acme("cmmc", "record", str(path), "--assessed-on", "2026-03-01", "--to-poam")
    assert recorded.exit_code == 0 and "score 109" in recorded.output
    status = json.loads(acme("cmmc", "status", "--json").output)
    assert status["evaluation"]["status"] == "Conditional Level 2 (Self)"
    assert [h["score"] for h in status["history"]] == [109]
    assert PoamItem.objects.get().scheduled_completion.isoformat() == "2026-08-29"
