"""Users, members and the audit trail's check: `openpoam user|member|history verify`."""

from __future__ import annotations

import click

from openpoam.cli import base
from openpoam.cli.base import CliError, cli, json_option, org_option, output_rows, with_django

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
