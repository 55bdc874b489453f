"""Benchmark: a month's Nessus scan into a system's POA&M, then next month's re-import.

    python bench/bench_import.py [--findings 100000 400000] [--databases sqlite postgres]

For each size, writes a synthetic .nessus (bench/gen_nessus.py: ~100 findings per
host) and a next-month file of the same scope (5% of findings gone, 5% new), then
for each database, in a fresh process each time so peak memory is that run's own:
- the bare streaming XML pass over the file (lxml iterparse, the floor),
- the first import (parse, reconcile, write with history),
- the re-import of the next month's file.
Reports wall and CPU time (steadier on a busy machine), findings per second, peak
RSS, and the import / bare-pass ratio in wall and in CPU time. For PostgreSQL the
CPU column counts this process only, not the server's work.
Goals (2-core machine): each import under 20 s at 100k findings, peak RSS under
400 MB at any size, import within 4x the bare pass.

PostgreSQL: a throwaway database on postgresql://postgres@127.0.0.1:5432 (or
$BENCH_POSTGRES_URL), dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        return _measure(*args.measure)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="openpoam-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for findings in args.findings:
        first, second = _generate(workdir, findings)
        bare = _child(["bare", str(first)], {})
        for database in args.databases:
            rows += _run_database(database, findings, first, second, bare, workdir)
    _print(rows)
    return 0


def _generate(workdir: Path, findings: int) -> tuple[Path, Path]:
    hosts = max(1, findings // 100)
    first = workdir / f"scan-{findings}.nessus"
    second = workdir / f"scan-{findings}-next.nessus"
    if not first.exists() or not second.exists():
        subprocess.run([sys.executable, str(HERE / "gen_nessus.py"), "--hosts", str(hosts),
                        "--findings-per-host", "100", "--out", str(first), "--next-month",
                        str(second), "--seed", "7"], check=True)
    return first, second


def _run_database(database: str, findings: int, first: Path, second: Path, bare: dict,
                  workdir: Path) -> list[dict]:
    env = {"OPENPOAM_DATA_DIR": str(workdir / f"data-{database}-{findings}")}
    name = None
    if database == "postgres":
        name = f"openpoam_bench_{os.getpid()}_{findings}"
        if not _pg(f"create database {name}"):
            print(f"PostgreSQL not reachable at {PG_BASE}: skipped", file=sys.stderr)
            return []
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    else:
        import shutil

        shutil.rmtree(env["OPENPOAM_DATA_DIR"], ignore_errors=True)
    try:
        _child(["setup"], env)
        rows = []
        for label, path in (("first import", first), ("re-import, next month", second)):
            run = _child(["import", str(path)], env)
            rows.append({"database": database, "findings": findings, "step": label,
                         **run, "bare_seconds": bare["seconds"],
                         "ratio": run["seconds"] / bare["seconds"],
                         "cpu_ratio": run["cpu_seconds"] / bare["cpu_seconds"]})
        return rows
    finally:
        if name:
            _pg(f"drop database if exists {name}")


def _pg(sql: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql)
        return True
    except psycopg.Error:
        return False


def _child(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", *args],
                         env={**os.environ, **env}, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure(mode: str, *rest: str) -> int:
    started = time.perf_counter()
    result: dict = {}
    if mode == "bare":
        result["findings_read"] = _bare_pass(Path(rest[0]))
    elif mode == "setup":
        _django()
        from django.core.management import call_command

        from openpoam.tracker.services import Actor, setup

        call_command("migrate", verbosity=0)
        actor = Actor.command_line("bench")
        org = setup.create_organization(actor, "bench", "Bench")
        setup.create_system(actor, org, slug="cloud", name="Cloud", framework="fedramp-moderate")
    else:
        result.update(_import(Path(rest[0])))
    result["seconds"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    return 0


def _bare_pass(path: Path) -> int:
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag="ReportItem",
                                      resolve_entities=False, no_network=True):
        count += 1
        element.clear(keep_tail=False)
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]
    return count


def _import(path: Path) -> dict:
    _django()
    from openpoam.tracker.models import System
    from openpoam.tracker.services import Actor, imports

    system = System.objects.get(slug="cloud")
    result = imports.import_file(Actor.command_line("bench"), system, path)
    counts = result.counts
    return {"findings_read": result.findings, "new": counts.new, "updated": counts.updated,
            "remediated": counts.remediated, "closed": counts.closed}


def _django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings")
    import django

    django.setup()


def _print(rows: list[dict]) -> None:
    header = (f"{'database':9} {'findings':>9} {'step':22} {'seconds':>8} {'cpu s':>6} "
              f"{'findings/s':>11} {'peak MB':>8} {'bare s':>7} {'x bare':>6} {'cpu x':>6}  "
              "changes")
    print(header)
    print("-" * len(header))
    for r in rows:
        changes = (f"new {r['new']}, updated {r['updated']}, remediated {r['remediated']}, "
                   f"closed {r['closed']}")
        print(f"{r['database']:9} {r['findings']:>9,} {r['step']:22} {r['seconds']:>8.1f} "
              f"{r['cpu_seconds']:>6.1f} {r['findings_read'] / r['seconds']:>11,.0f} "
              f"{r['peak_rss_mb']:>8.0f} {r['bare_seconds']:>7.1f} {r['ratio']:>6.1f} "
              f"{r['cpu_ratio']:>6.1f}  {changes}")


if __name__ == "__main__":
    sys.exit(main())
