"""Shared pieces of the command line: Django start-up, error handling, lookups, output."""

from __future__ import annotations

import json
import os
import sys
from functools import wraps

import click

EXIT_ERROR = 1
EXIT_USAGE = 2


class CliError(click.ClickException):
    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"openpoam: {self.format_message()}", err=True)


@click.group()
@click.version_option(package_name="openpoam")
def cli() -> None:
    """OpenPOAM: Plans of Action and Milestones for CMMC, NIST SP 800-171, FedRAMP and RMF."""


def run(group: click.Group) -> int:
    try:
        group.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("openpoam: aborted", err=True)
        return EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings")
    import django

    django.setup()


def with_django(func):
    """Start Django before the command and turn refusals into one-line errors."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        django_setup()
        from django.core.exceptions import ObjectDoesNotExist

        from openpoam.formats.base import FormatError
        from openpoam.tracker.services import ServiceError

        try:
            return func(*args, **kwargs)
        except (ServiceError, FormatError) as exc:
            raise CliError(str(exc)) from None
        except ObjectDoesNotExist as exc:
            raise CliError(str(exc)) from None

    return wrapper


def actor(name: str | None = None):
    from openpoam.tracker.services import Actor

    return Actor.command_line(name or os.environ.get("OPENPOAM_ACTOR"))


def organization(slug: str | None):
    """The named organization; with none named, the only one there is."""
    from openpoam.tracker.models import Organization

    slug = slug or os.environ.get("OPENPOAM_ORG")
    if slug:
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CliError(f"no organization {slug!r} (see `openpoam org list`)")
        return org
    orgs = list(Organization.objects.all()[:2])
    if len(orgs) == 1:
        return orgs[0]
    raise CliError("name the organization with --org (see `openpoam org list`)")


def system(org, slug: str | None):
    from openpoam.tracker.models import System

    if slug:
        found = System.objects.filter(organization=org, slug=slug).first()
        if found is None:
            raise CliError(f"{org.slug} has no system {slug!r} (see `openpoam system list`)")
        return found
    systems = list(System.objects.filter(organization=org)[:2])
    if len(systems) == 1:
        return systems[0]
    raise CliError(f"name the system with --system (see `openpoam system list --org {org.slug}`)")


def item(org, poam_id: str):
    from openpoam.tracker.models import PoamItem

    found = PoamItem.objects.filter(organization=org, poam_id=poam_id.strip().upper()).first()
    if found is None:
        raise CliError(f"{org.slug} has no POA&M item {poam_id!r}")
    return found


def echo_json(data) -> None:
    from openpoam.tracker.documents import to_jsonable

    json.dump(to_jsonable(data), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def parse_date_option(ctx, param, value):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


org_option = click.option("--org", "org_slug", help="Organization slug (default: the only one, "
                          "or $OPENPOAM_ORG).")
system_option = click.option("--system", "system_slug", help="System slug (default: the only "
                             "one of the organization).")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def output_rows(rows: list[dict], as_json: bool, columns: list[str]) -> None:
    if as_json:
        echo_json(rows)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:  # stored text is data, never Rich markup
        table.add_row(*(escape(str(row.get(c, ""))) for c in columns))
    Console().print(table)
