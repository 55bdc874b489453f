"""`openpoam cmmc evaluate|plan`: the stable contract other tools rely on (no database)."""

import json

from click.testing import CliRunner

from openpoam.cli import base
from openpoam.cli import cmmc  # noqa: F401  (registers the group)


def _run(*args, input=None):
    return CliRunner().invoke(base.cli, ["cmmc", *args], input=input)


def _file(tmp_path, payload, name="a.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return str(path)


def test_it_prints_the_evaluation_as_json(tmp_path):
    # 32 CFR 170.21(a)(2): 110 - 1 (3.1.3) - 3 (3.13.11 partial) = 106, both POA&M-eligible.
    path = _file(tmp_path, {"level": 2, "assessment_type": "C3PAO",
                            "results": {"3.1.3": "not_met", "SC.L2-3.13.11": "partial",
                                        "3.1.12": "not_applicable"},
                            "status_date": "2026-03-02"})
    result = _run("evaluate", path, "--today", "2026-03-10")
    out = json.loads(result.output)
    assert result.exit_code == 0
    assert (out["score"], out["max_score"], out["status"]) == (106, 110,
                                                               "Conditional Level 2 (C3PAO)")
    assert out["closeout_deadline"] == "2026-08-29" and out["conditional_reachable"] is True
    first = out["requirements"][0]
    assert {k: first[k] for k in ("id", "nist", "result", "deduction", "poam_eligible",
                                  "citation")} == {
        "id": "AC.L2-3.1.3", "nist": "3.1.3", "result": "not_met", "deduction": 1,
        "poam_eligible": True, "citation": "32 CFR 170.21(a)(2)(ii)"}


def test_it_exits_2_with_one_line_on_bad_input(tmp_path):
    path = _file(tmp_path, {"level": 2, "assessment_type": "Self",
                            "results": {"3.99.1": "not_met"}})
    result = _run("evaluate", path)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "3.99.1" in result.output


def test_it_exits_2_on_broken_json_naming_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"level": 2,\n "results": }')
    result = _run("evaluate", str(path))
    assert result.exit_code == 2 and "line 2" in result.output


def test_it_plans_the_cheapest_fixes(tmp_path):
    # 3.1.1 (5 points) may never be on a POA&M: it must be fixed; 3.1.3 (1 point) may stay.
    path = _file(tmp_path, {"level": 2, "assessment_type": "Self",
                            "results": {"3.1.1": "not_met", "3.1.3": "not_met"}})
    out = json.loads(_run("plan", path).output)
    assert out["feasible"] is True
    assert [f["id"] for f in out["fix_before_assessment"]] == ["AC.L2-3.1.1"]
    assert out["status"] == "Conditional Level 2 (Self)"
