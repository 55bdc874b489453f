"""eMASS at the user's layer: the installed `openpoam` run as a subprocess on a database the
product filled (SQLite in a fresh data folder; a fresh PostgreSQL database when
DATABASE_URL names one): the system's branch and metadata, the RMF fields through
`--set`, the export of each layout, `check`, and the workbook back through `import`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlparse

import openpyxl
import pytest

OPENPOAM = Path(sys.executable).parent / "openpoam"
MAIN = "from openpoam.cli import main; main()"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A data folder (and, on PostgreSQL, a fresh database) holding the demo."""
    data = tmp_path_factory.mktemp("emass-cli")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(OPENPOAM_DATA_DIR=str(data), OPENPOAM_ACTOR="dana")
    url = os.environ.get("DATABASE_URL", "")
    name = ""
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"openpoam_emass_cli_{uuid.uuid4().hex[:10]}"
        admin = urlparse(url)._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlparse(url)._replace(path=f"/{name}").geturl()
    ok(env, "demo")
    yield env
    if name:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(env, *args) -> subprocess.CompletedProcess:
    command = [str(OPENPOAM)] if OPENPOAM.exists() else [sys.executable, "-c", MAIN]
    return subprocess.run([*command, *map(str, args)], env=env, text=True, capture_output=True,
                          timeout=300)


def ok(env, *args) -> str:
    done = run(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def sheet(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(path.read_bytes()))["POA&M"]


def headers(ws) -> dict[str, str]:
    return {cell.value.strip(): cell.column_letter for cell in ws[7] if cell.value}


def test_the_system_remembers_its_branch_and_metadata(env, tmp_path):
    ok(env, "system", "emass", "cui-enclave", "--branch", "army", "--component", "Army / PEO EIS",
       "--registration", "AR-1234", "--system-type", "Enclave", "--omb-project-id", "007-1",
       "--security-costs", "$10,000", "--poc-name", "Priya Nair", "--poc-phone", "555-0100",
       "--poc-email", "priya@example.mil", "--why", "eMASS registration")
    shown = json.loads(ok(env, "system", "emass", "cui-enclave", "--json"))
    assert {row["field"]: row["value"] for row in shown}["branch"] == "army"
    out = tmp_path / "army.xlsx"
    ok(env, "export", "emass-xlsx", "--output", out)
    ws = sheet(out)
    assert "Identified in CFO Audit or other review" in headers(ws)  # the Army layout
    assert ws["D4"].value == "Army / PEO EIS" and ws["D6"].value == "AR-1234"
    assert ws["Q2"].value == "007-1" and ws["M6"].value == "priya@example.mil"
    assert ws["D3"].value == "dana"
    legacy = tmp_path / "legacy.xlsx"
    ok(env, "export", "emass-xlsx", "--branch", "legacy", "--output", legacy)
    assert "Milestone with Completion Dates" in headers(sheet(legacy))
    ok(env, "system", "emass", "cui-enclave", "--branch", "navy")


def test_rmf_fields_are_set_kept_in_history_and_exported(env, tmp_path):
    ok(env, "item", "update", "POAM-2026-0001", "--set", "likelihood=Very High",
       "--set", "relevance_of_threat=high", "--set", "threat_description=Phishing",
       "--set", "mitigations==cmd|' /C calc'!A0", "--set", "personnel_funded_hours=40")
    history = json.loads(ok(env, "history", "POAM-2026-0001", "--json"))
    assert {"likelihood", "relevance_of_threat", "mitigations"} <= {e["field"] for e in history}
    refused = run(env, "item", "update", "POAM-2026-0001", "--set", "impact=enormous")
    assert refused.returncode == 1 and "impact: 'enormous' is not one of" in refused.stderr
    out = tmp_path / "navy.xlsx"
    ok(env, "export", "emass-xlsx", "--output", out)
    ws = sheet(out)
    cols = headers(ws)
    assert ws[f"{cols['Likelihood']}8"].value == "Very High"
    mitigations = next(c for h, c in cols.items() if h.startswith("Mitigations"))
    assert ws[f"{mitigations}8"].value == "'=cmd|' /C calc'!A0"
    csv_out = tmp_path / "poam.csv"
    ok(env, "export", "csv", "--output", csv_out)
    assert '""likelihood"": ""very_high""' in csv_out.read_text(encoding="utf-8-sig")
    oscal = tmp_path / "poam.json"
    ok(env, "export", "oscal-json", "--output", oscal)
    assert '"name":"rmf-likelihood","ns":"https://openpoam.org/ns/oscal"' in \
        oscal.read_text().replace(" ", "") or "rmf-likelihood" in oscal.read_text()


@pytest.mark.parametrize("branch", ["navy", "army", "usmc", "legacy"])
def test_every_layout_comes_back_with_nothing_lost(env, tmp_path, branch):
    out = tmp_path / f"{branch}.xlsx"
    ok(env, "export", "emass-xlsx", "--branch", branch, "--output", out)
    result = json.loads(ok(env, "import", out, "--fields", "all", "--dry-run", "--json"))
    assert result["findings"] == 26
    assert result["changes"] == []
    assert not [w for w in result["warnings"] if "left alone" in w]


def test_an_edited_workbook_updates_the_chosen_columns_only(env, tmp_path):
    out = tmp_path / "navy.xlsx"
    ok(env, "export", "emass-xlsx", "--output", out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(out)
    ws = book["POA&M"]
    cols = headers(ws)
    ws[f"{cols['Impact']}8"] = "Very Low"
    ws[f"{cols['Comments']}8"] = "changed in eMASS"
    ws[f"{cols['POA&M Status']}8"] = "Completed"
    ws[f"{cols['POA&M Item ID']}10"] = None  # matched by its Security Checks instead
    ws[f"{cols['Impact']}10"] = "High"
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    dry = json.loads(ok(env, "import", edited, "--fields", "rmf,status", "--dry-run", "--json"))
    changed = {(c["poam_id"], c["field"], c["new"]) for c in dry["changes"]}
    assert changed == {("POAM-2026-0001", "impact", "Very Low"),
                       ("POAM-2026-0001", "status", "Completed"),
                       ("POAM-2026-0002", "impact", "High")}
    done = json.loads(ok(env, "import", edited, "--fields", "rmf,status", "--json"))
    assert done["id"] is not None
    assert any("status stays Ongoing" in w and "evidence" in w for w in done["warnings"])
    first = json.loads(ok(env, "history", "POAM-2026-0001", "--json"))
    assert not any(e["field"] == "status" and e["new"] == "completed" for e in first)  # refused
    assert any(e["field"] == "impact" and e["new"] == "very_low" for e in first)
    history = json.loads(ok(env, "history", "POAM-2026-0002", "--json"))
    assert any(e["field"] == "impact" and "eMASS workbook edited.xlsx" in e["why"]
               for e in history)
    again = json.loads(ok(env, "import", edited, "--fields", "rmf", "--dry-run", "--json"))
    assert again["changes"] == [] or again.get("already_imported_at")


def test_refusals_name_the_problem(env, tmp_path):
    out = tmp_path / "navy.xlsx"
    ok(env, "export", "emass-xlsx", "--output", out)
    missing = run(env, "import", out)
    assert missing.returncode == 1 and "choose the columns to update with --fields" in \
        missing.stderr
    wrong = run(env, "import", out, "--fields", "colour")
    assert wrong.returncode == 1 and "'colour' is not a column" in wrong.stderr
    branch = run(env, "export", "csv", "--branch", "army", "--output", tmp_path / "x.csv")
    assert branch.returncode == 2 and "--branch is for emass-xlsx only" in branch.stderr
    unknown = run(env, "export", "emass-xlsx", "--branch", "space", "--output", out)
    assert unknown.returncode == 2


def test_check_names_what_emass_would_refuse(env):
    result = json.loads(run(env, "check", "--emass", "--json").stdout)
    codes = {i["code"] for i in result["issues"]}
    assert "emass-milestone-after-item" in codes
    needs = [i for i in result["issues"] if i["code"] == "emass-required"]
    assert needs and all("eMASS rule" in i["message"] for i in needs)
    plain = json.loads(run(env, "check", "--json").stdout)
    assert not any(i["code"].startswith("emass") for i in plain["issues"])  # a CMMC system
