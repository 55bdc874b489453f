"""The installed `openpoam` as a process: every command's help, and every exit code the README
and the command help promise for pipelines, each with a case that must fail."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import click
import pytest

from tests.cli.process import fresh_env, new_env, run  # noqa: F401


def _every_command(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _every_command(command, (*path, name))


def _tree():
    from openpoam.cli import cli, load_commands

    load_commands()
    return list(_every_command(cli))


def test_every_command_has_help_as_a_process(fresh_env):
    """`openpoam CMD --help` starts Django for nothing it does not need: a choice read from
    the models (`item list --sort`) once failed before Django was set up, in every call."""
    missing = []
    for path, command in _tree():
        done = run([*path, "--help"], fresh_env, timeout=60)
        assert done.returncode == 0 and done.stdout.startswith("Usage: openpoam"), (
            f"openpoam {' '.join(path)} --help: exit {done.returncode}: {done.stderr}")
        assert done.stderr == "", (path, done.stderr)
        if not (command.help or "").strip():
            missing.append(" ".join(path))
    assert not missing, f"commands without help text: {missing}"
    # --help touches no database: the fresh data folder is not set up by it.
    assert not (Path(fresh_env["OPENPOAM_DATA_DIR"]) / "openpoam.sqlite3").exists()


def _ok(env, *args, cwd=None):
    done = run(list(args), env, cwd)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


def _acme(env) -> None:
    _ok(env, "org", "create", "acme", "--name", "Acme")
    _ok(env, "system", "create", "enclave", "--org", "acme", "--name", "Enclave",
        "--framework", "cmmc-l2")


def test_item_list_runs_as_a_process(fresh_env):
    _acme(fresh_env)
    _ok(fresh_env, "person", "add", "Dana Ortiz-Marquez de la Fuente", "--org", "acme")
    _ok(fresh_env, "item", "add", "--org", "acme", "--system", "enclave", "--title",
        "MFA not enforced for VPN concentrators on every remote access path used by staff",
        "--detected", "2026-10-01", "--set", "original_risk=moderate",
        "--set", "owner=Dana Ortiz-Marquez de la Fuente",
        "--set", "scheduled_completion=2026-12-15")
    for args in ([], ["--status", "active", "--risk", "moderate", "--sort", "-due"]):
        listed = _ok(fresh_env, "item", "list", "--org", "acme", *args)
        # At 80 columns the identifier and the date are whole; the title folds instead.
        assert "POAM-2026-0001" in listed.stdout and "2026-12-15" in listed.stdout
        assert "…" not in listed.stdout
        assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    bad = run(["item", "list", "--org", "acme", "--sort", "bogus"], fresh_env)
    assert bad.returncode == 2 and "bogus" in bad.stderr


def test_check_exits_1_on_an_error_and_0_without(fresh_env):
    _acme(fresh_env)
    clean = run(["check", "--org", "acme", "--system", "enclave", "--json"], fresh_env)
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["errors"] == 0
    # An item without an owner, plan or milestones is an error-level finding.
    _ok(fresh_env, "item", "add", "--org", "acme", "--system", "enclave", "--title", "Gap",
        "--detected", "2026-10-01")
    for args in ([], ["--json"]):
        failing = run(["check", "--org", "acme", "--system", "enclave", *args], fresh_env)
        assert failing.returncode == 1, (args, failing.stdout, failing.stderr)
    assert json.loads(failing.stdout)["errors"] >= 1


def _tamper(env) -> None:
    """Edit one stored history record behind the product's back, as an attacker with the
    database would (on PostgreSQL past the append-only trigger, as its superuser)."""
    sql = ("UPDATE tracker_changeevent SET justification = 'edited' WHERE id = "
           "(SELECT MIN(id) FROM tracker_changeevent)")
    url = env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("ALTER TABLE tracker_changeevent DISABLE TRIGGER USER")
            connection.execute(sql)
            connection.execute("ALTER TABLE tracker_changeevent ENABLE TRIGGER USER")
        return
    with sqlite3.connect(Path(env["OPENPOAM_DATA_DIR"]) / "openpoam.sqlite3") as connection:
        assert connection.execute(sql).rowcount == 1


def test_history_verify_exits_1_on_an_edited_record(fresh_env):
    _acme(fresh_env)
    intact = run(["history", "verify", "--org", "acme"], fresh_env)
    assert intact.returncode == 0 and "intact" in intact.stdout, intact.stderr
    _tamper(fresh_env)
    for args in (["--org", "acme"], []):
        broken = run(["history", "verify", *args], fresh_env)
        assert broken.returncode == 1, (args, broken.stdout, broken.stderr)
        assert broken.stderr.startswith("openpoam: ")


def test_fedramp_deadlines_and_cmmc_exit_2_on_bad_input(tmp_path, fresh_env):
    good = tmp_path / "vuln.json"
    good.write_text(json.dumps({"class": "B", "rating": 4, "lev": True, "irv": False,
                                "detected_at": "2026-12-10T14:00:00Z"}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"class": "Z", "rating": 9}))
    assert run(["fedramp", "deadlines", str(good)], fresh_env).returncode == 0
    refused = run(["fedramp", "deadlines", str(bad)], fresh_env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assessment = tmp_path / "assessment.json"
    assessment.write_text(json.dumps({"level": 2, "assessment_type": "C3PAO",
                                      "results": {"3.1.3": "not_met"}}))
    assert run(["cmmc", "evaluate", str(assessment)], fresh_env).returncode == 0
    assert run(["cmmc", "plan", str(assessment)], fresh_env).returncode == 0
    for command in ("evaluate", "plan"):
        refused = run(["cmmc", command, str(bad)], fresh_env)
        assert refused.returncode == 2 and refused.stderr.startswith("openpoam: "), command


def test_documented_error_codes(fresh_env, tmp_path):
    """Exit 2 for bad arguments, 1 for a refusal, as the README's Errors paragraph says."""
    for args in (["item", "list", "--bogus"], ["item", "add", "--detected", "2026-13-45"],
                 ["import", str(tmp_path / "missing.nessus")]):
        done = run(args, fresh_env)
        assert done.returncode == 2 and done.stderr.startswith("openpoam: "), (args, done)
    done = run(["item", "list", "--org", "nowhere"], fresh_env)
    assert done.returncode == 1 and "nowhere" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(os.name != "posix", reason="reads a pipe")
def test_import_dry_run_writes_nothing(fresh_env, tmp_path):
    from tests.cli.test_readme_commands import SCAN

    _acme(fresh_env)
    scan = tmp_path / "scan.nessus"
    scan.write_text(SCAN)
    dry = _ok(fresh_env, "import", str(scan), "--org", "acme", "--system", "enclave",
              "--dry-run", "--json")
    assert dry.stdout
    listed = _ok(fresh_env, "item", "list", "--org", "acme", "--json")
    assert json.loads(listed.stdout)["items"] == []
