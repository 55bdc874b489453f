"""Benchmark: the portfolio page over HTTP for a consultant in 50 organizations.

    python bench/bench_portfolio.py [--orgs 50] [--systems 5] [--items 2000]
                                    [--databases sqlite postgres] [--requests 20]
                                    [--keep --workdir DIR --pg-name NAME] [--cold N]

For each database, in fresh processes: `openpoam setup`, then one fill process that makes
``--orgs`` organizations of ``--systems`` systems each through the product's own services
(setup.create_organization / create_system, and imports.import_file of a Nessus scan of
``--items`` findings into every system: ``--orgs x --systems x --items`` POA&M items; the
scan's own dates leave about two in five overdue), gives 20 items of each system an owner,
10 a new date and 5 a milestone through the bulk and milestone services, records a CMMC
assessment on the CMMC systems, and a consultant account that is a member of every
organization. Then `openpoam serve` in a subprocess, and whole HTTP requests of
``/portfolio/`` signed in as the consultant (a session made for it), timed: first, best,
median, p95. Goal: p95 under 500 ms at 50 x 5 x 2,000.

PostgreSQL: a throwaway database on postgresql://postgres@127.0.0.1:5432 (or
$BENCH_POSTGRES_URL), analyzed after the fill (as autovacuum would), dropped afterwards.

The fill of the full size takes about an hour per database. With ``--keep --workdir DIR``
(and ``--pg-name NAME``) the filled databases stay, and a later run with the same options
reuses them (it only serves and times): the first request after the server starts is then
the cold one (fresh process, empty cache). ``--cold N`` starts the server N more times and
times its first /portfolio/ and /my-work/ (median and p95 of the cold requests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from bench_web import (OPENPOAM, PG_BASE, _free_port, _get, _peak_rss_mb, _pg,  # noqa: E402
                       _wait, write_scan)

GOAL_SECONDS = 0.5
FRAMEWORKS = ("cmmc-l2", "fedramp-moderate", "nist-800-171", "fedramp-high", "cmmc-l2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true",
                        help="keep the filled databases and reuse them on the next run")
    parser.add_argument("--pg-name", help="PostgreSQL database name (default: per process)")
    parser.add_argument("--cold", type=int, default=0, metavar="N",
                        help="also start the server N more times and time its first requests")
    parser.add_argument("--fill", nargs=4, help=argparse.SUPPRESS)  # scan orgs systems items
    args = parser.parse_args(argv)
    if args.fill:
        return _fill(Path(args.fill[0]), *map(int, args.fill[1:]))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="openpoam-bench-portfolio-"))
    workdir.mkdir(parents=True, exist_ok=True)
    scan = workdir / f"scan-{args.items}.nessus"
    if not scan.exists():
        write_scan(scan, args.items)
    for database in args.databases:
        _run(database, scan, args, workdir)
    return 0


def _run(database: str, scan: Path, args, workdir: Path) -> None:
    env = {**os.environ, "OPENPOAM_DATA_DIR": str(workdir / f"data-{database}"),
           "PYTHONPATH": str(REPO)}
    filled = Path(env["OPENPOAM_DATA_DIR"]) / "bench-filled.txt"  # the session cookie
    name = None
    if database == "postgres":
        name = args.pg_name or f"openpoam_bench_portfolio_{os.getpid()}"
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    if args.keep and filled.exists():
        print(f"\n{database}: reusing the database filled earlier ({filled.parent})")
        _serve_and_time(env, filled.read_text().strip(), args.requests)
        _cold(env, filled.read_text().strip(), args.cold)
        return
    shutil.rmtree(env["OPENPOAM_DATA_DIR"], ignore_errors=True)
    if name:
        _pg(f"drop database if exists {name}")
        if not _pg(f"create database {name}"):
            print(f"PostgreSQL not reachable at {PG_BASE}: skipped", file=sys.stderr)
            return
    try:
        subprocess.run([*OPENPOAM, "setup"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--fill", str(scan), str(args.orgs),
                               str(args.systems), str(args.items)], env=env, check=True,
                              stdout=subprocess.PIPE, text=True)  # progress on stderr
        cookie = done.stdout.strip().splitlines()[-1]
        total = args.orgs * args.systems * args.items
        print(f"\n{database}: {args.orgs} organizations x {args.systems} systems x "
              f"{args.items:,} items = {total:,} items, filled in "
              f"{time.perf_counter() - started:.0f} s")
        if name:
            _pg("vacuum analyze", database=name)
        if args.keep:
            filled.write_text(cookie)
        _serve_and_time(env, cookie, args.requests)
        _cold(env, cookie, args.cold)
    finally:
        if name and not args.keep:
            _pg(f"drop database if exists {name}")


def _fill(scan: Path, orgs: int, systems: int, items: int) -> int:
    """In one process (the import of one scan per system through the service)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from openpoam.tracker.models import PoamItem
    from openpoam.tracker.services import Actor, assessments, bulk_edit, imports, setup
    from openpoam.tracker.services import milestones as milestone_services

    admin = Actor.command_line("bench")
    consultant = get_user_model().objects.create_user("consultant", "c@example.test", None)
    today = timezone.localdate()
    for o in range(orgs):
        org = setup.create_organization(admin, f"client-{o:02d}", f"Client {o:02d}")
        setup.add_member(admin, org, consultant, "editor")
        person = setup.add_person(admin, org, "Pat Owner", user=consultant)
        for s in range(systems):
            framework = FRAMEWORKS[s % len(FRAMEWORKS)]
            system = setup.create_system(admin, org, slug=f"sys-{s}", name=f"System {s}",
                                         framework=framework)
            imports.import_file(admin, system, scan)
            if framework.startswith("cmmc"):
                assessments.record_assessment(admin, system, {
                    "level": 2, "assessment_type": "Self", "status_date":
                        (today - timedelta(days=30)).isoformat(),
                    "results": {"3.1.3": "not_met", "3.5.3": "not_met"}})
            # A few changes through the item services: owners, late dates, late steps.
            some = list(PoamItem.objects.filter(system=system).order_by("pk")[:40])
            bulk_edit.change_all(admin, some[:20], bulk_edit.Plan(set_owner=True, owner=person),
                                 "bench triage")
            bulk_edit.change_all(admin, some[20:30], bulk_edit.Plan(
                scheduled_completion=today + timedelta(days=10)), "bench triage")
            for item in some[30:35]:
                milestone_services.add_milestone(admin, item, "First step",
                                                 today + timedelta(days=3), person)
        print(f"organization {o + 1}/{orgs}", file=sys.stderr, flush=True)
    session = SessionStore()
    session[SESSION_KEY] = str(consultant.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = consultant.get_session_auth_hash()
    session.create()
    print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return 0


def _serve_and_time(env: dict, cookie: str, count: int) -> None:
    port = _free_port()
    server = subprocess.Popen([*OPENPOAM, "serve", "--port", str(port), "--threads", "4"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        print(f"{'page':36} {'first s':>7} {'best s':>7} {'median':>7} {'p95 s':>7} {'KB':>6}")
        for label, path in (("portfolio (most overdue first)", "/portfolio/"),
                            ("portfolio sorted by SPRS score", "/portfolio/?sort=score"),
                            ("my work", "/my-work/")):
            first = _get(base, path, cookie)[0]
            times, size, statuses = [], 0, set()
            for _ in range(count):
                seconds, size, status = _get(base, path, cookie)
                times.append(seconds)
                statuses.add(status)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            verdict = "ok" if p95 < GOAL_SECONDS and statuses == {200} else "MISSED"
            print(f"{label:36} {first:7.3f} {times[0]:7.3f} {statistics.median(times):7.3f} "
                  f"{p95:7.3f} {size / 1024:6.0f}  {verdict} (p95 < {GOAL_SECONDS * 1000:.0f} ms)"
                  f"{'' if statuses == {200} else f' statuses {sorted(statuses)}'}")
        print(f"server peak RSS: {_peak_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=20)


def _cold(env: dict, cookie: str, runs: int) -> None:
    """The first requests of a fresh server process (nothing cached in it): the portfolio,
    then My work, ``runs`` times."""
    if runs < 1:
        return
    times: dict[str, list[float]] = {"/portfolio/": [], "/my-work/": []}
    for _ in range(runs):
        port = _free_port()
        server = subprocess.Popen([*OPENPOAM, "serve", "--port", str(port), "--threads", "4"],
                                  env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            for path, seen in times.items():
                seconds, _, status = _get(base, path, cookie)
                if status != 200:
                    raise RuntimeError(f"{path}: HTTP {status}")
                seen.append(seconds)
        finally:
            server.terminate()
            server.wait(timeout=20)
    for path, seen in times.items():
        seen.sort()
        p95 = seen[min(len(seen) - 1, int(len(seen) * 0.95))]
        print(f"cold {path:31} runs {runs:3}  best {seen[0]:.3f}  median "
              f"{statistics.median(seen):.3f}  p95 {p95:.3f}")


if __name__ == "__main__":
    sys.exit(main())
