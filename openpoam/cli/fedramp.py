"""`openpoam fedramp ...`: FedRAMP CR26 (VDR/VER) deadlines, evaluations, reductions, reports.

`openpoam fedramp deadlines FILE` is a stable contract for other tools: it needs no database,
prints JSON on stdout and exits 0, or prints one line on stderr and exits 2 for bad input.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from openpoam.cli import base
from openpoam.cli.base import (EXIT_USAGE, CliError, cli, json_option, org_option,
                               system_option, with_django)

MAX_INPUT = 1024 * 1024  # a deadlines request is a few hundred bytes; refuse anything huge


class _InputError(click.ClickException):
    """Bad input to a contract command: one line on stderr, exit 2."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(f"openpoam: {self.format_message()}", err=True)


@cli.group()
def fedramp() -> None:
    """FedRAMP 2026 rules (CR26 VDR/VER): deadlines, evaluation queue, accepted list, reports."""


@fedramp.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--now", "now_text", help="Judge overdue/accepted at this ISO 8601 UTC instant "
              "(default: now).")
def deadlines(file: Path, now_text: str | None) -> None:
    """CR26 deadlines for one vulnerability given as JSON ('-' reads stdin).

    Prints evaluation_due (VER-TFR-EVU), reduction_due (VDR-TFR-PVR, capped by VDR-TFR-KEV)
    and accepted_from (VER-TFR-MAV) as UTC instants ending in Z, each with its rule. A JSON
    array of such objects gives an array of answers.
    """
    from openpoam.domain.fedramp.cr26 import Cr26Error, deadlines_payload

    data = _load(file)
    now = _now(now_text)
    try:
        if isinstance(data, list):
            result = [_one(deadlines_payload, entry, now, f"entry {n}")
                      for n, entry in enumerate(data, start=1)]
        else:
            result = deadlines_payload(data, now)
    except Cr26Error as exc:
        raise _InputError(f"{file}: {exc}") from None
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _one(compute, entry, now: datetime, where: str):
    from openpoam.domain.fedramp.cr26 import Cr26Error

    try:
        return compute(entry, now)
    except Cr26Error as exc:
        raise Cr26Error(f"{where}: {exc}") from None


def _load(file: Path):
    try:
        if str(file) == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT + 1)
        else:
            with open(file, "rb") as stream:
                raw = stream.read(MAX_INPUT + 1)
    except OSError as exc:
        raise _InputError(f"cannot read {file}: {exc.strerror or exc}") from None
    if len(raw) > MAX_INPUT:
        raise _InputError(f"{file}: larger than {MAX_INPUT // 1024} KiB; not a deadlines request")
    from openpoam.formats.base import FormatError
    from openpoam.formats.json_depth import check_bytes

    try:
        check_bytes(raw, source=str(file))
        return json.loads(raw.decode("utf-8-sig"))
    except FormatError as exc:
        raise _InputError(str(exc)) from None
    except UnicodeDecodeError:
        raise _InputError(f"{file}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _InputError(f"{file}: line {exc.lineno}: not valid JSON ({exc.msg})") from None


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    from openpoam.domain.fedramp.cr26 import Cr26Error, utc

    try:
        return utc(datetime.fromisoformat(text), "--now")
    except ValueError as exc:
        message = str(exc) if isinstance(exc, Cr26Error) else f"{text!r} is not an ISO instant"
        raise _InputError(f"--now: {message}") from None


# ---- commands on a system's CR26 records (database) ----------------------------------------

def _instant_option(ctx, param, value):
    if value is None:
        return None
    from openpoam.domain.fedramp.cr26 import Cr26Error, utc

    try:
        return utc(datetime.fromisoformat(value), param.opts[0])
    except (ValueError, Cr26Error) as exc:
        raise click.BadParameter(f"{value!r}: {exc}" if isinstance(exc, Cr26Error) else
                                 f"{value!r} is not an ISO 8601 instant") from None


at_option = click.option("--at", callback=_instant_option,
                         help="When it happened, ISO 8601 with a zone (default: now).")
rating_option = click.option("--rating", type=click.IntRange(0, 5), required=True,
                             help="Potential Agency Impact N-rating, 0 to 5 (VER-EVA-EPA).")


def _system(org_slug, system_slug, action: str = "poam.view"):
    """The named system, once the acting user is known to be allowed ``action`` there."""
    from openpoam.tracker.services.actors import require

    org_ = base.organization(org_slug)
    require(base.actor(), org_, action)
    return base.system(org_, system_slug)


def _vuln(org_slug, system_slug, poam_id: str, action: str = "poam.edit"):
    from openpoam.tracker.models import Cr26Vulnerability

    system_ = _system(org_slug, system_slug, action)
    found = (Cr26Vulnerability.objects.select_related("item", "system__organization")
             .filter(system=system_, item__poam_id=poam_id.strip().upper()).first())
    if found is None:
        raise CliError(f"{system_.slug} has no CR26 vulnerability {poam_id!r}")
    return found


@fedramp.command()
@org_option
@system_option
@click.option("--regime", type=click.Choice(["classic", "cr26"]), required=True)
@click.option("--class", "cert_class", type=click.Choice(list("ABCD"), case_sensitive=False),
              help="The offering's CR26 certification class.")
@click.option("--package-uri", help="Certification Package Overview URI, for the reports.")
@click.option("--class-from", callback=_instant_option,
              help="When a new class takes effect, ISO 8601 UTC (default: now); clocks started "
                   "from then on follow it.")
@with_django
def regime(org_slug, system_slug, regime, cert_class, package_uri, class_from) -> None:
    """Keep the classic Rev5 POA&M or move a FedRAMP system to the CR26 rules."""
    from openpoam.tracker.services import cr26

    system_ = _system(org_slug, system_slug, "system.manage")
    adopted = cr26.set_regime(base.actor(), system_, regime, cert_class or "", package_uri,
                              class_from)
    label = f"CR26 Class {system_.cr26_class}" if regime == "cr26" else "the classic POA&M"
    click.echo(f"{system_.slug} follows {label}"
               + (f"; {adopted} open item(s) now tracked under CR26" if adopted else ""))


def _row(row) -> dict:
    from openpoam.domain.fedramp.cr26 import iso

    vuln, state = row.vuln, row.state
    return {"id": row.poam_id, "title": vuln.item.title,
            "rating": f"N{vuln.rating}" if vuln.rating is not None else "",
            "proposed": (f"N{vuln.proposed_rating}" if vuln.proposed_rating
                         and vuln.rating is None
                         else ""),
            "detected_at": iso(vuln.detected_at), "evaluation_due": iso(state.evaluation_due.at),
            "evaluation_late": state.evaluation_late,
            "reduction_due": iso(state.reduction_due.at), "reduction_rule":
                state.reduction_due.rule if state.reduction_due.at else "",
            "accepted_from": iso(state.accepted_from.at), "overdue": state.overdue,
            "accepted": state.accepted,
            "incident": f"{state.incident.rule} {state.incident.force.value}"
                        if state.incident else "",
            "grouped": ", ".join(row.members)}


def _print_rows(rows, as_json: bool, columns: list[str]) -> None:
    data = [_row(r) for r in rows]
    if as_json:
        base.echo_json(data)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    for column in columns:
        table.add_column(column.replace("_", " "), no_wrap=column != "title")
    for entry in data:  # stored text is data, never Rich markup
        table.add_row(*(escape(_cell(entry.get(c))) for c in columns))
    Console().print(table)


def _cell(value) -> str:
    """Terminal form: instants as "YYYY-MM-DD HH:MM" (UTC), flags as yes or blank."""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, str) and len(value) >= 17 and value.endswith("Z") and value[10] == "T":
        return value[:16].replace("T", " ")
    return "" if value is None else str(value)


def _listing(name: str, pick, columns: list[str], doc: str):
    @org_option
    @system_option
    @json_option
    @with_django
    def command(org_slug, system_slug, as_json) -> None:
        from openpoam.tracker.services import cr26_reports

        rows = cr26_reports.snapshot(_system(org_slug, system_slug))
        _print_rows(getattr(cr26_reports, pick)(rows), as_json, columns)

    command.__doc__ = doc
    return fedramp.command(name)(command)


_listing("queue", "queue", ["id", "title", "proposed", "detected_at", "evaluation_due",
                            "evaluation_late"],
         "Vulnerabilities awaiting evaluation, soonest due first (VER-TFR-EVU).")
_listing("overdue", "overdue", ["id", "title", "rating", "evaluation_due", "reduction_due",
                                "reduction_rule", "incident"],
         "Late evaluations and overdue reductions (FRD-ODV).")
_listing("accepted", "accepted", ["id", "title", "rating", "accepted_from", "grouped"],
         "Accepted vulnerabilities (VER-TFR-MAV, FRD-ACV): the CR26 list that replaces the "
         "POA&M.")


@fedramp.command()
@click.argument("poam_id")
@org_option
@system_option
@click.option("--why", required=True, help="Where it was detected (pentest, disclosure...).")
@click.option("--detected", callback=_instant_option,
              help="Detection time, ISO 8601 with a zone (default: start of its detection "
                   "date, UTC).")
@with_django
def track(poam_id, org_slug, system_slug, why, detected) -> None:
    """Put an item made by hand or by a POA&M import under the CR26 rules."""
    from openpoam.tracker.services import cr26

    system_ = _system(org_slug, system_slug, "poam.edit")
    vuln = cr26.track(base.actor(), base.item(system_.organization, poam_id),
                      detected_at=detected, why=why)
    _done(vuln, f"tracked under CR26, proposed N{vuln.proposed_rating}")


@fedramp.command()
@click.argument("poam_id")
@org_option
@system_option
@rating_option
@click.option("--lev/--nlev", required=True, help="Likely exploitable (VER-EVA-ELX).")
@click.option("--irv/--nirv", required=True, help="Internet-reachable (VER-EVA-EIR).")
@click.option("--why", required=True, help="The reasoning, kept in the history and reports.")
@at_option
@with_django
def evaluate(poam_id, org_slug, system_slug, rating, lev, irv, why, at) -> None:
    """Record the completed evaluation of a vulnerability."""
    from openpoam.tracker.services import cr26

    vuln = _vuln(org_slug, system_slug, poam_id)
    event = cr26.evaluate(base.actor(), vuln, rating=rating, lev=lev, irv=irv, reason=why, at=at)
    _done(vuln, f"{event.kind} N{rating}")


@fedramp.command()
@click.argument("poam_id")
@org_option
@system_option
@rating_option
@click.option("--what", required=True, help="What was done (mitigation or remediation).")
@click.option("--lev/--nlev", default=None, help="Changed likely exploitability, if any.")
@click.option("--irv/--nirv", default=None, help="Changed internet reachability, if any.")
@click.option("--disposition", type=click.Choice(["Partially Mitigated", "Fully Mitigated",
                                                  "Remediated"]))
@at_option
@with_django
def reduce(poam_id, org_slug, system_slug, rating, what, lev, irv, disposition, at) -> None:
    """Record a completed reduction to a lower N-rating (VDR-TFR-PVR)."""
    from openpoam.tracker.services import cr26

    vuln = _vuln(org_slug, system_slug, poam_id)
    cr26.record_reduction(base.actor(), vuln, rating=rating, what=what, at=at, lev=lev, irv=irv,
                          disposition=disposition or "")
    _done(vuln, f"reduced to N{rating}")


@fedramp.command()
@click.argument("poam_id")
@click.argument("disposition", type=click.Choice(["Partially Mitigated", "Fully Mitigated",
                                                  "Remediated", "False Positive"]))
@org_option
@system_option
@click.option("--why", required=True)
@at_option
@with_django
def dispose(poam_id, disposition, org_slug, system_slug, why, at) -> None:
    """Record the final disposition (VER-RPT-VDT item 11)."""
    from openpoam.tracker.services import cr26

    vuln = _vuln(org_slug, system_slug, poam_id)
    cr26.dispose(base.actor(), vuln, disposition, why, at)
    _done(vuln, disposition)


@fedramp.command()
@click.argument("poam_id")
@org_option
@system_option
@click.option("--why", required=True, help="Why it is accepted (VER-RPT-AVI item 7).")
@at_option
@with_django
def accept(poam_id, org_slug, system_slug, why, at) -> None:
    """Categorize a vulnerability as accepted (FRD-ACV)."""
    from openpoam.tracker.services import cr26

    vuln = _vuln(org_slug, system_slug, poam_id)
    cr26.accept(base.actor(), vuln, why, at)
    _done(vuln, "accepted")


@fedramp.command()
@click.argument("poam_id")
@org_option
@system_option
@click.option("--rating", type=click.IntRange(0, 5), required=True, help="Target N-rating.")
@click.option("--by", "by_when", callback=_instant_option, required=True,
              help="Estimated time of the next reduction (ISO 8601 with a zone).")
@click.option("--note", default="")
@with_django
def plan(poam_id, org_slug, system_slug, rating, by_when, note) -> None:
    """Record the projected next reduction (VER-RPT-VDT item 8)."""
    from openpoam.tracker.services import cr26

    vuln = _vuln(org_slug, system_slug, poam_id)
    cr26.plan_reduction(base.actor(), vuln, at=by_when, rating=rating, note=note)
    _done(vuln, f"next reduction to N{rating} planned")


@fedramp.command("group")
@click.argument("lead")
@click.argument("members", nargs=-1, required=True)
@org_option
@system_option
@click.option("--why", required=True, help="The shared cause (VER-EVA-GRV).")
@with_django
def group_command(lead, members, org_slug, system_slug, why) -> None:
    """Group vulnerabilities that share a cause under LEAD; the rules apply to the group."""
    from openpoam.tracker.services import cr26

    head = _vuln(org_slug, system_slug, lead)  # checks the role before any lookup
    others = [_vuln(org_slug, system_slug, m) for m in members]
    cr26.group(base.actor(), head, others, why)
    _done(head, f"leads {len(others)} grouped vulnerability(ies)")


@fedramp.command("ungroup")
@click.argument("member")
@org_option
@system_option
@click.option("--why", required=True, help="Why it no longer shares the group's cause.")
@with_django
def ungroup_command(member, org_slug, system_slug, why) -> None:
    """Take MEMBER out of its group; it is evaluated on its own again (VER-EVA-GRV)."""
    from openpoam.tracker.services import cr26

    vuln = _vuln(org_slug, system_slug, member)
    cr26.ungroup(base.actor(), vuln, why)
    _done(vuln, "taken out of its group")


@fedramp.command("coverage")
@org_option
@system_option
@json_option
@with_django
def coverage_command(org_slug, system_slug, as_json) -> None:
    """Scan coverage against the class's detection and verification cadences (VDR-TFR)."""
    from openpoam.tracker.services import cr26_coverage

    rows = [r.to_dict() for r in cr26_coverage.coverage(_system(org_slug, system_slug))]
    if as_json:
        base.echo_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for column in ("rule", "force", "every", "what", "last scan", "next due", "late"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["rule"], row["force"], row["every"], row["what"],
                      _cell(row["last_scan"]), _cell(row["next_due"]), _cell(row["late"]))
    Console().print(table)


def _done(vuln, what: str) -> None:
    from openpoam.domain.fedramp.cr26 import iso
    from openpoam.tracker.services import cr26

    vuln.refresh_from_db()
    due = cr26.state(vuln).reduction_due
    click.echo(f"{vuln.item.poam_id}: {what}; next reduction due {iso(due.at) or 'none'} "
               f"({due.rule})")


@fedramp.command()
@click.argument("kind", type=click.Choice(["vdt", "avi", "mrh", "mhr"]))
@org_option
@system_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--preview", is_flag=True, help="Do not record it: the next report still "
              "starts where the last recorded one ended.")
@with_django
def report(kind, org_slug, system_slug, output, preview) -> None:
    """Write a CR26 report: vdt (VER-RPT-VDT), avi (VER-RPT-AVI), mrh (VER-TFR-MRH) as JSON
    validated against FedRAMP's schemas, or mhr (VER-TFR-MHR) as HTML."""
    import os
    import tempfile

    from openpoam.domain.fedramp.cr26 import iso
    from openpoam.tracker.services import cr26_reports

    system_ = _system(org_slug, system_slug, "poam.export" if preview else "poam.edit")
    result = cr26_reports.export_report(base.actor(), system_, kind, record=not preview)
    fd, tmp = tempfile.mkstemp(dir=output.parent or ".", prefix=f".{output.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(result.content)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    click.echo(f"wrote {output}: {result.vulnerabilities} vulnerabilities, "
               f"{iso(result.period_from)} to {iso(result.period_to)}"
               + (" (preview, not recorded)" if preview else ""))


@fedramp.command()
@click.argument("poam_id")
@org_option
@system_option
@json_option
@with_django
def show(poam_id, org_slug, system_slug, as_json) -> None:
    """One vulnerability: its deadlines with their rules, flags and rating history."""
    from openpoam.tracker.services import cr26_reports

    vuln = _vuln(org_slug, system_slug, poam_id, "poam.view")
    data = cr26_reports.vulnerability_dict(vuln)
    if as_json:
        base.echo_json(data)
        return
    _print_show(data)


def _print_show(data: dict) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    console.print(f"[bold]{escape(data['id'])}[/bold] {escape(data['title'])}")
    console.print(f"  detected {_cell(data['detected_at'])} UTC, "
                  f"{escape(data['detection_source'])}")
    for name, deadline in data["deadlines"].items():
        console.print(f"  {name.replace('_', ' ')}: {_cell(deadline['due']) or 'none'} "
                      f"({deadline['rule']}: {escape(deadline['basis'])})")
    flags = [n for n in ("evaluation_late", "overdue", "accepted") if data[n]]
    if data["incident"]:
        flags.append(data["incident"])
    console.print("  flags: " + (", ".join(f.replace("_", " ") for f in flags) or "none"))
    for report in data["incident_reports"]:  # IEC-CSO-IIR / OIR / FIR
        console.print(f"  {report['what']}: {_cell(report['due']) or 'when the treatment ends'}"
                      f" ({report['rule']} {report['force']}: {escape(report['basis'])})")
    for entry in data["history"]:
        console.print(f"  {_cell(entry['at'])} {entry['kind']} N{entry['rating']} "
                      f"by {escape(entry['by'])}: {escape(entry['note'])}")
