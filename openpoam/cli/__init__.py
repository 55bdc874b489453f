"""The `openpoam` command. Each group lives in its own module; all of them call the
tracker services (never the models directly) and print errors as one line."""

from __future__ import annotations

import sys


from openpoam.cli.base import cli, run


def main() -> None:
    from openpoam.cli import cmmc, formats, items, server, tokens  # noqa: F401  (registers commands)
    sys.exit(run(cli))


__all__ = ["cli", "main"]
