"""How a command refuses: one line on standard error and an exit code (1, or 2 for bad input).
No traceback reaches a user; base.run() turns anything else into one line too."""

from __future__ import annotations

import click

from openpoam.cli import output

EXIT_ERROR = 1
EXIT_USAGE = 2


class CliError(click.ClickException):
    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"openpoam: {output.one_line(self.format_message())}", err=True)


class Failed(CliError):
    """Exit 1 after the command printed its own findings on standard error (a
    `click.exceptions.Exit` would exit 0: Click returns its code in non-standalone mode)."""

    def __init__(self) -> None:
        super().__init__("")

    def show(self, file=None) -> None:
        pass


class BadInput(CliError):
    """A refusal of what the user typed or gave (exit 2, like a usage error)."""

    exit_code = EXIT_USAGE
