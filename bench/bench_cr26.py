"""Benchmark: a FedRAMP CR26 system, as a user runs it, one fresh process per command.

    python bench/bench_cr26.py [--findings 20000] [--repeat 3] [--databases sqlite postgres]

Fills the database with the product itself: creates a classic and a CR26 FedRAMP system,
imports the same synthetic Nessus scan (bench/gen_nessus.py, ~800 distinct weaknesses) into
each (the difference is the cost of recording CR26 detections and proposals), evaluates every
second vulnerability through the services, then times whole `openpoam fedramp` commands:
queue, overdue, accepted, the four reports (previews, so every run covers the same period),
and the quality checks and metrics of the CR26 system (which read the CR26 rules).
Reports best and median wall time, the best CPU time (steadier on a busy machine) and the peak
RSS of each command's own process.
Goals (2-core machine): each command under 3 s and 250 MB at 20,000 findings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
CLI = [sys.executable, "-c", "from openpoam.cli import main; main()"]
TIMED = [("fedramp queue", ["fedramp", "queue", "--json"]),
         ("fedramp overdue", ["fedramp", "overdue", "--json"]),
         ("fedramp accepted", ["fedramp", "accepted", "--json"]),
         ("report vdt", ["fedramp", "report", "vdt", "--preview", "-o", "{out}/vdt.json"]),
         ("report avi", ["fedramp", "report", "avi", "--preview", "-o", "{out}/avi.json"]),
         ("report mrh", ["fedramp", "report", "mrh", "--preview", "-o", "{out}/mrh.json"]),
         ("report mhr", ["fedramp", "report", "mhr", "--preview", "-o", "{out}/mhr.html"]),
         # The quality checks under the CR26 rules; exit 1 means error-level issues were found.
         ("check (CR26 rules)", ["check", "--json"]),
         ("metrics (CR26 forecast)", ["metrics", "--json"])]
FINDS_ERRORS = {"check"}
EVALUATE = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings"); django.setup()
from openpoam.tracker.models import Cr26Vulnerability
from openpoam.tracker.services import Actor, cr26
actor = Actor.command_line("bench")
for n, vuln in enumerate(Cr26Vulnerability.objects.select_related("item", "system__organization")
                         .order_by("pk")):
    if n % 2 == 0:
        cr26.evaluate(actor, vuln, rating=vuln.proposed_rating, lev=vuln.proposed_lev,
                      irv=vuln.proposed_irv, reason="benchmark evaluation")
"""

# The scheduled CR26 overdue notices (jobs/schedule.py "cr26-overdue"): the first pass tells
# the editors of every vulnerability whose deadline passed; the second finds nothing new.
NOTICES = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings"); django.setup()
from openpoam.jobs import schedule
result = schedule.run("cr26-overdue")
assert result["ok"], result
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--databases", nargs="+", default=["sqlite"])
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="openpoam-bench-cr26-"))
    scan = workdir / "scan.nessus"
    subprocess.run([sys.executable, str(HERE / "gen_nessus.py"), "--hosts",
                    str(max(1, args.findings // 100)), "--findings-per-host", "100", "--out",
                    str(scan), "--seed", "7"], check=True)
    for database in args.databases:
        _run(database, scan, workdir, args.repeat)
    return 0


def _run(database: str, scan: Path, workdir: Path, repeat: int) -> None:
    env = {**os.environ, "OPENPOAM_DATA_DIR": str(workdir / f"data-{database}"),
           "OPENPOAM_ORG": "bench"}
    name = None
    if database == "postgres":
        name = f"openpoam_bench_cr26_{os.getpid()}"
        _psql(f"create database {name}")
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    try:
        _command(["setup"], env)
        _command(["org", "create", "bench", "--name", "Bench"], env)
        for slug in ("classic", "cloud"):
            _command(["system", "create", slug, "--name", slug, "--framework",
                      "fedramp-moderate"], env)
        _command(["fedramp", "regime", "--system", "cloud", "--regime", "cr26", "--class", "C",
                  "--package-uri", "https://example.com/cpo"], env)
        rows = [_once("import, classic system", ["import", str(scan), "--system", "classic"], env),
                _once("import, CR26 system", ["import", str(scan), "--system", "cloud"], env)]
        subprocess.run([sys.executable, "-c", EVALUATE], env=env, check=True, cwd=REPO)
        _command(["user", "add", "ed", "--email", "ed@example.test"], env)
        _command(["member", "add", "ed", "--org", "bench", "--role", "editor"], env)
        rows += [_once(label, ["-c", NOTICES], env, python=True)
                 for label in ("CR26 notices, first pass", "CR26 notices, second pass")]
        for label, args in TIMED:
            args = [a.format(out=workdir) for a in args] + ["--system", "cloud"]
            ok = (0, 1) if args[0] in FINDS_ERRORS else (0,)
            runs = [_command(args, env, ok) for _ in range(repeat)]
            walls = [r[0] for r in runs]
            rows.append((label, min(walls), statistics.median(walls), min(r[1] for r in runs),
                         max(r[2] for r in runs)))
        _print(database, scan, rows)
    finally:
        if name:
            _psql(f"drop database if exists {name}")


def _command(args: list[str], env: dict, ok: tuple[int, ...] = (0,), python: bool = False
             ) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one fresh process running one command
    (``python``: ``args`` go to the interpreter instead)."""
    started = time.perf_counter()
    process = subprocess.Popen([*([sys.executable] if python else CLI), *args], env=env,
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"{' '.join(args)} failed: {process.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _once(label: str, args: list[str], env: dict, python: bool = False) -> tuple:
    wall, cpu, peak = _command(args, env, python=python)
    return label, wall, wall, cpu, peak


def _psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def _print(database: str, scan: Path, rows: list[tuple]) -> None:
    print(f"\n{database}, {scan.stat().st_size / 1e6:.0f} MB scan")
    print(f"{'step':26} {'best s':>7} {'median s':>9} {'cpu s':>6} {'peak MB':>8}")
    for label, best, median, cpu, peak in rows:
        print(f"{label:26} {best:>7.2f} {median:>9.2f} {cpu:>6.2f} {peak:>8.0f}")


if __name__ == "__main__":
    sys.exit(main())
