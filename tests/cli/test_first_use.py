"""The first command on a fresh data folder sets the database up (once, even when two
commands start together); a database from an older version is not upgraded silently."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from urllib.parse import urlparse

import pytest

MAIN = "from openpoam.cli import main; main()"


def _env(data_dir, database_url: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["OPENPOAM_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _start(env, *args):
    return subprocess.Popen([sys.executable, "-c", MAIN, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _run(env, *args):
    process = _start(env, *args)
    out, err = process.communicate(timeout=180)
    return process.returncode, out, err


def test_the_first_command_sets_up_a_fresh_folder(tmp_path):
    env = _env(tmp_path / "data")
    code, out, err = _run(env, "org", "list", "--json")
    assert code == 0, err
    assert out.strip() == "[]"  # standard output stays valid JSON
    assert err.strip().splitlines() == [
        f"openpoam: first use: setting up a new database at {tmp_path / 'data'}/openpoam.sqlite3"]
    again = _run(env, "org", "list", "--json")
    assert again[0] == 0 and again[2] == ""  # said once, not on every command


def _concurrent_first_use(env) -> None:
    started = [_start(env, "org", "create", f"org{n}", "--name", f"Org {n}") for n in range(3)]
    results = [(p.wait(timeout=180), p.stdout.read(), p.stderr.read()) for p in started]
    for code, out, err in results:
        assert code == 0, err
        assert "Traceback" not in err and len(err.strip().splitlines()) <= 1
    assert sum("first use" in err for _, _, err in results) == 1  # one process set it up
    code, out, err = _run(env, "org", "list", "--json")
    assert code == 0 and sorted(o["slug"] for o in __import__("json").loads(out)) == [
        "org0", "org1", "org2"]


def test_commands_started_together_on_a_fresh_folder_set_it_up_once(tmp_path):
    _concurrent_first_use(_env(tmp_path / "data"))


def test_an_older_database_is_not_upgraded_behind_the_users_back(tmp_path):
    env = _env(tmp_path / "data")
    assert _run(env, "setup")[0] == 0
    with sqlite3.connect(tmp_path / "data" / "openpoam.sqlite3") as db:
        db.execute("DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM "
                   "django_migrations)")
    code, out, err = _run(env, "org", "list")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "made by an older version" in err and "run `openpoam setup`" in err


def test_commands_started_together_on_a_fresh_postgresql_database_set_it_up_once(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL only: DATABASE_URL is not a PostgreSQL database")
    import psycopg

    name = f"openpoam_firstuse_{uuid.uuid4().hex[:10]}"
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _concurrent_first_use(_env(tmp_path / "data", urlparse(url)._replace(
            path=f"/{name}").geturl()))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_data_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, out, err = _run(_env(blocker / "data"), "org", "list")
    assert code == 1 and err.strip().splitlines() == [
        f"openpoam: cannot use {blocker / 'data'} as the data folder (Not a directory); set "
        "OPENPOAM_DATA_DIR to a folder you can write"]
