"""The installed `openpoam` run as a separate process, the way a user types it, against a
fresh data folder (and, when the suite runs on PostgreSQL, a fresh database of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from tests.cli.process import entry_point, free_port



@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class Openpoam:
    """``Openpoam(env)("item", "list", ...)`` -> Ran; never raises on a non-zero exit."""

    def __init__(self, env: dict) -> None:
        self.env = env

    def __call__(self, *args: str, timeout: int = 180) -> Ran:
        done = subprocess.run([str(entry_point()), *map(str, args)], env=self.env, text=True,
                              capture_output=True, timeout=timeout)
        return Ran(done.returncode, done.stdout, done.stderr)


def environment(data_dir: Path, database_url: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env["OPENPOAM_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


class fresh_database:
    """A PostgreSQL database of its own when the suite runs on PostgreSQL (dropped after);
    otherwise the data folder's SQLite file. Used as a context manager giving the URL."""

    def __init__(self) -> None:
        url = os.environ.get("DATABASE_URL", "")
        self.server = url if url.startswith(("postgres://", "postgresql://")) else ""
        # Named after the suite's own database, so that suites beside each other on one
        # server keep to their own names.
        base = urlparse(self.server).path.strip("/") or "openpoam" if self.server else ""
        self.name = f"{base}_proc_{uuid.uuid4().hex[:10]}"

    def _admin(self):
        import psycopg

        admin = urlparse(self.server)._replace(path="/postgres").geturl()
        return psycopg.connect(admin, autocommit=True)

    def __enter__(self) -> str:
        if not self.server:
            return ""
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return urlparse(self.server)._replace(path=f"/{self.name}").geturl()

    def __exit__(self, *exc) -> None:
        if self.server:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class serving:
    """``openpoam ARGS --port P`` started as a process until its "OpenPOAM on" line, stopped
    (by its own process id) when the block ends. ``lines``: what it printed before serving."""

    def __init__(self, env: dict, *args: str) -> None:
        self.env, self.args, self.port = env, args, free_port()
        self.lines: list[str] = []

    def __enter__(self) -> "serving":
        self.process = subprocess.Popen([str(entry_point()), *self.args, "--port", str(self.port)],
                                        env=self.env, text=True, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("OpenPOAM on http://"):
                return self
        raise AssertionError(f"the server did not start: {self.lines}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
