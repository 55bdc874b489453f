"""FedRAMP CR26 at the user's layer: the installed `openpoam` run as a subprocess on a fresh
data folder (or a fresh PostgreSQL database when DATABASE_URL names one). N0 is accepted
everywhere a rating is (VER-EVA-EPA, rules 2026.10.05.01), `openpoam export` writes every CR26
report (issue 22, defect 2), and the VDT keeps a partially mitigated item's planned reduction
(defect 1) and reports a missed evaluation deadline as overdue (defect 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from openpoam.formats.cr26 import validation
from tests.paths import REPO

OPENPOAM = str(Path(sys.executable).with_name("openpoam"))  # the installed entry point


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(OPENPOAM_DATA_DIR=str(tmp_path / "data"),
               PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]))
    url = os.environ.get("DATABASE_URL", "")
    admin = name = None
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"openpoam_cr26cli_{uuid.uuid4().hex[:10]}"
        admin = urlparse(url)._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlparse(url)._replace(path=f"/{name}").geturl()

    def invoke(*args, input=None):
        done = subprocess.run([OPENPOAM, *map(str, args)], env=env, input=input, text=True,
                              capture_output=True, timeout=180)
        return done.returncode, done.stdout, done.stderr
    yield invoke
    if name:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ok(result):
    code, out, err = result
    assert code == 0, err
    return out


def one_line_error(result, code: int, text: str):
    got, out, err = result
    assert got == code, (out, err)
    assert len(err.strip().splitlines()) == 1 and text in err and "Traceback" not in err


def test_n0_in_the_deadlines_contract_and_6_refused(run):
    payload = {"class": "C", "rating": 0, "lev": True, "irv": True, "kev_due": None,
               "detected_at": "2026-12-10T14:00:00Z", "evaluated_at": "2026-12-11T10:00:00Z"}
    out = json.loads(ok(run("fedramp", "deadlines", "-", input=json.dumps(payload))))
    assert out["reduction_due"] is None and out["reduction_due_rule"] == "VDR-TFR-PVR"
    assert out["incident"] is None and out["accepted_from"] == "2027-06-21T10:00:00Z"
    one_line_error(run("fedramp", "deadlines", "-", input=json.dumps({**payload, "rating": 6})),
                   2, "0 to 5")


def _cloud(run):
    ok(run("org", "create", "acme", "--name", "Acme"))
    ok(run("system", "create", "cloud", "--name", "Cloud", "--framework", "fedramp-moderate"))
    for title in ("Admin panel exposed", "Debug endpoint", "Old TLS", "Not looked at yet"):
        ok(run("item", "add", "--title", title, "--detected", "2026-11-02"))
    ok(run("fedramp", "regime", "--regime", "cr26", "--class", "C", "--package-uri",
           "https://example.com/cpo"))


def test_a_cr26_month_with_n0_and_every_report_through_export(run, tmp_path):
    _cloud(run)
    ids = [f"POAM-2026-000{n}" for n in range(1, 5)]
    # Item 1: evaluated N3, next reduction planned to N1, then reduced to N2 "Partially
    # Mitigated": the plan to N1 still stands (defect 1).
    ok(run("fedramp", "evaluate", ids[0], "--rating", "3", "--lev", "--irv", "--why",
           "public admin panel", "--at", "2026-11-03T09:00:00Z"))
    ok(run("fedramp", "plan", ids[0], "--rating", "1", "--by", "2027-01-15T00:00:00Z"))
    ok(run("fedramp", "reduce", ids[0], "--rating", "2", "--what", "WAF rule", "--disposition",
           "Partially Mitigated", "--at", "2026-11-04T09:00:00Z"))
    # Item 2: evaluated N0 at once; item 3: evaluated N4, reduced to N0, planned to N0 first.
    ok(run("fedramp", "evaluate", ids[1], "--rating", "0", "--nlev", "--nirv", "--why",
           "not reachable from any customer path", "--at", "2026-11-03T09:00:00Z"))
    ok(run("fedramp", "evaluate", ids[2], "--rating", "4", "--lev", "--nirv", "--why",
           "TLS 1.0 on an internal link", "--at", "2026-11-03T09:00:00Z"))
    ok(run("fedramp", "plan", ids[2], "--rating", "0", "--by", "2026-11-20T00:00:00Z"))
    ok(run("fedramp", "reduce", ids[2], "--rating", "0", "--what", "TLS 1.0 disabled",
           "--at", "2026-11-05T09:00:00Z"))
    one_line_error(run("fedramp", "evaluate", ids[3], "--rating", "6", "--lev", "--irv",
                       "--why", "x"), 2, "--rating")
    one_line_error(run("fedramp", "reduce", ids[1], "--rating", "0", "--what", "x"), 1,
                   "below N0")

    shown = json.loads(ok(run("fedramp", "show", ids[1], "--json")))
    assert shown["rating"] == 0 and shown["deadlines"]["reduction_due"]["due"] is None
    assert "N0" in ok(run("fedramp", "show", ids[2]))
    listed = {r["id"]: r for r in json.loads(ok(run("fedramp", "overdue", "--json")))}
    assert ids[3] in listed and listed[ids[3]]["rating"] == ""  # never evaluated, past EVU

    documents = {}
    for key in ("cr26-vdt", "cr26-avi", "cr26-mrh", "cr26-mhr"):
        out = tmp_path / f"{key}.out"
        assert "wrote" in ok(run("export", key, "--output", out))  # defect 2: exit 0
        documents[key] = out.read_text()
    for key, kind in (("cr26-vdt", "vdt"), ("cr26-avi", "avi"), ("cr26-mrh", "mrh")):
        assert validation.validate(kind, json.loads(documents[key])) == []
    vdt = {v["providerTrackingId"]: v for v in json.loads(documents["cr26-vdt"])["vulnerabilities"]}
    assert vdt[ids[0]]["finalDisposition"] == "Partially Mitigated"
    assert vdt[ids[0]]["projectedNextReduction"] == {"estimatedAt": "2027-01-15T00:00:00Z",
                                                     "targetRating": 1}
    assert vdt[ids[1]]["openpoamCurrentRating"] == "N0" and "currentRating" not in vdt[ids[1]]
    assert vdt[ids[2]]["openpoamN0Reductions"][0]["rating"] == "N0"
    assert vdt[ids[2]]["finalDisposition"] == "Fully Mitigated"  # FRD-FMV: reduced to N0
    assert "finalDisposition" not in vdt[ids[1]]  # evaluated N0 at the outset: still active
    late = vdt[ids[3]]["overdueStatus"]  # defect 3
    assert late["isOverdue"] is True and "VER-TFR-EVU" in late["explanation"]
    assert ">N0<" in documents["cr26-mhr"]


def test_export_refuses_a_cr26_report_of_a_system_not_under_cr26(run, tmp_path):
    ok(run("org", "create", "acme", "--name", "Acme"))
    ok(run("system", "create", "cloud", "--name", "Cloud", "--framework", "fedramp-moderate"))
    one_line_error(run("export", "cr26-vdt", "--output", tmp_path / "x.json"), 1,
                   "not under the FedRAMP CR26 rules")
    one_line_error(run("export", "cr26-nope", "--output", tmp_path / "x.json"), 2, "cr26-vdt")
    assert not (tmp_path / "x.json").exists()


def test_a_class_change_applies_from_its_date(run):
    _cloud(run)
    # Class C N5 LEV+IRV: 2 days. Evaluated under C, then the system moves to D.
    ok(run("fedramp", "evaluate", "POAM-2026-0001", "--rating", "5", "--lev", "--irv", "--why",
           "rce", "--at", "2026-11-03T09:00:00Z"))
    ok(run("fedramp", "regime", "--regime", "cr26", "--class", "D", "--class-from",
           "2026-11-04T00:00:00Z"))
    first = json.loads(ok(run("fedramp", "show", "POAM-2026-0001", "--json")))
    assert first["deadlines"]["reduction_due"]["due"] == "2026-11-05T09:00:00Z"  # still C
    ok(run("fedramp", "reduce", "POAM-2026-0001", "--rating", "4", "--what", "rate limit",
           "--at", "2026-11-04T09:00:00Z"))
    after = json.loads(ok(run("fedramp", "show", "POAM-2026-0001", "--json")))
    assert after["deadlines"]["reduction_due"]["due"] == "2026-11-06T09:00:00Z"  # D N4: 2 days
    one_line_error(run("fedramp", "regime", "--regime", "cr26", "--class", "C", "--class-from",
                       "2026-11-01T00:00:00Z"), 1, "before the last one")
    coverage = {r["rule"]: r for r in json.loads(ok(run("fedramp", "coverage", "--json")))}
    assert coverage["VDR-TFR-PDD"]["every"] == "7 days" and coverage["VDR-TFR-PDD"]["late"]
    assert "VDR-TFR-NMV" in ok(run("fedramp", "coverage"))


def test_a_member_is_grouped_and_taken_out_of_its_group(run):
    _cloud(run)
    ok(run("fedramp", "group", "POAM-2026-0001", "POAM-2026-0002", "--why", "same library"))
    assert json.loads(ok(run("fedramp", "show", "POAM-2026-0002", "--json")))["group_lead"] \
        == "POAM-2026-0001"
    assert "taken out of its group" in ok(run("fedramp", "ungroup", "POAM-2026-0002", "--why",
                                              "patched on its own"))
    assert not json.loads(ok(run("fedramp", "show", "POAM-2026-0002", "--json")))["group_lead"]
    one_line_error(run("fedramp", "ungroup", "POAM-2026-0002", "--why", "again"), 1,
                   "is not in a group")
    one_line_error(run("fedramp", "ungroup", "POAM-2026-0003"), 2, "--why")
