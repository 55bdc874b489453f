"""Run the command line in-process exactly as the `openpoam` script does (through
``base.run``, the one place that turns every failure into one line on stderr)."""

import sys
from dataclasses import dataclass

import pytest

from openpoam.cli import base


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.strip().splitlines()


def _register() -> None:
    from openpoam.cli import load_commands

    load_commands()


@pytest.fixture
def cli_run(capsys, monkeypatch):
    """``cli_run(*args)`` -> Outcome(code, out, err) through the real runner."""
    _register()

    def invoke(*args: str) -> Outcome:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["openpoam", *(str(a) for a in args)])
        code = base.run(base.cli)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)
    return invoke


@pytest.fixture
def enclave(db, cli_run):
    """One organization with one CMMC Level 2 system, made through the CLI."""
    assert cli_run("org", "create", "acme", "--name", "Acme").code == 0
    assert cli_run("system", "create", "enclave", "--name", "Enclave", "--framework",
                   "cmmc-l2").code == 0
    return cli_run
