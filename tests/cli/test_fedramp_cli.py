"""`openpoam fedramp deadlines`: the stable contract (CR26 issue section 4), no database."""

import json

import pytest

from click.testing import CliRunner

from openpoam.cli import base
from openpoam.cli import fedramp  # noqa: F401  (registers the group)

EXAMPLE = {"class": "B", "rating": 4, "lev": True, "irv": False, "kev_due": "2026-12-13",
           "detected_at": "2026-12-10T14:00:00Z", "evaluated_at": "2026-12-12T09:30:00Z"}


def _run(*args, input=None):
    return CliRunner().invoke(base.cli, ["fedramp", *args], input=input)


def _file(tmp_path, payload) -> str:
    path = tmp_path / "v.json"
    path.write_text(json.dumps(payload))
    return str(path)


def test_it_prints_the_three_deadlines_with_their_rules(tmp_path):
    result = _run("deadlines", _file(tmp_path, EXAMPLE), "--now", "2026-12-12T10:00:00Z")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["evaluation_due"], out["evaluation_due_rule"]) == ("2026-12-17T14:00:00Z",
                                                                   "VER-TFR-EVU")
    assert (out["reduction_due"], out["reduction_due_rule"]) == ("2026-12-13T23:59:59Z",
                                                                 "VDR-TFR-KEV")
    assert (out["accepted_from"], out["accepted_from_rule"]) == ("2027-06-22T09:30:00Z",
                                                                 "VER-TFR-MAV")
    assert out["as_of"] == "2026-12-12T10:00:00Z" and out["overdue"] is False


def test_it_reads_stdin_with_a_dash():
    payload = {**EXAMPLE, "class": "D", "rating": 5, "irv": True, "kev_due": None,
               "evaluated_at": "2026-12-12T21:30:00Z"}
    result = _run("deadlines", "-", input=json.dumps(payload))
    out = json.loads(result.output)
    assert out["reduction_due"] == "2026-12-13T09:30:00Z"  # VDR-TFR-PVR Class D 12 hours
    assert out["reduction_due_rule"] == "VDR-TFR-PVR"


def test_it_answers_an_array_with_an_array(tmp_path):
    second = {**EXAMPLE, "evaluated_at": None, "rating": None, "lev": None, "irv": None}
    out = json.loads(_run("deadlines", _file(tmp_path, [EXAMPLE, second])).output)
    assert [o["accepted_from"] for o in out] == ["2027-06-22T09:30:00Z", None]


def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path):
    for payload in ({**EXAMPLE, "rating": 9}, {**EXAMPLE, "detected_at": "yesterday"}, [1]):
        result = _run("deadlines", _file(tmp_path, payload))
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1
        assert result.output.startswith("openpoam: ") and "Traceback" not in result.output
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{")
    result = _run("deadlines", str(bad_json))
    assert result.exit_code == 2 and "not valid JSON" in result.output
    missing = _run("deadlines", str(tmp_path / "missing.json"))
    assert missing.exit_code == 2 and "cannot read" in missing.output


# ---- a CR26 system through the command line (database) -------------------------------------

@pytest.fixture
def cloud(db):
    from openpoam.cli import formats, items, server  # noqa: F401  (register commands)

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(base.cli, list(args), catch_exceptions=False)

    assert invoke("org", "create", "acme", "--name", "Acme").exit_code == 0
    assert invoke("system", "create", "cloud", "--name", "Cloud <b>One</b>", "--framework",
                  "fedramp-moderate").exit_code == 0
    return invoke


def test_a_month_of_cr26_from_the_command_line(cloud, tmp_path):
    from tests.services.test_imports import nessus

    moved = cloud("fedramp", "regime", "--regime", "cr26", "--class", "c", "--package-uri",
                  "https://example.com/cpo")
    assert moved.exit_code == 0 and "CR26 Class C" in moved.output
    scan = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    assert cloud("import", str(scan)).exit_code == 0
    queue = json.loads(cloud("fedramp", "queue", "--json").output)
    assert [(q["id"], q["proposed"]) for q in queue] == [("POAM-2024-0001", "N3")]
    evaluated = cloud("fedramp", "evaluate", "POAM-2024-0001", "--rating", "4", "--lev",
                      "--nirv", "--why", "[bold]admin[/bold] panel", "--at",
                      "2024-06-05T09:00:00Z")
    assert evaluated.exit_code == 0 and "2024-06-13T09:00:00Z" in evaluated.output  # C N4 8d
    reduced = cloud("fedramp", "reduce", "POAM-2024-0001", "--rating", "2", "--what",
                    "patched", "--at", "2024-06-06T09:00:00Z")
    assert reduced.exit_code == 0
    accepted = json.loads(cloud("fedramp", "accepted", "--json").output)
    assert [a["id"] for a in accepted] == ["POAM-2024-0001"]  # 192 days have passed
    out = tmp_path / "avi.json"
    assert cloud("fedramp", "report", "avi", "-o", str(out)).exit_code == 0
    info = json.loads(out.read_text())["acceptedVulnerabilities"][0]
    assert info["vulnerabilityDetail"]["painReductionEvents"] == [
        {"reducedAt": "2024-06-06T09:00:00Z", "rating": 2}]
    table = cloud("fedramp", "accepted")
    assert table.exit_code == 0 and "POAM-2024-0001" in table.output
    shown = json.loads(cloud("fedramp", "show", "POAM-2024-0001", "--json").output)
    assert [h["kind"] for h in shown["history"]] == ["evaluation", "reduction"]
    assert shown["deadlines"]["accepted_from"]["rule"] == "VER-TFR-MAV" and shown["accepted"]
    text = cloud("fedramp", "show", "POAM-2024-0001").output
    assert "[bold]admin[/bold] panel" in text  # stored text is printed, not read as markup


def test_cr26_commands_refuse_in_one_line(cloud):
    result = CliRunner().invoke(base.cli, ["fedramp", "queue"])
    assert result.exit_code == 1 and "not under the FedRAMP CR26 rules" in result.output
    cloud("fedramp", "regime", "--regime", "cr26", "--class", "B")
    result = CliRunner().invoke(base.cli, ["fedramp", "evaluate", "POAM-2024-0009", "--rating",
                                           "3", "--lev", "--irv", "--why", "x"])
    assert result.exit_code == 1 and "no CR26 vulnerability" in result.output
    result = CliRunner().invoke(base.cli, ["fedramp", "report", "vdt", "-o", "/tmp/x.json"])
    assert result.exit_code == 1 and "Package Overview URI" in result.output
