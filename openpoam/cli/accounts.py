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
@with_django
def user_add(username: str, email: str, is_admin: bool) -> None:
    """Create an account and print a password for its first sign-in, once."""
    from openpoam.accounts.services import users

    _created, password = users.create_user(base.actor(), username, email=email,
                                           superuser=is_admin)
    click.secho(f"user {username}  password: {password}  (shown once)", fg="yellow")


@user.command("list")
@json_option
@with_django
def user_list(as_json: bool) -> None:
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
    from openpoam.accounts.services import members

    org_ = base.organization(org_slug)
    members.change_role(base.actor(), org_, users_named(username), role)
    click.echo(f"{username} is {role} of {org_.slug}")


@member.command("remove")
@click.argument("username")
@org_option
@with_django
def member_remove(username: str, org_slug: str | None) -> None:
    from openpoam.accounts.services import members

    org_ = base.organization(org_slug)
    members.remove_member(base.actor(), org_, users_named(username))
    click.echo(f"{username} removed from {org_.slug}")


@member.command("list")
@org_option
@json_option
@with_django
def member_list(org_slug: str | None, as_json: bool) -> None:
    from openpoam.accounts.services import members

    columns = ["username", "email", "role", "mfa"]
    rows = [{c: row[c] for c in columns}  # not the account object the web page uses
            for row in members.member_rows(base.actor(), base.organization(org_slug))]
    output_rows(rows, as_json, columns)


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
@with_django
def history_verify(org_slug: str | None) -> None:
    """Walk the hash chain of the audit trail; name the first edited, deleted or reordered
    record and exit non-zero."""
    from openpoam.tracker.services import audit

    from openpoam.tracker.services.actors import require

    org_ = base.organization(org_slug) if org_slug else None
    if org_ is None and not base.actor().is_superuser:
        raise CliError("name the organization with --org")
    if org_ is not None:
        require(base.actor(), org_, "audit.view")
    checked, breaks = audit.verify(org_)
    for found in breaks:
        click.echo(f"openpoam: {found.describe()}", err=True)
    if breaks:
        raise click.exceptions.Exit(1)
    click.echo(f"audit trail intact: {checked} records checked")


@cli.command("check-deploy")
@with_django(database_ready=False)  # settings only: no database is read or set up
def check_deploy() -> None:
    """Django's deployment checks (`check --deploy`): run with OPENPOAM_HTTPS=1 in production."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from openpoam import deploy_checks  # noqa: F401  (registers openpoam.W001-W003)

    try:
        call_command("check", deploy=True, fail_level="WARNING")
    except SystemCheckError as exc:
        ids = ", ".join(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", str(exc)))
        raise CliError(f"deployment checks failed: {ids} (behind HTTPS, set OPENPOAM_HTTPS=1; "
                       "Django's check framework documents each ID; openpoam.W* are "
                       "in the README's Settings)") from None
