"""`openpoam token create|list|revoke`: API tokens for scripts and pipelines."""

from __future__ import annotations

import click

from openpoam.cli import base
from openpoam.cli.base import CliError, cli, json_option, org_option, output_rows, with_django


@cli.group()
def token() -> None:
    """API tokens (Authorization: Bearer <token>)."""


def _user(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CliError(f"no user {username!r}")
    return user


@token.command("create")
@click.option("--user", "username", required=True, help="The user the token acts for.")
@org_option
@click.option("--name", required=True, help="What the token is for, e.g. 'CI scan upload'.")
@click.option("--read-only", is_flag=True, help="Only read, whatever the user's role.")
@click.option("--expires-in", metavar="DAYS", type=click.IntRange(min=1),
              help="Days until the token stops working (default 90, at most 1098).")
@with_django
def token_create(username: str, org_slug: str | None, name: str, read_only: bool,
                 expires_in: int | None) -> None:
    """Make a token; it is printed once, on the last line, and never shown again."""
    from openpoam.accounts.services import tokens

    made = tokens.create_token(base.actor(), _user(username), base.organization(org_slug), name,
                               read_only=read_only,
                               expires_in_days=expires_in or tokens.DEFAULT_EXPIRY_DAYS)
    click.echo(f"created token {made.token.prefix} ({made.token.name}) for {username} in "
               f"{made.token.organization.slug}{', read only' if read_only else ''}, expires "
               f"{made.token.expires_at:%Y-%m-%d}; store it now, it is not shown again:")
    click.echo(made.secret)


@token.command("list")
@click.option("--user", "username", help="Only this user's tokens.")
@org_option
@json_option
@with_django
def token_list(username: str | None, org_slug: str | None, as_json: bool) -> None:
    """Tokens (never their secrets): prefix, owner, organization, last use, expiry, state."""
    from openpoam.accounts.services.tokens import token_dict, visible_tokens
    from openpoam.tracker.services.actors import visible_organizations

    actor = base.actor()  # a user sees their own tokens; the local command line, all
    found = visible_tokens(actor, visible_organizations(actor),
                           user=_user(username) if username else None,
                           organization=base.organization(org_slug) if org_slug else None)
    rows = [token_dict(t) for t in found]
    if as_json:
        output_rows(rows, True, [])
        return
    # The table: dates only, so that the names fit beside them.
    output_rows([{**row, "last_used": row["last_used"][:10],
                  "state": row["state"] + (", read only" if row["read_only"] else "")}
                 for row in rows], False,
                ["prefix", "name", "user", "org", "last_used", "expires", "state"])


@token.command("revoke")
@click.argument("prefix")
@with_django
def token_revoke(prefix: str) -> None:
    """Revoke the token with this prefix (the part after `opoam_`)."""
    from openpoam.accounts.services import tokens

    found = tokens.token_by_prefix(prefix)
    if found is None:
        raise CliError(f"no token with prefix {prefix!r} (see `openpoam token list`)")
    tokens.revoke_token(base.actor(), found)
    click.echo(f"revoked token {found.prefix} ({found.name})")
