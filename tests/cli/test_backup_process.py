"""`openpoam backup` / `openpoam restore` as processes, on the suite's database engine
(SQLite, or PostgreSQL when DATABASE_URL is set), while `openpoam serve` answers and writes.

The archive must be one snapshot even though the API uploads evidence and edits items during
the backup: after a restore into a fresh data folder (and a fresh database) the row counts,
the audit chains' heads and every stored file's SHA-256 equal the manifest's, and
`openpoam history verify` passes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import threading
from pathlib import Path

import pytest
import requests

from tests.cli.process import Server, new_env, run  # noqa: F401

ORG = "acme"


def _ok(env, *args):
    done = run(list(args), env)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def _site(env):
    _ok(env, "setup")
    _ok(env, "demo")
    slug = json.loads(_ok(env, "org", "list", "--json").stdout)[0]["slug"]
    _ok(env, "user", "add", "writer")
    _ok(env, "member", "add", "writer", "--org", slug, "--role", "editor")
    token = _ok(env, "token", "create", "--user", "writer", "--org", slug,
                "--name", "backup test").stdout.strip().splitlines()[-1]
    return slug, token


class Writer(threading.Thread):
    """Uploads evidence and edits an item through the API until stopped."""

    def __init__(self, url: str, slug: str, token: str, poam_id: str) -> None:
        super().__init__(daemon=True)
        self.url, self.slug, self.poam_id = url, slug, poam_id
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.done = threading.Event()
        self.uploads = self.edits = 0
        self.errors: list[str] = []

    def run(self) -> None:
        item = f"{self.url}/api/v1/orgs/{self.slug}/items/{self.poam_id}"
        n = 0
        while not self.done.is_set():
            n += 1
            body = os.urandom(2048) + f"upload {n}".encode()
            answer = self.session.post(f"{item}/evidence", files={"file": (f"e{n}.bin", body)},
                                       timeout=60)
            self._count(answer, 201, "uploads")
            version = self.session.get(item, timeout=60).json()["version"]
            answer = self.session.patch(item, json={"version": version,
                                                    "comments": f"edit {n}"}, timeout=60)
            self._count(answer, 200, "edits")

    def _count(self, answer, expected: int, counter: str) -> None:
        if answer.status_code == expected:
            setattr(self, counter, getattr(self, counter) + 1)
        else:
            self.errors.append(f"{answer.status_code} {answer.text[:200]}")


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def _query(env, sql: str) -> list[tuple]:
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as db:
            return db.execute(sql).fetchall()
    import sqlite3

    db = sqlite3.connect(Path(env["OPENPOAM_DATA_DIR"]) / "openpoam.sqlite3")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _restored_heads(env) -> dict:
    rows = _query(env, "SELECT key, sequence, hash FROM tracker_chainhead")
    return {key: {"sequence": seq, "hash": value} for key, seq, value in rows}


def _store_hashes(env) -> dict[str, str]:
    root = Path(env["OPENPOAM_DATA_DIR"]) / "evidence"
    return {f"evidence/{p.relative_to(root)}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_backup_while_serving_and_writing_then_restore_into_a_fresh_folder(new_env, tmp_path):
    env = new_env()
    slug, token = _site(env)
    poam_id = json.loads(_ok(env, "item", "list", "--org", slug, "--json").stdout)["items"][0][
        "poam_id"]
    server = Server(["serve"], env)
    writer = Writer(server.url, slug, token, poam_id)
    try:
        writer.start()
        while writer.uploads < 3:  # writing is under way before the backup starts
            writer.join(0.2)
            assert not writer.errors, writer.errors
        archive = tmp_path / "site.tar.gz"
        done = _ok(env, "backup", str(archive))
        after_backup = writer.uploads
        while writer.uploads < after_backup + 2:  # and goes on after it
            writer.join(0.2)
            assert not writer.errors, writer.errors
    finally:
        writer.done.set()
        writer.join(60)
        server.stop()
    assert not writer.errors, writer.errors
    assert re.search(r"backup written to .*site\.tar\.gz: [\d.]+ (KB|MB) \([\d,]+ bytes\)",
                     done.stdout), done.stdout
    assert f"({archive.stat().st_size:,} bytes)" in done.stdout
    manifest = _manifest(archive)
    evidence_rows = manifest["row_counts"]["tracker_evidence"]
    final_rows = _query(env, "SELECT COUNT(*) FROM tracker_evidence")[0][0]
    # Taken mid-stream: some of the writer's uploads are in it, later ones are not.
    assert final_rows - writer.uploads + 3 <= evidence_rows <= final_rows - 2
    assert manifest["chain_heads"], "the audit chains' heads are in the manifest"

    fresh = new_env()
    restored = _ok(fresh, "restore", str(archive))
    assert "every SHA-256 matches" in restored.stdout and "audit trail intact" in restored.stdout
    verify = _ok(fresh, "history", "verify")
    assert "audit trail intact" in verify.stdout
    assert _restored_heads(fresh) == manifest["chain_heads"]
    hashes = _store_hashes(fresh)
    listed = {name: entry["sha256"] for name, entry in manifest["files"].items()
              if name.startswith("evidence/")}
    assert hashes == listed, "exactly the files the snapshot names, whole"
    assert all(name.endswith(sha) for name, sha in hashes.items())
    listed_items = json.loads(_ok(fresh, "item", "list", "--org", slug, "--json").stdout)
    assert listed_items, "the restored installation answers"


def test_backup_refuses_to_overwrite_and_restore_refuses_a_used_folder(new_env, tmp_path):
    env = new_env()
    _ok(env, "demo")
    archive = tmp_path / "one.tar.gz"
    _ok(env, "backup", str(archive))
    before = archive.read_bytes()

    again = run(["backup", str(archive)], env)
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0 and "already exists" in again.stderr
    assert archive.read_bytes() == before

    into_itself = run(["restore", str(archive)], env)
    assert into_itself.returncode == 1 and "Traceback" not in into_itself.stderr
    assert into_itself.stderr.strip().count("\n") == 0
    assert re.search(r"not empty|already holds", into_itself.stderr), into_itself.stderr


def test_restore_refuses_a_damaged_or_foreign_archive_and_writes_nothing(new_env, tmp_path):
    env = new_env()
    _ok(env, "demo")
    archive = tmp_path / "good.tar.gz"
    _ok(env, "backup", str(archive))
    # The same archive with one stored file altered (its manifest entry left as it was).
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(tampered, "w:gz") as out:
        changed = False
        for info in source:
            data = source.extractfile(info).read()
            if info.name.startswith("evidence/") and not changed:
                data, changed = data + b" altered", True
                info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    assert changed
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(gzip.compress(b"not a tar archive at all" * 100))

    for bad, says in ((tampered, "does not match its SHA-256"), (cut, "not a readable"),
                      (foreign, "not a readable"), (tmp_path / "absent.tar.gz", "no such file")):
        fresh = new_env()
        done = run(["restore", str(bad)], fresh)
        assert done.returncode == 1, (bad, done.stdout, done.stderr)
        assert says in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
        assert not (Path(fresh["OPENPOAM_DATA_DIR"]) / "evidence").exists() or not any(
            p.is_file() for p in (Path(fresh["OPENPOAM_DATA_DIR"]) / "evidence").rglob("*"))
        assert run(["history", "verify"], fresh).stdout.startswith("audit trail intact: 0")
