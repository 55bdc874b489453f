"""What an assessor receives carries the organization's signed checkpoint, which
`openpoam history verify-export` checks with no database, and which `history verify
--checkpoint` later holds the live trail to."""

from __future__ import annotations

import base64
import json

import pytest

from tests.accounts.cli_databases import BACKENDS, fresh_database, python, run
from tests.accounts.test_checkpoint_attacks import ATTACK

EXPORTS = ["oscal-json", "oscal-xml", "fedramp-xlsx", "emass-xlsx"]


@pytest.fixture(params=BACKENDS)
def fedramp(request, tmp_path):
    with fresh_database(request.param, tmp_path / "data") as env:
        run(env, "org", "create", "acme", "--name", "Acme", check=True)
        run(env, "system", "create", "cloud", "--org", "acme", "--name", "Cloud",
            "--framework", "fedramp-moderate", check=True)
        run(env, "fedramp", "regime", "--org", "acme", "--regime", "cr26", "--class", "c",
            "--package-uri", "https://example.gov/package", check=True)
        run(env, "item", "add", "--org", "acme", "--system", "cloud", "--title", "TLS 1.0",
            "--detected", "2026-10-01", "--set", "original_risk=high", check=True)
        yield env


def test_every_export_and_snapshot_carries_a_checkpoint_that_verifies_offline(fedramp,
                                                                                tmp_path):
    pem = tmp_path / "acme.pem"
    run(fedramp, "history", "public-key", "--output", pem, check=True)
    files = []
    for key in EXPORTS:
        files.append(tmp_path / f"poam.{key}")
        run(fedramp, "export", key, "--org", "acme", "--output", files[-1], check=True)
    for kind in ("vdt", "mhr"):  # CR26 reports: JSON (a property) and HTML (a section)
        files.append(tmp_path / f"cr26-{kind}")
        run(fedramp, "fedramp", "report", kind, "--org", "acme", "--output", files[-1],
            check=True)
    run(fedramp, "snapshot", "take", "--org", "acme", check=True)
    files.append(tmp_path / "snapshot.xlsx")
    run(fedramp, "snapshot", "export", "1", "fedramp-xlsx", "--org", "acme", "--output",
        files[-1], check=True)
    # The assessor's machine: no database, no key of its own.
    offline = {k: v for k, v in fedramp.items() if k != "DATABASE_URL"}
    offline["OPENPOAM_DATA_DIR"] = str(tmp_path / "assessor")
    for path in files:
        checked = run(offline, "history", "verify-export", path, "--public-key", pem)
        assert checked.returncode == 0, (path, checked.stderr)
        assert "signature valid" in checked.stdout and "org:1 (acme)" in checked.stdout
    assert not (tmp_path / "assessor" / "openpoam.sqlite3").exists()
    # An export is also a checkpoint to hold the live trail to, until it is rewritten.
    assert run(fedramp, "history", "verify", "--org", "acme", "--checkpoint", files[0],
               check=True)
    assert python(fedramp, ATTACK, "rewrite").returncode == 0
    caught = run(fedramp, "history", "verify", "--org", "acme", "--checkpoint", files[2])
    assert caught.returncode == 1 and "differs from the checkpoint" in caught.stderr


def test_an_altered_checkpoint_in_an_export_or_another_key_is_refused(tmp_path):
    with fresh_database("sqlite", tmp_path / "data") as env:
        run(env, "org", "create", "acme", "--name", "Acme", check=True)
        run(env, "system", "create", "enclave", "--org", "acme", "--name", "Enclave",
            "--framework", "cmmc-l2", check=True)
        run(env, "item", "add", "--org", "acme", "--system", "enclave", "--title", "Gap",
            "--detected", "2026-10-01", check=True)
        exported = tmp_path / "poam.json"
        run(env, "export", "oscal-json", "--org", "acme", "--output", exported, check=True)
        csv = tmp_path / "poam.csv"
        run(env, "export", "csv", "--org", "acme", "--output", csv, check=True)
    with fresh_database("sqlite", tmp_path / "other") as other:
        theirs = tmp_path / "other.pem"
        run(other, "history", "public-key", "--output", theirs, check=True)
    data = json.loads(exported.read_text())
    resource = data["plan-of-action-and-milestones"]["back-matter"]["resources"][-1]
    assert resource["title"] == "Audit trail checkpoint"
    checkpoint = json.loads(base64.b64decode(resource["base64"]["value"]))
    checkpoint["chains"][0]["sequence"] += 1
    resource["base64"]["value"] = base64.b64encode(json.dumps(checkpoint).encode()).decode()
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(data))
    offline = dict(env, OPENPOAM_DATA_DIR=str(tmp_path / "assessor"))
    result = run(offline, "history", "verify-export", altered)
    assert result.returncode == 1 and "the signature does not match" in result.stderr
    result = run(offline, "history", "verify-export", exported, "--public-key", theirs)
    assert result.returncode == 1 and "refused: signed by key" in result.stderr
    result = run(offline, "history", "verify-export", csv)
    assert result.returncode == 1 and "carries no audit trail checkpoint" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
