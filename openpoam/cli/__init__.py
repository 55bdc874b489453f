"""The `openpoam` command. Each group lives in its own module; all of them call the
tracker services (never the models directly) and print errors as one line."""

from __future__ import annotations

import sys


from openpoam.cli.base import cli, run


def main() -> None:
    # Importing a group's module registers its commands.
    from openpoam.cli import accounts, cmmc, formats, items, reviews, server, tokens  # noqa: F401
    sys.exit(run(cli))


__all__ = ["cli", "main"]
