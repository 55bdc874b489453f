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

from openpoam.cli.base import EXIT_USAGE, cli


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
