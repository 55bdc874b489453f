"""The audit trail on the command line: the `history` group (`history POAM-ID`, `history
verify [--checkpoint]`, `history checkpoint | checkpoint-daily | public-key | verify-export`)
and `check-deploy`, which also warns when the trail could be rewritten."""

from __future__ import annotations

from pathlib import Path

import re

import click

from openpoam.cli import base
from openpoam.cli import items  # noqa: F401  (defines `history`, which becomes a group here)
from openpoam.cli.base import CliError, cli, org_option, with_django


# ---- history: `history POAM-ID` stays; `history verify` checks the chains -------------------

class HistoryGroup(click.Group):
    """A group whose first word may also be a POA&M ID: `history POAM-2026-0001` runs
    `history show POAM-2026-0001`, as it always did."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


_show = cli.commands.pop("history")
history = HistoryGroup("history", help="An item's change history (`history POAM-ID`), and "
                       "the check of the tamper-evident audit trail (`history verify`).")
history.add_command(_show, "show")
cli.add_command(history)


@history.command("verify")
@org_option
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False),
              help="Also prove that every record this signed checkpoint (a checkpoint file, "
                   "or an export that carries one) pins is still there, unchanged.")
@with_django
def history_verify(org_slug: str | None, checkpoint_file: str | None) -> None:
    """Walk the hash chain of the audit trail; name the first edited, deleted or reordered
    record and exit non-zero. With --checkpoint, also name the first record that differs
    from the checkpoint, is missing, or the chain that went back since."""
    from openpoam.tracker.services import audit

    from openpoam.tracker.services.actors import require

    org_ = base.organization(org_slug) if org_slug else None
    if org_ is None and not base.actor().is_superuser:
        raise CliError("name the organization with --org")
    if org_ is not None:
        require(base.actor(), org_, "audit.view")
    problems = []
    if checkpoint_file:
        problems = against_checkpoint(checkpoint_file, org_)
    checked, breaks = audit.verify(org_)
    problems += [found.describe() for found in breaks]
    for problem in problems:
        click.echo(f"openpoam: {problem}", err=True)
    if problems:
        raise base.Failed()
    click.echo(f"audit trail intact: {checked} records checked"
               + (" and it matches the checkpoint" if checkpoint_file else ""))


@cli.command("check-deploy")
@with_django(database_ready=False)  # settings, and on PostgreSQL who the app connects as
def check_deploy() -> None:
    """Django's deployment checks (`check --deploy`): run with OPENPOAM_HTTPS=1 in production.
    On PostgreSQL, also warns when the app's role owns the audit trail's tables."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from openpoam import deploy_checks  # noqa: F401  (registers openpoam.W001-W003; reads
                                        # the settings, so only once Django is set up)

    warnings = audit_warnings()
    for warning in warnings:
        click.echo(f"openpoam: warning: {warning}", err=True)
    try:
        call_command("check", deploy=True, fail_level="WARNING")
    except SystemCheckError as exc:
        for line in str(exc).splitlines():  # the provider's problem, said in full
            if "(openpoam_sso." in line:
                click.echo(f"openpoam: {line.strip()}", err=True)
        ids = ", ".join(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", str(exc)))
        raise CliError(f"deployment checks failed: {ids} (behind HTTPS, set OPENPOAM_HTTPS=1; "
                       "Django's check framework documents each ID; openpoam.W* are "
                       "in the README's Settings)") from None
    if warnings:
        raise base.Failed()


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
