"""`openpoam cmmc evaluate|plan`: the rules engine on an assessment file, JSON in and out.

This is a stable contract for other tools: JSON on stdout and exit 0, or one
line on stderr and exit 2 for bad input. It needs no database.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from openpoam.cli import base, output
from openpoam.cli.base import (BadInput, CliError, cli, org_option,
                               parse_date_option, system_option, with_django)
from openpoam.domain.dates import DateError, parse_iso_date


@cli.group()
def cmmc() -> None:
    """CMMC: SPRS score, POA&M eligibility, Conditional/Final status, closeout clock, planner."""


@cmmc.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--today", help="Evaluate as of this date (YYYY-MM-DD); default: today.")
def evaluate(file: Path, today: str | None) -> None:
    """Evaluate an assessment (JSON) and print the result as JSON."""
    from openpoam.domain.cmmc import CmmcInputError, evaluate_payload

    try:
        result = evaluate_payload(_read_json(file, "assessment"), _today(today))
    except CmmcInputError as exc:
        raise BadInput(f"{file}: {exc}") from None
    _print(result)


@cmmc.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--target", type=click.Choice(["conditional", "final"]), default="conditional",
              show_default=True)
@click.option("--costs", "costs_file", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON object: requirement ID -> effort or cost (null: cannot be fixed in time).")
@click.option("--today", help="Plan as of this date (YYYY-MM-DD); default: today.")
def plan(file: Path, target: str, costs_file: Path | None, today: str | None) -> None:
    """The cheapest set of fixes that makes the target status reachable, as JSON."""
    from openpoam.domain.cmmc import CmmcInputError, plan_payload

    costs = _read_json(costs_file, "costs") if costs_file else None
    try:
        result = plan_payload(_read_json(file, "assessment"), target, costs, _today(today))
    except CmmcInputError as exc:
        raise BadInput(f"{file}: {exc}") from None
    _print(result)


def _read_json(path: Path, what: str):
    try:
        text = sys.stdin.read() if str(path) == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"cannot read the {what} file {path}: {exc.strerror}") from None
    from openpoam.formats.base import FormatError
    from openpoam.formats.json_depth import check_bytes

    try:
        check_bytes(text.encode("utf-8", "surrogatepass"), source=str(path))
        return json.loads(text)
    except FormatError as exc:
        raise BadInput(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None


def _today(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return parse_iso_date(text.strip())
    except DateError as exc:
        raise BadInput(f"--today: {exc}") from None


def _print(result: dict) -> None:
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


@cmmc.command("record")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@org_option
@system_option
@click.option("--assessed-on", callback=parse_date_option,
              help="Date of the assessment (default: the file's status_date).")
@click.option("--assessor", default="")
@click.option("--to-poam", is_flag=True, help="Also create POA&M items for its gaps (in the "
              "same transaction: both are saved, or neither).")
@with_django
def record(file, org_slug, system_slug, assessed_on, assessor, to_poam) -> None:
    """Record an assessment (same JSON as `cmmc evaluate`) for a system: score history."""
    from django.utils import timezone

    from openpoam.tracker.services import assessments

    system_ = base.system(base.organization(org_slug), system_slug)
    payload = _checked_payload(file)
    if to_poam:
        row, created = assessments.record_with_items(base.actor(), system_, payload,
                                                     assessed_on=assessed_on, assessor=assessor)
    else:
        row, created = assessments.record_assessment(base.actor(), system_, payload,
                                                     assessed_on=assessed_on,
                                                     assessor=assessor), []
    output.echo(f"recorded Level {row.level} ({row.assessment_type}) assessment of "
                f"{row.assessed_on}: score {row.score if row.score is not None else 'none'}, "
                f"{row.status}")
    if to_poam:
        output.echo(f"created {len(created)} POA&M items"
                    + (": " + ", ".join(i.poam_id for i in created) if created else ""))
        _warn_overdue(created, timezone.localdate())


def _checked_payload(file: Path) -> dict:
    """The assessment file, refused with its name when the rules engine cannot read it."""
    from openpoam.domain.cmmc import CmmcInputError
    from openpoam.domain.cmmc.payload import parse_payload

    payload = _read_json(file, "assessment")
    try:
        parse_payload(payload)
    except CmmcInputError as exc:
        raise BadInput(f"{file}: {exc}") from None
    return payload


def _warn_overdue(created, today) -> None:
    overdue = [i for i in created if i.scheduled_completion and i.scheduled_completion < today]
    if overdue:
        output.warn(f"{len(overdue)} of them were due by the closeout deadline "
                    f"{overdue[0].scheduled_completion}, which has passed: they are overdue, "
                    "and the Conditional status has expired (32 CFR 170.21(b))")


@cmmc.command("status")
@org_option
@system_option
@click.option("--json", "as_json", is_flag=True)
@with_django
def status(org_slug, system_slug, as_json) -> None:
    """A system's score, CMMC status with reasons, closeout countdown and gaps."""
    from openpoam.tracker.services import assessments

    system_ = base.system(base.organization(org_slug), system_slug)
    summary = assessments.summary(system_)
    if summary is None:
        raise CliError(f"{system_.slug} has no recorded assessment (`openpoam cmmc record`)")
    if as_json:
        base.echo_json({"evaluation": summary["evaluation"], "history": summary["history"]})
        return
    _print_status(system_, summary)


def _print_status(system_, summary) -> None:
    result = summary["evaluation"]
    score = "none" if result["score"] is None else f"{result['score']} of {result['max_score']}"
    output.echo(f"{system_.name}: {result['current_status']} — score {score} "
                f"(assessment of {summary['assessment'].assessed_on})")
    if result["lapsed_on"]:
        output.echo(f"  {result['status_summary']}")
    if result.get("closeout_deadline"):
        output.echo(f"  closeout deadline {result['closeout_deadline']}: "
                    + _countdown(result["days_left"]))
    for reason in result["reasons"]:
        output.echo(f"  - {reason}")
    for gap in result["requirements"]:
        mark = "may stay on the POA&M" if gap["poam_eligible"] else "must be fixed"
        output.echo(f"  {gap['id']:16} -{gap['deduction'] or 0}  {mark}: {gap['reason']} "
                    f"[{gap['citation']}]")
    history = ", ".join(f"{h['assessed_on']}: {h['score'] if h['score'] is not None else 'none'}"
                        for h in summary["history"])
    output.echo(f"  score history (by assessment date): {history}")


def _countdown(days_left: int) -> str:
    if days_left < 0:
        return f"passed {-days_left} day{'s' if days_left != -1 else ''} ago"
    return f"{days_left} day{'s' if days_left != 1 else ''} left"
