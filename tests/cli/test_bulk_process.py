"""`openpoam item bulk` as a process: the same bulk service as the web and the API;
owner, date and a milestone for named items or an import's new items; a refusal names
the item and changes nothing."""

from __future__ import annotations

import json

from tests.cli.process import fresh_env, new_env, run  # noqa: F401
from tests.web.test_browser_flows import NESSUS


def _ok(env, *args):
    done = run(list(args), env)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


def _show(env, poam_id):
    return json.loads(_ok(env, "item", "show", poam_id, "--org", "acme", "--json").stdout)


def test_item_bulk_sets_owner_date_and_a_milestone(fresh_env, tmp_path):
    _ok(fresh_env, "org", "create", "acme", "--name", "Acme")
    _ok(fresh_env, "system", "create", "enclave", "--org", "acme", "--name", "Enclave",
        "--framework", "cmmc-l2")
    _ok(fresh_env, "person", "add", "Dana Reyes", "--org", "acme")
    for title in ("MFA not enforced", "TLS 1.0 enabled"):
        _ok(fresh_env, "item", "add", "--org", "acme", "--system", "enclave", "--title", title,
            "--detected", "2026-10-01")
    done = _ok(fresh_env, "item", "bulk", "POAM-2026-0001", "POAM-2026-0002", "--org", "acme",
               "--owner", "Dana Reyes", "--due", "2099-03-31", "--milestone", "Agree the window",
               "--milestone-due", "2099-03-01", "--why", "October triage")
    assert "changed 2 of 2 items" in done.stdout
    shown = _show(fresh_env, "POAM-2026-0002")
    assert shown["owner"] == "Dana Reyes" and shown["scheduled_completion"] == "2099-03-31"
    assert [m["description"] for m in shown["milestones"]] == ["Agree the window"]

    refused = run(["item", "bulk", "POAM-2026-0001", "POAM-2026-0009", "--org", "acme",
                   "--owner", "", "--why", "x"], fresh_env)
    assert refused.returncode != 0 and "POAM-2026-0009" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _show(fresh_env, "POAM-2026-0001")["owner"] == "Dana Reyes"

    scan = tmp_path / "june.nessus"
    scan.write_text(NESSUS)
    _ok(fresh_env, "import", str(scan), "--org", "acme", "--system", "enclave")
    done = _ok(fresh_env, "item", "bulk", "--import", "1", "--org", "acme", "--owner",
               "Dana Reyes", "--why", "New scan findings")
    assert "changed 1 of 1 item" in done.stdout
