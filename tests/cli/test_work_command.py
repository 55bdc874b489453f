"""`openpoam work` as a process on a fresh data folder: what waits on a person across two
client organizations, with a twin organization whose look-alike rows must not appear."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.cli.process import fresh_env, new_env, run  # noqa: F401


def _ok(env, *args):
    done = run(list(args), env)
    assert done.returncode == 0, f"{args}: {done.stdout} {done.stderr}"
    return done


def _world(env) -> dict:
    soon = (date.today() + timedelta(days=3)).isoformat()
    late = (date.today() - timedelta(days=2)).isoformat()
    for name in ("dana", "gus"):
        _ok(env, "user", "add", name, "--email", f"{name}@example.com")
    for org, owner in (("acme", None), ("initech", None), ("globex", "gus")):
        _ok(env, "org", "create", org, "--name", org.title())
        _ok(env, "system", "create", "enclave", "--org", org, "--name", f"{org} enclave",
            "--framework", "cmmc-l2")
        if owner:
            _ok(env, "member", "add", owner, "--org", org, "--role", "owner")
        else:
            _ok(env, "member", "add", "dana", "--org", org, "--role", "editor")
    ids = {}
    for org, user, due in (("acme", "dana", soon), ("initech", "dana", late),
                           ("globex", "gus", soon)):
        _ok(env, "person", "add", "Dana Reyes", "--org", org, "--user", user)
        ids[org] = _ok(env, "item", "add", "--org", org, "--system", "enclave",
                       "--title", f"[bold]{org} weakness[/bold]", "--detected", "2026-01-05",
                       "--set", "owner=Dana Reyes", "--set", f"scheduled_completion={due}"
                       ).stdout.strip()
    return ids


def test_work_lists_both_clients_and_never_the_twin(fresh_env):
    ids = _world(fresh_env)
    data = json.loads(_ok(fresh_env, "work", "--as", "dana", "--json").stdout)
    items = next(s for s in data["sections"] if s["kind"] == "item")["rows"]
    assert [(r["organization"], r["reference"], r["overdue"]) for r in items] == [
        ("initech", ids["initech"], True), ("acme", ids["acme"], False)]
    assert "globex" not in json.dumps(data)
    assert items[0]["url"].endswith(f"/org/initech/system/enclave/items/{ids['initech']}/")
    table = _ok(fresh_env, "work", "--as", "dana").stdout
    assert "[bold]initech" in table  # stored text printed as written, not as markup
    assert f"{(date.today() - timedelta(days=2)).isoformat()} late" in table
    assert "globex" not in table


def test_work_refuses_unknown_and_other_people(fresh_env):
    _world(fresh_env)
    done = run(["work", "--as", "nobody"], fresh_env)
    assert done.returncode == 1 and "no active user 'nobody'" in done.stderr
    assert "Traceback" not in done.stderr
    done = run(["--as", "gus", "work", "--as", "dana"], fresh_env)
    assert done.returncode == 1 and "may not list the work of dana" in done.stderr
    done = run(["work"], fresh_env)
    assert done.returncode == 1 and "give --as USER" in done.stderr
    # A person links only to a member of their organization.
    done = run(["person", "link", "Dana Reyes", "--org", "acme", "--user", "gus"], fresh_env)
    assert done.returncode == 1 and "gus is not a member of acme" in done.stderr


def test_the_daily_digest_runs_from_the_command_line(fresh_env):
    _world(fresh_env)
    done = _ok(fresh_env, "notify", "digest")
    assert "digest sent to 2 person(s)" in done.stdout
    assert "Subject" not in done.stdout  # no mail server configured: in the app only
