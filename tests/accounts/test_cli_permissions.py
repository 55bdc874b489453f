"""Every command that takes --org, run as bob (viewer of A) and charlie (member of B only)
against organization A, checked against the permission table's CLI entries."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from openpoam.accounts import permissions as perms
from openpoam.cli import base

pytestmark = pytest.mark.django_db


def _commands(group: click.Group, path=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def _org_commands() -> dict[str, click.Command]:
    from openpoam.cli import load_commands

    load_commands()

    return {name: command for name, command in _commands(base.cli)
            if any(p.name == "org_slug" for p in command.params)}


def test_every_command_with_org_is_in_the_permission_table():
    assert sorted(set(_org_commands()) - set(perms.CLI_PERMISSIONS)) == []
    assert sorted(set(perms.CLI_PERMISSIONS) - set(_org_commands())) == []


@pytest.fixture
def sample(org_a, tmp_path):
    """A plausible value for every required parameter, naming objects of organization A."""
    upload = tmp_path / "assessment.json"
    upload.write_text('{"level": 2, "assessment_type": "Self", "results": {},'
                      ' "status_date": "2026-01-01"}')
    return {"slug": "new-sys", "name": "New", "framework": "cmmc-l2", "title": "New item",
            "detected_on": "2026-01-01", "poam_id": org_a.item.poam_id,
            "pairs": "comments=checked", "status": "in_progress", "justification": "because",
            "description": "Step", "sequence": "1", "due": "2026-12-01",
            "completed_on": "2026-12-01", "username": "bob", "role": "viewer",
            "file": str(upload), "format_key": "csv", "output": str(tmp_path / "out.csv"),
            "month": "2026-11", "poam_ids": org_a.item.poam_id, "old": "1", "new": "1",
            "number": "1", "feed_id": "1", "regime": "cr26", "rating": "3", "why": "because",
            "what": "patched", "disposition": "Remediated", "by_when": "2026-12-01T00:00:00Z",
            "lead": org_a.item.poam_id, "members": org_a.item.poam_id, "member": org_a.item.poam_id,
            "kind": "vdt",
            "group": "poam-editors", "request_kind": "false_positive",
            "rationale": "a scanner misread", "request_id": "1", "decision": "approve"}


def _args(command: click.Command, sample: dict) -> list[str]:
    args = []
    for param in command.params:
        if not param.required and param.name != "file":  # evidence add needs a FILE or --link
            continue
        if isinstance(param, click.Argument):
            args.append(sample[param.name])
        elif getattr(param, "is_flag", False):
            args.append(param.opts[0])  # --lev/--nlev and the like take no value
        else:
            args += [param.opts[0], sample[param.name]]
    return args


def _run(user: str, path: str, command: click.Command, sample: dict):
    line = ["--as", user, *path.split(), *_args(command, sample), "--org", "org-a"]
    return CliRunner().invoke(base.cli, line, catch_exceptions=False)


def test_bob_may_do_what_a_viewer_may_and_nothing_else(sample, bob):
    wrong = []
    for path, command in _org_commands().items():
        result = _run("bob", path, command, sample)
        refused = "may not" in result.output
        if refused == perms.allows("viewer", perms.CLI_PERMISSIONS[path]) \
                or "no organization" in result.output:
            wrong.append((path, result.output.strip()[:120]))
    assert wrong == []


def test_charlie_is_told_organization_a_does_not_exist(sample, org_b, charlie):
    wrong = [(path, result.output.strip()[:120])
             for path, command in _org_commands().items()
             if "no organization 'org-a'" not in (result := _run("charlie", path, command,
                                                                sample)).output]
    assert wrong == []


def test_an_unknown_user_is_refused(sample):
    result = CliRunner().invoke(base.cli, ["--as", "nobody", "item", "list", "--org", "org-a"])
    assert result.exit_code == 1 and "no active user 'nobody'" in result.output
