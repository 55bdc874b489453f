"""Export a system's POA&M, and import files into it, through the format registry."""

from __future__ import annotations

from pathlib import Path

import click

from openpoam.cli import base
from openpoam.cli.base import cli, org_option, system_option, with_django


@cli.command("export")
@click.argument("format_key", metavar="FORMAT")
@org_option
@system_option
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_django
def export(format_key, org_slug, system_slug, output) -> None:
    """Write a system's POA&M as FORMAT (oscal-json, oscal-xml, fedramp-xlsx, emass-xlsx, csv)."""
    from openpoam.tracker.services import exports

    system_ = base.system(base.organization(org_slug), system_slug)
    result = exports.export_system(base.actor(), system_, format_key, output)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {result.items} items to {output} ({result.format_label}, "
               f"{result.designation})")
