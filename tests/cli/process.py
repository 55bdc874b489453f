"""The installed `openpoam` entry point run as a subprocess, as a user runs it.

In-process runs share one configured Django; a process starts cold, so faults that only show
before Django is set up (a `--help` that reads the models) are seen only here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def entry_point() -> Path:
    """The `openpoam` script installed beside the interpreter running the suite."""
    found = Path(sys.executable).parent / "openpoam"
    if not found.exists():
        found = Path(shutil.which("openpoam") or found)
    if not found.exists():
        pytest.skip("the `openpoam` entry point is not installed beside this Python")
    return found


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The user's environment with a data folder of its own; the checkout's code first."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "OPENPOAM_USER", "OPENPOAM_ORG"}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["OPENPOAM_DATA_DIR"] = str(data_dir)
    env["COLUMNS"] = "80"
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path | None = None,
        timeout: float = 240, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(entry_point()), *args], env=env, cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`openpoam serve` (or `start`) on a free port, stopped by ``stop``."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.port = free_port()
        self.log = (cwd or Path(env["OPENPOAM_DATA_DIR"])) / f"server-{self.port}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(entry_point()), *args, "--port", str(self.port)], env=env, cwd=cwd,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait()

    def _wait(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server ended: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/api/v1/openapi.json", timeout=5).read()
                return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise AssertionError(f"server did not answer: {self.log.read_text()[-2000:]}")

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def fresh_env(new_env):
    return new_env()


@pytest.fixture
def new_env(tmp_path):
    """``new_env()``: a fresh data folder and, when the suite runs on PostgreSQL, a fresh
    empty database of its own (dropped afterwards): what a user starts from."""
    made: list[str] = []
    url = os.environ.get("DATABASE_URL", "")
    base, _, name = url.rpartition("/")

    def make() -> dict[str, str]:
        data = tmp_path / f"data{len(made)}"
        data.mkdir()
        if not url.startswith("postgres"):
            made.append(str(data))
            return environment(data)
        import psycopg

        fresh = f"{name}_proc_{os.getpid()}_{len(made)}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{fresh}"')
        made.append(fresh)
        return environment(data, DATABASE_URL=f"{base}/{fresh}")

    yield make
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for fresh in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
