"""Single sign-on's tables: provider groups to organization roles, CAC/PIV cards to
accounts (`openpoam sso ...`). The same tables are in the admin site."""

from __future__ import annotations

import click

from openpoam.cli import base
from openpoam.cli.base import cli, json_option, org_option, output_rows, with_django

ROLES = click.Choice(["owner", "editor", "assessor", "viewer"])


@cli.group()
def sso() -> None:
    """Single sign-on: groups to roles, smart cards to accounts."""


@sso.command("group-add")
@click.argument("group")
@org_option
@click.option("--role", type=ROLES, required=True)
@with_django
def group_add(group: str, org_slug: str | None, role: str) -> None:
    """Members of provider GROUP get ROLE in the organization at each sign-in."""
    from openpoam.accounts.services import sso as sso_services

    org_ = base.organization(org_slug)
    sso_services.add_group_role(base.actor(), group, org_, role)
    click.echo(f"group {group} → {role} of {org_.slug}")


@sso.command("group-remove")
@click.argument("group")
@org_option
@with_django
def group_remove(group: str, org_slug: str | None) -> None:
    """Stop mapping GROUP in the organization (memberships change at the next sign-in)."""
    from openpoam.accounts.services import sso as sso_services

    org_ = base.organization(org_slug)
    sso_services.remove_group_role(base.actor(), group, org_)
    click.echo(f"group {group} no longer maps to {org_.slug}")


@sso.command("groups")
@json_option
@with_django
def groups(as_json: bool) -> None:
    """The groups-to-roles table."""
    from openpoam.accounts.services import sso as sso_services

    output_rows(sso_services.group_rows(base.actor()), as_json,
                ["group", "organization", "role"])


@sso.command("card-add")
@click.argument("username")
@click.argument("value")
@with_django
def card_add(username: str, value: str) -> None:
    """Map a CAC/PIV card (the proxy header's VALUE) to an account."""
    from openpoam.accounts.services import sso as sso_services
    from openpoam.accounts.services import users

    sso_services.link_card(base.actor(), users.user_named(username), value)
    click.echo(f"card mapped to {username}")
