"""Export a system's POA&M, and import files into it, through the format registry."""

from __future__ import annotations

import os
from pathlib import Path

import click

from openpoam.cli import base
from openpoam.cli import output as out
from openpoam.cli.base import cli, org_option, system_option, with_django


def _writable_file(ctx, param, value: Path | None) -> Path | None:
    """Refuse, before any work, an output file whose folder is missing or not writable."""
    if value is None:
        return None
    folder = value.expanduser().resolve().parent
    if not folder.is_dir():
        raise click.BadParameter(f"the folder {out.safe(folder)} does not exist")
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"the folder {out.safe(folder)} is not writable")
    return value


@cli.command("export")
@click.argument("format_key", metavar="FORMAT", type=base.EXPORT_FORMAT)
@org_option
@system_option
@click.option("--output", "-o", required=True, callback=_writable_file,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--branch", type=click.Choice(["navy", "army", "usmc", "legacy"]),
              help="emass-xlsx: the service's template (default: the system's, set with "
                   "`openpoam system emass`; navy unless set).")
@with_django
def export(format_key, org_slug, system_slug, output, branch) -> None:
    """Write a system's POA&M as FORMAT (oscal-json, oscal-xml, fedramp-xlsx, emass-xlsx, csv),
    or a CR26 system's report as a preview (cr26-vdt, cr26-avi, cr26-mrh, cr26-mhr)."""
    from openpoam.tracker.services import exports

    if branch and format_key != "emass-xlsx":
        raise click.BadParameter("--branch is for emass-xlsx only", param_hint="--branch")
    system_ = base.system(base.organization(org_slug), system_slug)
    options = {"branch": branch} if branch else {}
    result = exports.export_system(base.actor(), system_, format_key, output, **options)
    for warning in result.warnings:
        out.warn(warning)
    out.echo(f"wrote {result.items} items to {output} ({result.format_label}, "
               f"{result.designation})")


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@org_option
@system_option
@click.option("--format", "format_key", type=base.IMPORT_FORMAT,
              help="Skip detection and read the file as this format.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--include-info", is_flag=True, help="Keep informational findings as items.")
@click.option("--asset", default="", help="Name of the code base or image a SARIF, Trivy or "
              "Grype report covers, when the report does not say.")
@click.option("--fields", default=None, metavar="NAMES",
              help="eMASS POA&M workbook: the columns to update, comma-separated (all, rmf, "
                   "description, controls, security_checks, status, scheduled_completion, "
                   "milestones, source, source_detail, owner, resources_required, comments, or "
                   "an RMF field name).")
@click.option("--background", is_flag=True,
              help="Queue the import as a job for `openpoam worker` and print its id "
                   "(follow it with `openpoam jobs ID`).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_django
def import_(file, org_slug, system_slug, format_key, dry_run, include_info, asset, fields,
            background, as_json) -> None:
    """Import a scanner, checklist or POA&M file into a system."""
    from openpoam.domain.findings import Severity
    from openpoam.tracker.services import imports

    system_ = base.system(base.organization(org_slug), system_slug)
    if background:
        from openpoam.jobs import services as jobs

        job = jobs.start_import(base.actor(), system_, file, file_name=file.name,
                                dry_run=dry_run, format_key=format_key, asset=asset,
                                fields=fields,
                                min_severity=Severity.INFO if include_info else Severity.LOW)
        if as_json:
            base.echo_json(jobs.job_dict(job))
        else:
            out.echo(f"queued {'dry run' if dry_run else 'import'} of {out.safe(file.name)} "
                     f"as job {job.uuid} (follow it with `openpoam jobs {job.uuid}`)")
        return
    with _progress(file.stat().st_size, file.name, quiet=as_json) as advance:
        result = imports.import_file(
            base.actor(), system_, file, format_key=format_key, dry_run=dry_run,
            progress=advance, asset=asset, fields=fields,
            min_severity=Severity.INFO if include_info else Severity.LOW)
    if as_json:
        base.echo_json(result.to_dict())
        return
    _print_result(result, system_)


@cli.group()
def imports() -> None:
    """Past imports."""


@imports.command("list")
@org_option
@system_option
@click.option("--json", "as_json", is_flag=True)
@with_django
def imports_list(org_slug, system_slug, as_json) -> None:
    """A system's past imports: file, SHA-256, format, scanner, counts."""
    from openpoam.tracker.models import ImportRecord

    system_ = base.system(base.organization(org_slug), system_slug)
    rows = [{"when": r.imported_at.isoformat(timespec="seconds"), "file": r.file_name,
             "format": r.format, "scanner": f"{r.scanner} {r.scanner_version}".strip(),
             "scan_time": r.scan_time.isoformat(timespec="seconds") if r.scan_time else "",
             "sha256": r.sha256, "new": r.new, "updated": r.updated, "remediated": r.remediated,
             "closed": r.closed, "proposed": r.proposed, "by": r.imported_by}
            for r in ImportRecord.objects.filter(system=system_)]
    base.output_rows(rows, as_json, ["when", "file", "format", "scanner", "new", "updated",
                            "remediated", "closed", "proposed"])


@cli.group()
def kev() -> None:
    """CISA's Known Exploited Vulnerabilities catalog (caps FedRAMP deadlines)."""


@kev.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_django
def kev_import(file) -> None:
    """Load a KEV catalog JSON file (known_exploited_vulnerabilities.json)."""
    from openpoam.tracker.services import kev as kev_service

    with file.open("rb") as stream:
        count, version = kev_service.load_catalog(base.actor(), stream, source=file.name)
    out.echo(f"loaded {count} known exploited vulnerabilities (catalog {version})")


def _progress(total: int, name: str, *, quiet: bool):
    from contextlib import contextmanager

    from rich.markup import escape
    from rich.progress import (BarColumn, DownloadColumn, Progress, TimeRemainingColumn,
                               TransferSpeedColumn)

    @contextmanager
    def bar():
        if quiet or total < 5 * 1024 * 1024:  # small files finish before a bar helps
            yield None
            return
        with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                      TransferSpeedColumn(), TimeRemainingColumn(), transient=True) as progress:
            # The description is Rich markup: the file name is escaped, it is data.
            task = progress.add_task(f"reading {escape(out.safe(name))}", total=total)
            yield lambda done: progress.update(task, completed=done)
    return bar()


def _print_result(result, system_) -> None:
    title = ("Already imported — nothing changed: " if result.already_imported_at else
             "Dry run — nothing was written: " if result.dry_run else "Imported ") + \
        f"{result.file_name} ({result.format_label}) into {system_.name}"
    rows = []
    if result.scanner:
        rows.append(("Scanner", f"{result.scanner} {result.scanner_version}".strip()))
    if result.scan_time:
        rows.append(("Scan time", result.scan_time.isoformat(timespec="seconds")))
    is_poam_file = bool(result.created or result.updated) and not result.scanner
    rows.append(("Items in file" if is_poam_file else "Findings read", f"{result.findings:,}"))
    if result.dropped:
        rows.append(("Informational (not items)", f"{result.dropped:,}"))
    counts = result.counts
    numbers = [("New items", counts.new), ("Recurred (new item linked to the closed one)",
                                           counts.recurred),
               ("Items updated", counts.updated), ("Assets remediated", counts.remediated),
               ("Items closed", counts.closed), ("Items proposed for closure", counts.proposed),
               ("Items unchanged", counts.unchanged), ("Items created", result.created),
               ("Items updated from file", result.updated)]
    rows += [(label, f"{value:,}") for label, value in numbers if value]
    rows.append(("SHA-256", result.sha256[:16] + "…"))
    out.print_table(["", ""], rows, title=title, header=False)
    if result.changes:
        out.print_table(["POA&M ID", "row", "field", "old", "new"],
                        [(c["poam_id"], str(c["line"]), c["field"], c["old"], c["new"])
                         for c in result.changes],
                        title="Would change" if result.dry_run else "Changed")
    for warning in result.warnings:
        out.warn(warning)
