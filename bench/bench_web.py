"""Benchmark: the web pages over HTTP at 100,000 POA&M items.

    python bench/bench_web.py [--items 100000] [--databases sqlite postgres] [--requests 40]

For each database, in fresh processes: writes a Nessus scan with ``--items`` distinct
plugin IDs (one POA&M item each, ~1.1 assets per item), fills the database with the
product's own commands (``openpoam setup``, ``org create``, ``system create``,
``import``), starts ``openpoam serve`` in a subprocess and times whole HTTP requests
against it, signed in with a session made for a bench user. Reports per page: the
first request (which fills caches), then best, median and p95 seconds of the timed
requests, the page size, and the server's peak memory.

Goals: list page (no filter, common filters, a search) p95 < 150 ms and < 200 KB;
item page p95 < 100 ms; dashboard and quality checks < 1 s.

PostgreSQL: a throwaway database on postgresql://postgres@127.0.0.1:5432 (or
$BENCH_POSTGRES_URL), vacuumed and analyzed after the import (as autovacuum would be),
dropped afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
OPENPOAM = [str(Path(sys.executable).parent / "openpoam")]
PRODUCTS = ("OpenSSL", "Apache HTTP Server", "nginx", "OpenSSH", "Microsoft Edge", "PHP",
            "MySQL", "PostgreSQL", "Oracle Java SE", "Samba", "VMware Tools", "curl", "sudo",
            "glibc", "Linux kernel", "Apache Tomcat", "Microsoft Office", "7-Zip", "Node.js")
GOALS = {"list": (0.150, 200_000), "item": (0.100, None), "dashboard": (1.0, None),
         "checks": (1.0, None)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true",
                        help="keep the PostgreSQL database (named on the output) afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="time the pages on the database a previous run left in "
                             "--workdir (PostgreSQL: --pg-name, kept with --keep; no new import)")
    parser.add_argument("--pg-name", help="the PostgreSQL database's name (default: one per run)")
    parser.add_argument("--session", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.session:
        return _make_session(args.session[0])
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="openpoam-bench-web-"))
    workdir.mkdir(parents=True, exist_ok=True)
    scan = workdir / f"scan-{args.items}.nessus"
    if not scan.exists():
        write_scan(scan, args.items)
    for database in args.databases:
        _run_database(database, scan, args, workdir)
    return 0


# ---- the scan -------------------------------------------------------------------------------

def write_scan(path: Path, items: int, seed: int = 11) -> None:
    """A .nessus with ``items`` distinct plugin IDs over items/100 hosts; every tenth
    plugin is also found on a second host. Streams: memory stays small."""
    rng = random.Random(seed)
    hosts = max(1, items // 100)
    by_host: list[list[int]] = [[] for _ in range(hosts)]
    for n in range(items):
        by_host[n % hosts].append(n)
        if n % 10 == 0:
            by_host[(n + 7) % hosts].append(n)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0"?>\n<NessusClientData_v2><Report name="bench">\n')
        for h, plugins in enumerate(by_host):
            ip = f"10.{h // 65536 % 256}.{h // 256 % 256}.{h % 256}"
            out.write(f'<ReportHost name="{ip}"><HostProperties>'
                      f'<tag name="HOST_START">Mon Jun  3 10:00:00 2024</tag>'
                      f'<tag name="host-ip">{ip}</tag>'
                      f'<tag name="host-fqdn">host{h:05d}.plant.example</tag></HostProperties>\n')
            for n in plugins:
                out.write(_item(n, rng))
            out.write("</ReportHost>\n")
        out.write("</Report></NessusClientData_v2>\n")


def _item(n: int, rng: random.Random) -> str:
    product = PRODUCTS[n % len(PRODUCTS)]
    severity = 1 + n % 4
    risk = ("Low", "Medium", "High", "Critical")[severity - 1]
    version = f"{1 + n % 9}.{n % 13}.{n % 7}"
    return (f'<ReportItem port="443" svc_name="www" protocol="tcp" severity="{severity}" '
            f'pluginID="{200000 + n}" pluginName="{product} &lt; {version} Multiple '
            f'Vulnerabilities ({n})" pluginFamily="General"><risk_factor>{risk}</risk_factor>'
            f"<synopsis>The remote host runs {product} older than {version}.</synopsis>"
            f"<description>The version of {product} installed is affected by several "
            f"flaws (advisory {n}).</description><solution>Upgrade {product}.</solution>"
            f"<cve>CVE-2024-{10000 + n}</cve><plugin_output>Installed: {version}"
            f"</plugin_output></ReportItem>\n")


# ---- filling the database and serving -------------------------------------------------------

def _run_database(database: str, scan: Path, args, workdir: Path) -> None:
    env = {**os.environ, "OPENPOAM_DATA_DIR": str(workdir / f"data-{database}"),
           "PYTHONPATH": str(REPO)}
    name = None
    if args.reuse and database == "postgres":
        if not args.pg_name:
            print("PostgreSQL: --reuse needs --pg-name (the database a --keep run left)",
                  file=sys.stderr)
            return
        env["DATABASE_URL"] = f"{PG_BASE}/{args.pg_name}"
    if args.reuse and Path(env["OPENPOAM_DATA_DIR"]).exists():
        cookie = subprocess.run([sys.executable, __file__, "--session", "bench"], env=env,
                                check=True, capture_output=True, text=True).stdout.strip()
        _serve_and_time(env, cookie, args.requests, args.items)
        return
    shutil.rmtree(env["OPENPOAM_DATA_DIR"], ignore_errors=True)
    if database == "postgres":
        name = args.pg_name or f"openpoam_bench_web_{os.getpid()}"
        print(f"PostgreSQL database: {PG_BASE}/{name}")
        if not _pg(f"create database {name}"):
            print(f"PostgreSQL not reachable at {PG_BASE}: skipped", file=sys.stderr)
            return
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    try:
        for command in (["setup"], ["org", "create", "bench", "--name", "Bench"],
                        ["system", "create", "cloud", "--org", "bench", "--name", "Cloud",
                         "--framework", "fedramp-moderate"]):
            subprocess.run([*OPENPOAM, *command], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run([*OPENPOAM, "import", str(scan), "--org", "bench", "--system", "cloud"],
                       env=env, check=True, capture_output=True)
        print(f"\n{database}: imported {args.items:,} items in "
              f"{time.perf_counter() - started:.1f} s")
        if name:
            # What autovacuum does minutes after a bulk import; the test server here runs
            # with autovacuum off, and without statistics the planner guesses 31 rows.
            _pg("vacuum analyze", database=name)
        cookie = subprocess.run([sys.executable, __file__, "--session", "bench"], env=env,
                                check=True, capture_output=True, text=True).stdout.strip()
        _serve_and_time(env, cookie, args.requests, args.items)
    finally:
        if name and not args.keep:
            _pg(f"drop database if exists {name}")


def _make_session(username: str) -> int:
    """Print a session cookie for a superuser ``username`` (made if missing)."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.filter(username=username).first() or \
        get_user_model().objects.create_superuser(username, "", None)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_time(env: dict, cookie: str, count: int, items: int) -> None:
    port = _free_port()
    server = subprocess.Popen([*OPENPOAM, "serve", "--port", str(port), "--threads", "4"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        _time_pages(base, cookie, count, server.pid, items)
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait(base: str) -> None:
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/login/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _get(base: str, path: str, cookie: str) -> tuple[float, int, int]:
    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return time.perf_counter() - started, len(body), status


def _time_pages(base: str, cookie: str, count: int, pid: int, items: int) -> None:
    system = "/org/bench/system/cloud/"
    ids = [f"POAM-2024-{n:04d}" for n in random.Random(3).sample(range(1, items + 1), count)]
    pages = [
        ("list", "list, no filter", [system]),
        ("list", "list, open + high risk", [system + "?status=active&risk=high"]),
        ("list", "list, overdue, sorted by due", [system + "?overdue=1&sort=due"]),
        ("list", "list, delayed", [system + "?status=delayed"]),
        ("list", "list, search 'openssl'", [system + "?q=openssl"]),
        ("list", "list, search 'nginx 4.5'", [system + "?q=nginx+4.5"]),
        ("list", "list, page 1000 (OFFSET)", [system + "?page=1000"]),
        *[("list", f"list, page 1999 by cursor, {sort}",
           [system + _next_link(base, cookie, f"{system}?sort={sort}&page=1998")])
          for sort in ("id", "due", "-risk")],
        ("item", "item page", [f"{system}items/{i}/" for i in ids]),
        ("dashboard", "dashboard", [system + "dashboard/"]),
        ("checks", "quality checks", [system + "checks/"]),
    ]
    print(f"{'page':32} {'first s':>7} {'best s':>7} {'median':>7} {'p95 s':>7} {'KB':>7}  goal")
    for kind, label, paths in pages:
        rounds = count if kind in ("list", "item") else max(3, count // 8)
        first = _get(base, paths[0], cookie)[0]  # the first request fills caches
        times, size, statuses = [], 0, set()
        for n in range(rounds):
            seconds, size, status = _get(base, paths[n % len(paths)], cookie)
            times.append(seconds)
            statuses.add(status)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        limit, max_size = GOALS[kind]
        ok = p95 < limit and (max_size is None or size < max_size) and statuses == {200}
        print(f"{label:32} {first:7.3f} {times[0]:7.3f} {statistics.median(times):7.3f} {p95:7.3f} "
              f"{size / 1024:7.0f}  {'ok' if ok else 'MISSED'} (p95 < {limit * 1000:.0f} ms"
              f"{f', < {max_size // 1000} KB' if max_size else ''})"
              f"{'' if statuses == {200} else f' statuses {sorted(statuses)}'}")
    print(f"server peak RSS: {_peak_rss_mb(pid):.0f} MB")


def _next_link(base: str, cookie: str, path: str) -> str:
    """The Next link of a page: a keyset cursor, as a user paging that far would hold."""
    import re
    from html import unescape

    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=120) as response:
        html = response.read().decode()
    return unescape(re.search(r'<a href="([^"]+)" rel="next"', html).group(1))


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pg(sql: str, database: str = "postgres") -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_BASE}/{database}", autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql)
        return True
    except psycopg.Error:
        return False


if __name__ == "__main__":
    sys.exit(main())
