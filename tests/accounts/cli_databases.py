"""Running the installed `openpoam` as a subprocess against a fresh database of its own:
an SQLite data folder, or a new PostgreSQL database made for the test and dropped after."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

SCRIPT = Path(sys.executable).with_name("openpoam")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c",
                                                   "from openpoam.cli import main; main()"]
BACKENDS = ["sqlite", "postgresql"]


def postgresql_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL only: DATABASE_URL is not a PostgreSQL database")
    return url


def admin_url() -> str:
    return urlparse(postgresql_url())._replace(path="/postgres").geturl()


@contextmanager
def fresh_database(backend: str, data_dir: Path, template: dict | None = None):
    """The environment of a subprocess using a database nobody else uses: empty, or a copy
    of ``template`` (another such environment: its data folder and database)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["OPENPOAM_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "openpoam.settings"
    if template is not None:
        shutil.copytree(template["OPENPOAM_DATA_DIR"], data_dir)
    if backend == "sqlite":
        yield env
        return
    import psycopg

    name = f"openpoam_audit_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{urlparse(template["DATABASE_URL"]).path[1:]}"' if template else ""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    env["DATABASE_URL"] = urlparse(postgresql_url())._replace(path=f"/{name}").geturl()
    try:
        yield env
    finally:
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(env: dict, *args, check: bool = False) -> subprocess.CompletedProcess:
    done = subprocess.run([*COMMAND, *(str(a) for a in args)], env=env, text=True,
                          capture_output=True, timeout=300)
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def python(env: dict, code: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], env=env, text=True,
                          capture_output=True, timeout=300)
