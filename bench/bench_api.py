"""Benchmark: whole HTTP requests to the REST API against a POA&M the product filled itself.

    python bench/bench_api.py [--findings 100000] [--databases sqlite postgres] [--runs 5]

Fills a database the way a user would (the `openpoam` command: setup, org, system, the
import of a synthetic month of Nessus findings, a token), starts `openpoam serve`, then
times each request with curl, a fresh client process per request, several runs each.
Reports best and median seconds per request and the server's peak RSS at the end.
Goals (2-core machine): a page of 50 items, an item, metrics and history pages under
0.5 s; the server's peak RSS under 400 MB.

PostgreSQL: a throwaway database on postgresql://postgres@127.0.0.1:5432 (or
$BENCH_POSTGRES_URL), dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_import import PG_BASE, _pg  # one way to make and drop the throwaway database

HERE = Path(__file__).resolve().parent
OPENPOAM = Path(sys.executable).parent / "openpoam"
SYSTEM = "orgs/bench/systems/cloud"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="openpoam-bench-api-"))
    workdir.mkdir(parents=True, exist_ok=True)
    scan, next_month = _generate(workdir, args.findings)
    for database in args.databases:
        env = _database_env(database, workdir, args.findings)
        if env is None:
            print(f"PostgreSQL not reachable at {PG_BASE}: skipped", file=sys.stderr)
            continue
        try:
            secret, items = _fill(env, scan)
            rows, peak = _serve_and_time(env, secret, next_month, args.runs)
            _print(database, args.findings, items, rows, peak)
        finally:
            if "DATABASE_URL" in env:
                _pg(f"drop database if exists {env['DATABASE_URL'].rsplit('/', 1)[1]}")
    return 0


def _generate(workdir: Path, findings: int) -> tuple[Path, Path]:
    first, second = workdir / f"scan-{findings}.nessus", workdir / f"scan-{findings}-next.nessus"
    if not first.exists():
        subprocess.run([sys.executable, str(HERE / "gen_nessus.py"), "--hosts",
                        str(max(1, findings // 100)), "--findings-per-host", "100", "--out",
                        str(first), "--next-month", str(second), "--seed", "7"], check=True)
    return first, second


def _database_env(database: str, workdir: Path, findings: int) -> dict | None:
    env = {**os.environ, "OPENPOAM_DATA_DIR": str(workdir / f"data-{database}-{findings}"),
           "OPENPOAM_API_RATE_LIMIT": "100000/min"}
    if database == "postgres":
        name = f"openpoam_bench_api_{os.getpid()}"
        if not _pg(f"create database {name}"):
            return None
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    return env


def _cli(env: dict, *args: str) -> str:
    done = subprocess.run([str(OPENPOAM), *args], env=env, check=True, capture_output=True,
                          text=True)
    return done.stdout


def _fill(env: dict, scan: Path) -> tuple[str, int]:
    _cli(env, "setup")
    _cli(env, "org", "create", "bench", "--name", "Bench")
    _cli(env, "system", "create", "cloud", "--org", "bench", "--name", "Cloud",
         "--framework", "fedramp-moderate")
    _cli(env, "import", str(scan), "--org", "bench", "--system", "cloud")
    # No `member add` command yet: the user and membership through the services.
    subprocess.run([sys.executable, "-c", (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'openpoam.settings');"
        "django.setup();"
        "from django.contrib.auth import get_user_model;"
        "from openpoam.tracker.models import Organization;"
        "from openpoam.tracker.services import Actor, setup;"
        "user = get_user_model().objects.create_user('bench', password=None);"
        "setup.add_member(Actor.command_line('bench'), Organization.objects.get(slug='bench'),"
        " user, 'editor')")], env=env, check=True)
    secret = _cli(env, "token", "create", "--user", "bench", "--org", "bench", "--name",
                  "bench").strip().splitlines()[-1]
    items = json.loads(_cli(env, "item", "list", "--org", "bench", "--json"))["items"]
    return secret, len(items)


def _serve_and_time(env: dict, secret: str, next_month: Path, runs: int):
    port = _free_port()
    server = subprocess.Popen([str(OPENPOAM), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1/"
    try:
        _wait(port)
        first_id = _first_item(base, secret)
        steps = [
            ("items, page of 50", ["GET", f"{SYSTEM}/items?limit=50"]),
            ("items, page of 500", ["GET", f"{SYSTEM}/items?limit=500"]),
            ("items, delayed, 50", ["GET", f"{SYSTEM}/items?status=delayed&limit=50"]),
            ("items, by due date, 50", ["GET", f"{SYSTEM}/items?sort=due&limit=50"]),
            ("one item", ["GET", f"orgs/bench/items/{first_id}"]),
            ("system history, 500", ["GET", f"{SYSTEM}/history?limit=500"]),
            ("metrics", ["GET", f"{SYSTEM}/metrics"]),
            ("quality checks", ["GET", f"{SYSTEM}/checks"]),
            ("export oscal-json", ["GET", f"{SYSTEM}/exports/oscal-json"]),
            ("import next month, dry run", ["POST", f"{SYSTEM}/imports",  # in the request
                                            f"file=@{next_month}", "dry_run=true",
                                            "wait=true"]),
        ]
        rows = [(label, _time(base, secret, spec, runs)) for label, spec in steps]
        return rows, _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _first_item(base: str, secret: str) -> str:
    out = subprocess.run(["curl", "-sf", "-H", f"Authorization: Bearer {secret}",
                          f"{base}{SYSTEM}/items?limit=1"], check=True, capture_output=True)
    return json.loads(out.stdout)["items"][0]["poam_id"]


def _time(base: str, secret: str, spec: list[str], runs: int) -> list[float]:
    method, path, *form = spec
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-X", method,
               "-H", f"Authorization: Bearer {secret}", f"{base}{path}"]
    for field in form:
        command += ["-F", field]
    times = []
    for _ in range(runs):
        code, seconds = subprocess.run(command, check=True, capture_output=True,
                                       text=True).stdout.split()
        if not code.startswith("2"):
            raise RuntimeError(f"{method} {path}: HTTP {code}")
        times.append(float(seconds))
    return times


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _print(database: str, findings: int, items: int, rows, peak: float) -> None:
    print(f"\n{database}: {findings:,} findings -> {items:,} items; server peak RSS {peak:.0f} MB")
    print(f"{'request':28} {'best s':>8} {'median s':>9}")
    for label, times in rows:
        print(f"{label:28} {min(times):>8.3f} {statistics.median(times):>9.3f}")


if __name__ == "__main__":
    sys.exit(main())
