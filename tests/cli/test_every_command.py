"""Every command of the Click tree, found by walking it (a new command is covered without
touching this file), given bad arguments: one line on stderr, a non-zero exit, no traceback.
"""

from __future__ import annotations

import click
import pytest

from openpoam.cli import base
from openpoam.cli.base import parse_date_option

BAD = {"date": "2026-13-45", "file": "/nonexistent-folder/missing.json", "choice": "bogus",
       "int": "not-a-number", "output": "/missing-folder/x.csv", "org": "no-such-org"}


def _register() -> None:
    from openpoam.cli import load_commands

    load_commands()


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _kind(param: click.Parameter) -> str | None:
    """Which bad value this parameter can be given, if any."""
    if param.name == "org_slug":
        return "org"
    if param.callback is parse_date_option or param.name == "today":
        return "date"
    if param.name == "output":
        return "output"
    if isinstance(param.type, click.Path):
        return "file"
    if isinstance(param.type, click.Choice):
        return "choice"
    if isinstance(param.type, click.types.IntParamType):
        return "int"
    return None


def _good(param: click.Parameter, tmp_path) -> str:
    """A value that passes parsing, so that only the bad one is refused."""
    kind = _kind(param)
    if kind == "date":
        return "2026-01-05"
    if kind == "file":
        path = tmp_path / "good.json"
        path.write_text("{}")
        return str(path)
    if kind == "output":
        return str(tmp_path / "out.csv")
    if kind == "choice":
        return param.type.choices[0]
    if kind == "int":
        return "1"
    return "FIELD=VALUE" if param.name == "pairs" else "x"


def _args(param: click.Parameter, value: str) -> list[str]:
    if isinstance(param, click.Argument):
        return [value]
    return [param.opts[0], value]


def _invocation(path, command, bad_param, tmp_path) -> list[str]:
    """The command with every required parameter filled, and ``bad_param`` given its bad
    value; parameters are given in declaration order so arguments land where they belong."""
    args = list(path)
    for param in command.params:
        if param is bad_param:
            args += _args(param, BAD[_kind(param)])
        elif param.required:
            args += _args(param, _good(param, tmp_path))
    return args


def _cases(tmp_path):
    _register()
    for path, command in _commands(base.cli):
        yield f"{' '.join(path)} --no-such-option", [*path, "--no-such-option"]
        if any(p.required for p in command.params):
            yield f"{' '.join(path)} (nothing given)", list(path)
        for param in command.params:
            if _kind(param) is not None:
                yield (f"{' '.join(path)} bad {param.name}",
                       _invocation(path, command, param, tmp_path))


def test_every_command_refuses_bad_arguments_in_one_line(db, cli_run, tmp_path):
    seen, failures = set(), []
    for label, args in _cases(tmp_path):
        seen.add(label.split(" --")[0].split(" (")[0].split(" bad ")[0])
        result = cli_run(*args)
        text = result.out + result.err
        if (result.code == 0 or len(result.err_lines) != 1 or "Traceback" in text
                or not result.err.startswith("openpoam: ")):
            failures.append(f"{label}: exit {result.code}, stderr {result.err!r}")
    assert not failures, "\n".join(failures)
    assert {"item add", "item list", "export", "import", "serve", "cmmc record"} <= seen
    assert len(seen) >= 30  # the walk found the tree


def test_bad_values_name_the_valid_ones(enclave):
    result = enclave("item", "list", "--status", "bogus")
    assert result.code == 2 and len(result.err_lines) == 1
    assert "'open'" in result.err and "'risk_accepted'" in result.err
    risk = enclave("item", "list", "--risk", "severe")
    assert risk.code == 2 and "'critical'" in risk.err
    fmt = enclave("export", "pdfx", "--output", "x.csv")
    assert fmt.code == 2 and "'oscal-json'" in fmt.err and "'csv'" in fmt.err
    framework = enclave("system", "create", "s2", "--name", "S", "--framework", "iso27001")
    assert framework.code == 2 and "'fedramp-moderate'" in framework.err


def test_an_export_into_a_missing_folder_is_one_line(enclave):
    result = enclave("export", "csv", "--output", "/missing-folder/x.csv")
    assert result.code == 2 and result.err_lines == [
        "openpoam: Invalid value for '--output' / '-o': the folder /missing-folder does not "
        "exist (see `openpoam export --help`)"]


def test_serve_on_a_busy_port_is_one_line(db, cli_run):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli_run("serve", "--port", port)
    assert result.code == 1 and len(result.err_lines) == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.err and "--port" in result.err


def test_a_control_outside_the_systems_catalog_names_the_catalog(enclave):
    result = enclave("item", "add", "--title", "x", "--detected", "2026-10-01",
                     "--control", "3.99.1")
    assert result.code == 1 and result.err_lines == [
        "openpoam: controls: '3.99.1' is not a NIST SP 800-171 Rev 2 identifier, the catalog "
        "that applies to CMMC Level 2 systems: there is no family 3.99 (the families are 3.1 "
        "to 3.14)"]
    enclave("system", "create", "cloud", "--name", "Cloud", "--framework", "fedramp-moderate")
    cloud = enclave("item", "add", "--system", "cloud", "--title", "x", "--detected",
                    "2026-10-01", "--control", "3.99.1")
    assert "NIST SP 800-53 Rev 5 identifier, the catalog that applies to FedRAMP" in cloud.err


def test_anything_unexpected_is_one_line_and_logged(enclave, monkeypatch, settings, tmp_path):
    from openpoam.tracker import filters

    settings.DATA_DIR = tmp_path

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(filters.ListQuery, "apply", broken)
    result = enclave("item", "list")
    assert result.code == 1 and len(result.err_lines) == 1
    assert result.err.startswith("openpoam: unexpected error: RuntimeError: disk on fire (")
    assert "Traceback" not in result.err
    log = (tmp_path / "cli-errors.log").read_text()
    assert "Traceback" in log and "disk on fire" in log and "item list" in log
    debug = enclave("--debug", "item", "list")
    assert debug.code == 1 and "Traceback" in debug.err


@pytest.mark.parametrize("args", [["item", "list"], ["org", "list", "--json"]])
def test_a_reader_that_closes_the_pipe_is_not_an_error_traceback(enclave, monkeypatch, args):
    from openpoam.cli import output

    def closed(*a, **k):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(output, "print_table", closed)
    monkeypatch.setattr(base, "echo_json", closed)
    result = enclave(*args)
    assert result.code == 1 and "Traceback" not in result.err


def _groups(group: click.Group, path: tuple[str, ...] = ()):
    yield path
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _groups(command, (*path, name))


def test_every_group_shows_its_help_alone_and_refuses_an_unknown_command(db, cli_run):
    _register()
    groups = list(_groups(base.cli))
    assert len(groups) >= 8
    for path in groups:
        bare = cli_run(*path)
        assert bare.code == 0 and bare.out.startswith("Usage: openpoam") and bare.err == ""
        if path == ("history",):
            continue  # `history POAM-ID` shows an item's history: any word is a POA&M ID
        unknown = cli_run(*path, "no-such-command")
        assert unknown.code == 2 and unknown.err_lines == [
            f"openpoam: No such command 'no-such-command'. (see `{' '.join(('openpoam', *path))}"
            " --help`)"]
