"""The `openpoam` command. Each group lives in its own module; all of them call the
tracker services (never the models directly) and print errors as one line."""

from __future__ import annotations

import importlib
import sys

from openpoam.cli.base import cli, run

# Every module that adds commands; tests walk the whole tree through load_commands().
COMMAND_MODULES = ("accounts", "audit", "backup", "cmmc", "emass", "fedramp", "formats", "items",
                   "jobs", "requests", "reviews", "server", "sso", "tokens", "work")


def load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"openpoam.cli.{name}")


def main() -> None:
    load_commands()
    sys.exit(run(cli))


__all__ = ["COMMAND_MODULES", "cli", "load_commands", "main"]
