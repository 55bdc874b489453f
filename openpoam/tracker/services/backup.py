"""Backup and restore: one consistent archive of the database and the file store.

An archive is an ordinary tar file (gzip, level 1: scans compress well, and evidence that is
already compressed costs little time):

    database.sqlite3 | database.pgdump   the database, taken as one snapshot
    evidence/ab/ab12...                  every stored file a row of that snapshot points at
                                         (evidence and imported scans, content-addressed)
    manifest.json                        written last: versions, row counts, the audit
                                         chains' heads and every member's SHA-256

Consistency while the app keeps writing: on SQLite the online backup API copies the whole
database in one step (WAL readers never block writers); on PostgreSQL one REPEATABLE READ
transaction exports its snapshot, `pg_dump --snapshot` dumps exactly that snapshot, and the
counts, heads and file list are read in the same transaction. Stored files are written
before their row and never changed (their name is their hash), so every file a snapshot
names exists whole; files added after the snapshot are simply not in the archive.

Secrets are not in the archive: the SECRET_KEY file and the checkpoint signing key stay
with the administrator (the manifest names the key's fingerprint).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import django
from django.conf import settings
from django.db import connection, transaction

from openpoam import __version__
from openpoam.tracker.services import audit, checkpoints
from openpoam.tracker.services.actors import ServiceError

FORMAT = "openpoam-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
EVIDENCE_PREFIX = "evidence/"
CHUNK = 1024 * 1024
# Tables whose storage_name column points into the file store.
FILE_TABLES = ("tracker_evidence", "tracker_importrecord")
_STORAGE_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$")


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict
    files: int
    records_checked: int


# ---- backup ---------------------------------------------------------------------------------

def create(target: Path) -> BackupResult:
    """Write a new archive at ``target``; refuse to overwrite anything."""
    target = Path(target).expanduser()
    if target.exists() or target.is_symlink():
        raise ServiceError(f"{target} already exists: a backup never overwrites a file; "
                           "choose a new name")
    if not target.parent.is_dir():
        raise ServiceError(f"folder {target.parent} does not exist")
    work = Path(tempfile.mkdtemp(prefix=".openpoam-backup-", dir=target.parent))
    try:
        snapshot = _snapshot(work)
        draft = work / "archive.tar.gz"
        manifest, warnings = _write_archive(draft, snapshot)
        try:
            os.link(draft, target)  # fails if the name appeared meanwhile: never overwrites
        except FileExistsError:
            raise ServiceError(f"{target} already exists: a backup never overwrites a file; "
                               "choose a new name") from None
        os.chmod(target, 0o600)  # the database holds password hashes and tokens
        return BackupResult(target, target.stat().st_size, manifest, warnings)
    except OSError as exc:
        # Nothing is left behind: the draft lives in the work folder removed below.
        raise ServiceError(f"cannot write the backup in {target.parent}: "
                           f"{exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class _Snapshot:
    engine: str
    dump: Path
    member: str
    counts: dict[str, int]
    heads: dict[str, dict]
    files: list[str]
    server_version: str
    migrations: dict[str, str]


def _snapshot(work: Path) -> _Snapshot:
    if connection.vendor == "sqlite":
        return _sqlite_snapshot(work)
    if connection.vendor == "postgresql":
        return _postgresql_snapshot(work)
    raise ServiceError(f"backup does not support the {connection.vendor} database")


def _sqlite_snapshot(work: Path) -> _Snapshot:
    source_path = Path(settings.DATABASES["default"]["NAME"])
    if not source_path.is_file():
        raise ServiceError(f"no database at {source_path}: nothing to back up")
    dump = work / SQLITE_MEMBER
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=60)
    copy = sqlite3.connect(dump)
    try:
        source.backup(copy)  # pages=-1: the whole database in one step, one consistent read
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        facts = _facts(copy.cursor(), _sqlite_tables(copy))
        version = "SQLite " + sqlite3.sqlite_version
    finally:
        copy.close()
        source.close()
    return _Snapshot("sqlite", dump, SQLITE_MEMBER, *facts, server_version=version,
                     migrations=_sqlite_migrations(dump))


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                      "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [name for (name,) in rows]


def _postgresql_snapshot(work: Path) -> _Snapshot:
    dump = work / PG_MEMBER
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot_id, server = cursor.fetchone()
            # pg_dump reads the same snapshot while this transaction stays open.
            _pg_dump(snapshot_id, dump)
            tables = connection.introspection.table_names(cursor)
            facts = _facts(cursor, tables)
            migrations = _migrations_from(cursor)
    return _Snapshot("postgresql", dump, PG_MEMBER, *facts, server_version="PostgreSQL " + server,
                     migrations=migrations)


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                      ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if db.get(key):
            env[name] = str(db[key])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ServiceError(f"`{name}` is not installed (Debian: apt install postgresql-client)")
    return found


def _pg_dump(snapshot_id: str, dump: Path) -> None:
    done = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--snapshot={snapshot_id}", f"--file={dump}"],
        env=_pg_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise ServiceError(f"pg_dump failed: {_first_line(done.stderr)}")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def _facts(cursor, tables: list[str]) -> tuple[dict, dict, list]:
    """Row counts of every table, the audit chains' heads, the stored files named."""
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # names from the catalog itself
        counts[table] = cursor.fetchone()[0]
    heads = {}
    if "tracker_chainhead" in tables:
        cursor.execute("SELECT key, sequence, hash FROM tracker_chainhead ORDER BY key")
        heads = {key: {"sequence": sequence, "hash": hash_} for key, sequence, hash_ in cursor}
    files: set[str] = set()
    for table in FILE_TABLES:
        if table in tables:
            cursor.execute(f"SELECT DISTINCT storage_name FROM {table} WHERE storage_name <> ''")
            files.update(name for (name,) in cursor)
    return counts, heads, sorted(files)


def _migrations_from(cursor) -> dict[str, str]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        latest[app] = max(latest.get(app, ""), name)
    return latest


def _sqlite_migrations(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return _migrations_from(db.cursor())
    finally:
        db.close()


class _Hashing(io.RawIOBase):
    """A file read through SHA-256 on its way into the archive."""

    def __init__(self, stream) -> None:
        self.stream, self.sha = stream, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.sha.update(data)
        return data


def _write_archive(draft: Path, snapshot: _Snapshot) -> tuple[dict, list[str]]:
    """Database, then stored files, then the manifest (which needs their hashes) last."""
    members: dict[str, dict] = {}
    warnings: list[str] = []
    root = Path(settings.EVIDENCE_DIR)
    with tarfile.open(draft, "w:gz", compresslevel=1) as tar:
        members[snapshot.member] = _add(tar, snapshot.member, snapshot.dump)
        for name in snapshot.files:
            if not _STORAGE_NAME.match(name):
                warnings.append(f"stored file name {name!r} is not a SHA-256: skipped")
                continue
            path = root / name
            if not path.is_file():
                warnings.append(f"stored file {name} is missing from {root}")
                continue
            entry = _add(tar, EVIDENCE_PREFIX + name, path)
            if entry["sha256"] != name[3:]:
                warnings.append(f"stored file {name} does not match its SHA-256 (damaged "
                                "before this backup); archived as it is")
            members[EVIDENCE_PREFIX + name] = entry
        manifest = _manifest(snapshot, members)
        _add_manifest(tar, manifest)
    return manifest, warnings


def _add(tar: tarfile.TarFile, arcname: str, path: Path) -> dict:
    with open(path, "rb") as stream:
        info = tar.gettarinfo(arcname=arcname, fileobj=stream)
        info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
        reader = _Hashing(stream)
        tar.addfile(info, reader)
    return {"sha256": reader.sha.hexdigest(), "size": info.size}


def _add_manifest(tar: tarfile.TarFile, manifest: dict) -> None:
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mode = len(data), 0o600
    info.mtime = int(datetime.now(timezone.utc).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _manifest(snapshot: _Snapshot, members: dict[str, dict]) -> dict:
    return {
        "format": FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {"openpoam": __version__, "django": django.get_version(),
                     "python": platform.python_version(), "database": snapshot.server_version,
                     "migrations": snapshot.migrations},
        "database": {"engine": snapshot.engine, "member": snapshot.member},
        "row_counts": snapshot.counts,
        "chain_heads": snapshot.heads,
        "signing_key": _signing_fingerprint(),
        "files": members,
    }


def _signing_fingerprint() -> str:
    try:
        if Path(settings.SIGNING_KEY_FILE).is_file():
            return checkpoints.public_key_info()["fingerprint"]
    except Exception:  # noqa: BLE001 - a fact for the reader, never a reason to fail
        pass
    return ""


# ---- restore --------------------------------------------------------------------------------

def restore(archive: Path) -> RestoreResult:
    """Restore ``archive`` into an empty database and an empty file store."""
    archive = Path(archive).expanduser()
    if not archive.is_file():
        raise ServiceError(f"{archive}: no such file")
    _refuse_unless_empty()
    root = Path(settings.EVIDENCE_DIR)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".openpoam-restore-", dir=root.parent))
    try:
        manifest = _unpack(archive, staging)
        engine = manifest["database"]["engine"]
        if engine != connection.vendor:
            raise ServiceError(f"{archive.name} holds a {engine} database; this installation "
                               f"uses {connection.vendor} (restore it on the same engine)")
        _load_database(staging / manifest["database"]["member"], engine)
        _move_files(staging / "evidence", root)
        checked = _check_restored(manifest)
        files = sum(1 for name in manifest["files"] if name.startswith(EVIDENCE_PREFIX))
        return RestoreResult(manifest, files, checked)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_unless_empty() -> None:
    root = Path(settings.EVIDENCE_DIR)
    if root.is_dir() and any(path.is_file() for path in root.rglob("*")):
        raise ServiceError(f"the evidence folder {root} is not empty: restore only into an "
                           "empty data folder")
    if connection.vendor == "sqlite":
        path = Path(settings.DATABASES["default"]["NAME"])
        if path.exists() and _sqlite_has_tables(path):
            raise ServiceError(f"the database {path} already holds data: restore only into an "
                               "empty data folder")
        return
    tables = connection.introspection.table_names()
    if tables:
        raise ServiceError(f"the database {settings.DATABASES['default'].get('NAME')} already "
                           f"holds {len(tables)} tables: restore only into an empty database")


def _sqlite_has_tables(path: Path) -> bool:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return bool(_sqlite_tables(db))
    finally:
        db.close()


def _unpack(archive: Path, staging: Path) -> dict:
    """Extract every member, hashing it; then check all of them against the manifest."""
    seen: dict[str, dict] = {}
    manifest = None
    try:
        with tarfile.open(archive, "r:*") as tar:
            for info in tar:
                name = info.name
                if name == MANIFEST and info.isfile():
                    manifest = json.loads(tar.extractfile(info).read())
                    continue
                if not info.isfile() or not _allowed_member(name):
                    raise ServiceError(f"{archive.name}: unexpected member {name!r}: "
                                       "not an OpenPOAM backup")
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                sha = hashlib.sha256()
                with tar.extractfile(info) as stream, open(target, "wb") as out:
                    while chunk := stream.read(CHUNK):
                        sha.update(chunk)
                        out.write(chunk)
                seen[name] = {"sha256": sha.hexdigest(), "size": info.size}
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error, json.JSONDecodeError,
            UnicodeDecodeError) as exc:
        detail = "not a tar archive" if isinstance(exc, tarfile.ReadError) else str(exc)
        raise ServiceError(f"{archive.name} is not a readable OpenPOAM backup ({detail})") \
            from None
    if manifest is None or manifest.get("format") != FORMAT:
        raise ServiceError(f"{archive.name} has no OpenPOAM manifest: not a backup, or cut short")
    expected = manifest.get("files", {})
    for name, entry in expected.items():
        if name not in seen:
            raise ServiceError(f"{archive.name}: {name} is listed in the manifest but missing")
        if seen[name]["sha256"] != entry["sha256"]:
            raise ServiceError(f"{archive.name}: {name} does not match its SHA-256 in the "
                               "manifest (the archive is damaged)")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise ServiceError(f"{archive.name}: {extra[0]} is not in the manifest")
    return manifest


def _allowed_member(name: str) -> bool:
    if name in (SQLITE_MEMBER, PG_MEMBER):
        return True
    return name.startswith(EVIDENCE_PREFIX) and bool(
        _STORAGE_NAME.match(name[len(EVIDENCE_PREFIX):]))


def _load_database(dump: Path, engine: str) -> None:
    if engine == "sqlite":
        target = Path(settings.DATABASES["default"]["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)  # empty: checked above
        source, copy = sqlite3.connect(dump), sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")
        finally:
            copy.close()
            source.close()
        os.chmod(target, 0o600)
        return
    connection.close()
    done = subprocess.run(
        [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", f"--dbname={_pg_env()['PGDATABASE']}", str(dump)],
        env=_pg_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise ServiceError(f"pg_restore failed: {_first_line(done.stderr)}")


def _move_files(source: Path, root: Path) -> None:
    if not source.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        return
    if root.is_dir():
        root.rmdir() if not any(root.iterdir()) else _merge(source, root)
    if not root.exists():
        os.replace(source, root)


def _merge(source: Path, root: Path) -> None:
    """The store holds only empty folders (checked): move each file into place."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    shutil.rmtree(source, ignore_errors=True)


def _check_restored(manifest: dict) -> int:
    """Counts and chain heads as in the manifest; every chain intact; every file whole."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts, heads, files = _facts(cursor, tables)
    for table, count in manifest["row_counts"].items():
        if counts.get(table) != count:
            raise ServiceError(f"restored table {table} has {counts.get(table)} rows; the "
                               f"backup had {count}")
    if heads != manifest["chain_heads"]:
        raise ServiceError("restored audit chain heads differ from the backup's manifest")
    root = Path(settings.EVIDENCE_DIR)
    for name in files:
        entry = manifest["files"].get(EVIDENCE_PREFIX + name)
        if entry is None:
            continue  # was missing when backed up (reported then)
        if sha256_of(root / name) != entry["sha256"]:
            raise ServiceError(f"restored file {name} does not match its SHA-256")
    checked, breaks = audit.verify()
    if breaks:
        raise ServiceError("restored audit trail is broken: " + breaks[0].describe())
    return checked


def sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()
