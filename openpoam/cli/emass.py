"""eMASS settings of a system: its service's template and the workbook's metadata cells."""

from __future__ import annotations

import click

from openpoam.cli import base, output
from openpoam.cli.base import json_option, org_option, with_django
from openpoam.cli.items import system

# option -> System field (the metadata cells of the eMASS workbook's rows 2-6)
EMASS_OPTIONS = {"branch": "emass_branch", "component": "emass_component",
                 "registration": "emass_registration", "system_type": "emass_system_type",
                 "omb_project_id": "emass_omb_project_id",
                 "security_costs": "emass_security_costs", "poc_name": "emass_poc_name",
                 "poc_phone": "emass_poc_phone", "poc_email": "emass_poc_email"}


@system.command("emass")
@click.argument("slug")
@org_option
@click.option("--branch", type=click.Choice(["navy", "army", "usmc", "legacy"]),
              help="The service's eMASS template the system exports.")
@click.option("--component", help="CC/S/A/FA.")
@click.option("--registration", help="DoW IT Registration No.")
@click.option("--system-type", "system_type", help="System Type.")
@click.option("--omb-project-id", "omb_project_id", help="OMB Project ID.")
@click.option("--security-costs", "security_costs", help="Security Costs.")
@click.option("--poc-name", "poc_name", help="POC Name.")
@click.option("--poc-phone", "poc_phone", help="POC Phone.")
@click.option("--poc-email", "poc_email", help="POC E-Mail.")
@click.option("--why", default="", help="Why (kept in the audit trail).")
@json_option
@with_django
def system_emass(slug, org_slug, why, as_json, **values) -> None:
    """Show or set a system's eMASS template and workbook metadata."""
    from openpoam.tracker.services import setup

    found = base.system(base.organization(org_slug), slug)
    changes = {EMASS_OPTIONS[name]: value.strip() for name, value in values.items()
               if value is not None}
    if changes:
        setup.update_system(base.actor(), found, why, **changes)
    rows = [{"field": name.replace("_", "-"), "value": getattr(found, field)}
            for name, field in EMASS_OPTIONS.items()]
    base.output_rows(rows, as_json, ["field", "value"])
    if changes and not as_json:
        output.echo(f"updated {found.organization.slug}/{found.slug}")
