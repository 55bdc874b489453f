"""Milestones closed as not needed, and a file imported twice, from the command line."""

from __future__ import annotations

import json

from tests.cli.test_cli import NESSUS, acme, run  # noqa: F401  (fixtures)


def test_it_completes_an_item_only_once_its_milestones_are_closed(acme, tmp_path, settings):
    settings.EVIDENCE_DIR = tmp_path / "evidence"
    acme("item", "add", "--title", "No MFA", "--detected", "2026-10-01")
    acme("milestone", "add", "POAM-2026-0001", "Buy tokens", "--due", "2026-11-01")
    proof = tmp_path / "config.txt"
    proof.write_text("mfa on")
    acme("evidence", "add", "POAM-2026-0001", str(proof))
    refused = acme("item", "set-status", "POAM-2026-0001", "completed",
                   "--completed-on", "2026-11-20")
    assert refused.exit_code != 0 and "milestone 1 is still open" in refused.output
    closed = acme("milestone", "complete", "POAM-2026-0001", "1", "--on", "2026-11-15",
                  "--not-needed", "tokens came with the new VPN")
    assert closed.exit_code == 0 and "closed as not needed" in closed.output
    done = acme("item", "set-status", "POAM-2026-0001", "completed",
                "--completed-on", "2026-11-20")
    assert done.exit_code == 0
    history = json.loads(acme("history", "POAM-2026-0001", "--json").output)
    assert any(h["why"] == "tokens came with the new VPN" for h in history)


def test_it_says_a_file_was_already_imported(acme, tmp_path, settings):
    settings.EVIDENCE_DIR = tmp_path / "evidence"
    scan = tmp_path / "june.nessus"
    scan.write_text(NESSUS)
    assert acme("import", str(scan)).exit_code == 0
    again = acme("import", str(scan))
    assert again.exit_code == 0
    assert "Already imported — nothing changed" in again.output
    assert "no changes: this file was already imported into Enclave on" in again.output
    records = json.loads(acme("imports", "list", "--json").output)
    assert len(records) == 1
