"""Checkpoints of the audit trail: `openpoam history checkpoint | checkpoint-daily |
public-key | verify-export` (and `history verify --checkpoint`, in accounts.py)."""

from __future__ import annotations

from pathlib import Path

import click

from openpoam.cli import base
from openpoam.cli.accounts import history
from openpoam.cli.base import CliError, org_option, with_django


@history.command("checkpoint")
@org_option
@click.option("--all", "all_chains", is_flag=True,
              help="Every organization's chain and the accounts chain (administrators).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The checkpoint file to write (keep it off this machine's database).")
@with_django
def history_checkpoint(org_slug: str | None, all_chains: bool, output: str) -> None:
    """Write a signed checkpoint of the audit trail: the head of each chain (organization,
    record number, hash, time) signed with this installation's Ed25519 key."""
    from openpoam.tracker.services import checkpoints

    org_ = None if all_chains else base.organization(org_slug)
    text = checkpoints.make(base.actor(), org_)
    _write_new(Path(output), text)
    found = checkpoints.load(text, output)
    for mark in found.chains:
        click.echo(f"{mark.chain} ({mark.organization or 'accounts'}): record #{mark.sequence}"
                   f" {mark.hash[:16]}")
    click.echo(f"checkpoint written to {output} (key {found.fingerprint})")


def _write_new(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        raise CliError(f"output folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


@history.command("checkpoint-daily")
@click.option("--folder", type=click.Path(file_okay=False),
              help="Where to write (default: OPENPOAM_CHECKPOINT_DIR).")
@with_django
def history_checkpoint_daily(folder: str | None) -> None:
    """Write a checkpoint of every chain into the checkpoint folder under a new, dated name
    (what the scheduler runs daily). Administrators only."""
    from openpoam.tracker.services import checkpoints

    if not base.actor().is_superuser:
        raise CliError("only an administrator can checkpoint every organization")
    click.echo(f"checkpoint written to {checkpoints.write_checkpoints(folder)}")


@history.command("public-key")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the PEM public key to this file instead of printing it.")
@with_django(database_ready=False)
def history_public_key(output: str | None) -> None:
    """The public half of the key that signs checkpoints, to hand to assessors."""
    from openpoam.tracker.services import checkpoints

    info = checkpoints.public_key_info()
    if output:
        _write_new(Path(output), info["pem"])
        click.echo(f"public key {info['fingerprint']} written to {output}")
        return
    click.echo(info["pem"], nl=False)
    click.echo(f"fingerprint {info['fingerprint']}")


@history.command("verify-export")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False),
              help="The organization's public key (PEM, from `openpoam history public-key`): "
                   "refuse a checkpoint signed by any other.")
def history_verify_export(file: str, public_key: str | None) -> None:
    """Check the checkpoint an export carries (or a checkpoint file) without any database:
    its signature, and with --public-key whose key made it. Exit 1 when it fails."""
    from openpoam.formats import checkpoint as fmt

    try:
        found = fmt.parse(fmt.find_in_file(Path(file)), file)
        if public_key:
            fmt.require_key(found, fmt.read_public_pem(Path(public_key).read_bytes(),
                                                       public_key), file)
    except fmt.CheckpointError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{file}: {exc.strerror}") from None
    click.echo(f"checkpoint of {found.created} ({found.scope}): signature valid, key "
               f"{found.fingerprint}" + ("" if public_key else
                                         " (compare it with the organization's published "
                                         "fingerprint, or pass --public-key)"))
    for mark in found.chains:
        click.echo(f"  {mark.chain} ({mark.organization or 'accounts'}): pins "
                   f"{len(mark.pinned())} records up to #{mark.sequence} {mark.hash}")


def against_checkpoint(file: str, organization) -> list[str]:
    """`history verify --checkpoint`: the problems found, as lines. The file is a
    checkpoint, or an export that carries one."""
    from openpoam.formats import checkpoint as fmt
    from openpoam.tracker.services import checkpoints

    try:
        text = fmt.find_in_file(Path(file))
    except fmt.CheckpointError as exc:
        raise CliError(str(exc)) from None
    found = checkpoints.load(text, file)
    _checked, findings = checkpoints.verify(base.actor(), found, organization)
    return [finding.describe() for finding in findings]


def audit_warnings() -> list[str]:
    """check-deploy: whether the signing key is private, and on PostgreSQL whether the app's
    role could rewrite the audit trail (not asked when the database cannot be reached)."""
    from django.db import DatabaseError

    from openpoam.tracker.services import checkpoints, db_roles

    warnings = [checkpoints.key_warning()]
    try:
        warnings.append(db_roles.owner_warning())
    except DatabaseError:
        pass
    return [warning for warning in warnings if warning]
