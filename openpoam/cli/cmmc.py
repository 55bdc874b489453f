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

from openpoam.cli import base
from openpoam.cli.base import (EXIT_USAGE, CliError, cli, org_option, parse_date_option,
                               system_option, with_django)


class _BadInput(click.ClickException):
    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(f"openpoam: {self.format_message()}", err=True)


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
        raise _BadInput(f"{file}: {exc}") from None
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
        raise _BadInput(f"{file}: {exc}") from None
    _print(result)


def _read_json(path: Path, what: str):
    try:
        text = sys.stdin.read() if str(path) == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _BadInput(f"cannot read the {what} file {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadInput(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None


def _today(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _BadInput(f"--today: {text!r} is not a date in YYYY-MM-DD form") from None


def _print(result: dict) -> None:
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


@cmmc.command("record")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@org_option
@system_option
@click.option("--assessed-on", callback=parse_date_option, help="Default: today.")
@click.option("--assessor", default="")
@click.option("--to-poam", is_flag=True, help="Also create POA&M items for its gaps.")
@with_django
def record(file, org_slug, system_slug, assessed_on, assessor, to_poam) -> None:
    """Record an assessment (same JSON as `cmmc evaluate`) for a system: score history."""
    from django.utils import timezone

    from openpoam.tracker.services import assessments

    system_ = base.system(base.organization(org_slug), system_slug)
    row = assessments.record_assessment(base.actor(), system_, _read_json(file, "assessment"),
                                        assessed_on=assessed_on or timezone.localdate(),
                                        assessor=assessor)
    click.echo(f"recorded Level {row.level} ({row.assessment_type}) assessment: score "
               f"{row.score if row.score is not None else 'none'}, {row.status}")
    if to_poam:
        created = assessments.create_poam_items(base.actor(), row)
        click.echo(f"created {len(created)} POA&M items: "
                   + ", ".join(i.poam_id for i in created))


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
    click.echo(f"{system_.name}: {result['status']} — score {score}")
    if result.get("closeout_deadline"):
        click.echo(f"  closeout deadline {result['closeout_deadline']} "
                   f"({result['days_left']} days left)")
    for reason in result["reasons"]:
        click.echo(f"  - {reason}")
    for gap in result["requirements"]:
        mark = "may stay on the POA&M" if gap["poam_eligible"] else "must be fixed"
        click.echo(f"  {gap['id']:16} -{gap['deduction'] or 0}  {mark}: {gap['reason']} "
                   f"[{gap['citation']}]")
    history = ", ".join(f"{h['assessed_on']}: {h['score']}" for h in summary["history"])
    click.echo(f"  score history: {history}")
