"""Evidence upload when the store's disk is full: refused with a clear message, nothing
half-written (no file, no temporary file, no row, no history record).

A real full disk: a 2 MB tmpfs mounted as the evidence folder (needs root; skipped with one
line otherwise). The free-space floor (OPENPOAM_EVIDENCE_MIN_FREE_MB) is tried on the same
mount, then a small file still goes in.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.cli.process import Server, environment, run


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "evidence"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()[:80]})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _upload(url: str, token: str, poam_id: str, name: str, body: bytes) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode() \
        + body + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{url}/api/v1/orgs/redstone/items/{poam_id}/evidence", data=data, method="POST",
        headers={"Authorization": f"Bearer {token}",
                 "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _evidence_count(env, poam_id: str) -> tuple[int, int]:
    shown = json.loads(run(["item", "show", poam_id, "--json"], env).stdout)
    history = run(["history", "show", poam_id], env).stdout.count("evidence")
    return len(shown["evidence"]), history


def test_full_disk_and_free_space_floor_refuse_uploads_cleanly(tmp_path, small_disk):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the store is what fills here; run on SQLite")
    data = tmp_path / "data"
    data.mkdir()
    env = environment(data, OPENPOAM_EVIDENCE_DIR=str(small_disk),
                      OPENPOAM_EVIDENCE_MIN_FREE_MB="0")
    for args in (["demo"], ["user", "add", "ed"],
                 ["member", "add", "ed", "--org", "redstone", "--role", "editor"]):
        assert run(args, env).returncode == 0
    token = run(["token", "create", "--user", "ed", "--org", "redstone", "--name", "t"],
                env).stdout.strip().splitlines()[-1]
    poam_id = "POAM-2026-0001"
    before_files, before_count = _files(small_disk), _evidence_count(env, poam_id)

    # A real ENOSPC: 3 MB into a 2 MB disk, through the API of a running server.
    server = Server(["serve"], env)
    try:
        status, body = _upload(server.url, token, poam_id, "big.bin", os.urandom(3 * 2**20))
        assert status == 507, body
        assert "evidence store is full" in body["detail"] and "nothing was saved" in \
            body["detail"]
        assert _files(small_disk) == before_files, "no file and no temporary file left"
        assert _evidence_count(env, poam_id) == before_count, "no row, no history record"
        status, body = _upload(server.url, token, poam_id, "small.txt", b"fits\n")
        assert status == 201, body  # the store still works
    finally:
        server.stop()

    # The floor: 1 MB kept free on a disk with about 2 MB free refuses a 1.5 MB file.
    big = tmp_path / "scan-report.pdf"
    big.write_bytes(os.urandom(3 * 2**19))
    floor_env = dict(env, OPENPOAM_EVIDENCE_MIN_FREE_MB="1")
    files = _files(small_disk)
    done = run(["evidence", "add", poam_id, str(big)], floor_env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.startswith("openpoam: evidence 'scan-report.pdf' refused: the evidence "
                                  "store is full"), done.stderr
    assert "1 MB kept free" in done.stderr and done.stderr.count("\n") == 1
    assert _files(small_disk) == files
    small = tmp_path / "note.txt"
    small.write_text("still accepted\n")
    assert run(["evidence", "add", poam_id, str(small)], floor_env).returncode == 0


def test_a_real_enospc_while_writing_leaves_nothing(small_disk, settings, monkeypatch):
    """The free-space check passes (as when another writer fills the disk meanwhile) and the
    write itself fails with ENOSPC: the same refusal, and no temporary file stays."""
    import io

    from openpoam.tracker.services import evidence

    settings.EVIDENCE_DIR = small_disk
    monkeypatch.setattr(evidence, "_room", lambda *args: 1 << 40)
    with pytest.raises(evidence.StoreFull, match="evidence store is full"):
        evidence.store(io.BytesIO(os.urandom(3 * 2**20)), "big.bin")
    assert _files(small_disk) == []
