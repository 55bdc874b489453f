"""`openpoam backup FILE` and `openpoam restore FILE` (openpoam/tracker/services/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click

from openpoam.cli import base
from openpoam.cli.base import CliError, cli, with_django


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_django(database_ready=False)  # a database waiting for an upgrade is backed up first
def backup(file: str) -> None:
    """Write one consistent archive (database, evidence and imported files, and a manifest
    of SHA-256 hashes, row counts and the audit chains' heads) while the app keeps running.
    Never overwrites FILE. Secrets (SECRET_KEY, the signing key) are not included."""
    from openpoam.tracker.services import backup as service

    _require_administrator()
    result = service.create(Path(file))
    for warning in result.warnings:
        click.echo(f"openpoam: warning: {warning}", err=True)
    manifest = result.manifest
    files = sum(1 for name in manifest["files"] if name.startswith(service.EVIDENCE_PREFIX))
    heads = manifest["chain_heads"]
    click.echo(f"backup written to {result.path}: {_size(result.size)} ({result.size:,} bytes); "
               f"{manifest['database']['engine']} database, {files} stored files, "
               f"{len(heads)} audit chains")


@cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@with_django(database_ready=False)
def restore(file: str) -> None:
    """Restore an archive made by `openpoam backup` into an empty data folder (SQLite) or an
    empty database (PostgreSQL); check every hash, row count and audit chain."""
    from openpoam.tracker.services import backup as service

    result = service.restore(Path(file))
    manifest = result.manifest
    click.echo(f"restored {Path(file).name} (made {manifest['created']}): "
               f"{result.files} stored files, every SHA-256 matches; row counts and "
               f"{len(manifest['chain_heads'])} chain heads as backed up; audit trail intact "
               f"({result.records_checked} records checked)")


def _require_administrator() -> None:
    try:
        actor = base.actor()
    except CliError:
        raise
    if not actor.is_superuser:
        raise CliError("only an administrator can back up the whole installation")


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
