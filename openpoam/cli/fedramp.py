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

from openpoam.cli.base import EXIT_USAGE, cli

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
    try:
        return json.loads(raw.decode("utf-8-sig"))
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
