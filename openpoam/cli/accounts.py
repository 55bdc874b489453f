"""Users, members and the audit trail's check: `openpoam user|member|history verify`."""

from __future__ import annotations

import re

import click

from openpoam.cli import base
from openpoam.cli.base import CliError, cli, json_option, org_option, output_rows, with_django
from openpoam.cli import items  # noqa: F401  (defines `history`, which becomes a group here)

ROLES = click.Choice(["owner", "editor", "assessor", "viewer"])


# ---- users ----------------------------------------------------------------------------------

@cli.group()
def user() -> None:
    """Accounts that sign in to the web app."""


@user.command("add")
@click.argument("username")
@click.option("--email", default="")
@click.option("--admin", "is_admin", is_flag=True, help="A superuser (the admin site).")
@click.option("--sso", "sso_only", is_flag=True,
              help="Signs in with the provider only: no password. Matched at first sign-in "
                   "by --oidc-subject, or by --email when the provider has verified it.")
@click.option("--oidc-subject", default="", help="The provider's `sub` for this person.")
@click.option("--card", default="", help="The CAC/PIV value the proxy sends (subject DN or "
                                         "EDIPI) for this person.")
@with_django
def user_add(username: str, email: str, is_admin: bool, sso_only: bool, oidc_subject: str,
             card: str) -> None:
    """Create an account and print a password for its first sign-in, once (none with
    --sso)."""
    from django.db import transaction

    from openpoam.accounts.services import sso, users

    sso_only = sso_only or bool(oidc_subject or card)
    if sso_only and not (email or oidc_subject or card):
        raise CliError("--sso needs --email or --oidc-subject (or --card) to match the person")
    with transaction.atomic():
        user_, password = users.create_user(base.actor(), username, email=email,
                                            superuser=is_admin)
        if sso_only:
            user_.set_unusable_password()
            user_.save(update_fields=["password"])
        if oidc_subject:
            sso.link_subject(base.actor(), user_, oidc_subject)
        if card:
            sso.link_card(base.actor(), user_, card)
    if sso_only:
        click.echo(f"user {username} added; signs in with "
                   + ("a smart card" if card and not (email or oidc_subject) else "the provider"))
    else:
        click.secho(f"user {username}  password: {password}  (shown once)", fg="yellow")


@user.command("list")
@json_option
@with_django
def user_list(as_json: bool) -> None:
    """The accounts, with their memberships, lockouts and second factor."""
    from openpoam.accounts.services import users

    rows = users.user_rows(base.actor())
    output_rows(rows, as_json, ["username", "email", "active", "admin", "mfa", "organizations"])


@user.command("remove")
@click.argument("username")
@with_django
def user_remove(username: str) -> None:
    """Deactivate an account and end its memberships (its history is kept)."""
    from openpoam.accounts.services import users

    users.deactivate_user(base.actor(), users.user_named(username))
    click.echo(f"user {username} deactivated")


@user.command("unlock")
@click.argument("username")
@with_django
def user_unlock(username: str) -> None:
    """Lift a sign-in lockout."""
    from openpoam.accounts.services import users

    users.unlock(base.actor(), users.user_named(username))
    click.echo(f"user {username} unlocked")


@user.command("mfa-reset")
@click.argument("username")
@with_django
def user_mfa_reset(username: str) -> None:
    """Remove a user's authenticator and recovery codes (a lost phone)."""
    from openpoam.accounts.services import mfa

    mfa.remove_devices(base.actor(), users_named(username))
    click.echo(f"{username} has no second factor now; they enrol a new one at sign-in")


def users_named(username: str):
    from openpoam.accounts.services import users

    return users.user_named(username)


# ---- members --------------------------------------------------------------------------------

@cli.group()
def member() -> None:
    """Who belongs to an organization, and in which role."""


@member.command("add")
@click.argument("username")
@org_option
@click.option("--role", type=ROLES, default="viewer", show_default=True)
@with_django
def member_add(username: str, org_slug: str | None, role: str) -> None:
    """Give an existing account a role in an organization."""
    from openpoam.tracker.services import setup

    org_ = base.organization(org_slug)
    setup.add_member(base.actor(), org_, users_named(username), role)
    click.echo(f"{username} is {role} of {org_.slug}")


@member.command("role")
@click.argument("username")
@click.argument("role", type=ROLES)
@org_option
@with_django
def member_role(username: str, role: str, org_slug: str | None) -> None:
    """Change a member's role (owner, editor, assessor, viewer)."""
    from openpoam.accounts.services import members

    org_ = base.organization(org_slug)
    members.change_role(base.actor(), org_, users_named(username), role)
    click.echo(f"{username} is {role} of {org_.slug}")


@member.command("remove")
@click.argument("username")
@org_option
@with_django
def member_remove(username: str, org_slug: str | None) -> None:
    """End an account's membership of an organization (its history is kept)."""
    from openpoam.accounts.services import members

    org_ = base.organization(org_slug)
    members.remove_member(base.actor(), org_, users_named(username))
    click.echo(f"{username} removed from {org_.slug}")


@member.command("list")
@org_option
@json_option
@with_django
def member_list(org_slug: str | None, as_json: bool) -> None:
    """The members of an organization and their roles."""
    from openpoam.accounts.services import members

    rows = [members.member_dict(row)
            for row in members.member_rows(base.actor(), base.organization(org_slug))]
    output_rows(rows, as_json, ["username", "email", "role", "mfa"])


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
        from openpoam.cli.audit import against_checkpoint

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

    from openpoam import deploy_checks  # noqa: F401  (registers openpoam.W001-W003)
    from openpoam.cli.audit import audit_warnings

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
