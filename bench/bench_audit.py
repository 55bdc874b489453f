"""Benchmark: the audit trail's hash chain at import size.

    python bench/bench_audit.py [--events 100000] [--databases sqlite postgres] [--runs 3]

For each database, in a fresh process each step:
- set-up through the product (`openpoam setup`, `org create`, `system create`, `item add`);
- one Recorder.save() of N events on one item (what a batched import of N changes writes:
  chain head locked once, hashes computed in one pass, rows bulk-inserted);
- `openpoam history verify --org bench`, the whole command, --runs times;
- `openpoam history checkpoint` and `history verify --checkpoint` (issue 20), --runs times.
Reports best and median wall time and peak RSS. Goals (2-core machine): the save of
100,000 events under 10 s, verify of them under 10 s, peak RSS under 400 MB.

PostgreSQL: a throwaway database on postgresql://postgres@127.0.0.1:5432 (or
$BENCH_POSTGRES_URL), dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_import import PG_BASE, _pg  # noqa: E402  (one throwaway-database helper)
CLI = [sys.executable, "-c", "from openpoam.cli import main; main()"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.record:
        return _record(args.record)
    for database in args.databases:
        _bench(database, args.events, args.runs)
    return 0


def _bench(database: str, events: int, runs: int) -> None:
    env = {**os.environ, "OPENPOAM_DATA_DIR": tempfile.mkdtemp(prefix="openpoam-bench-audit-")}
    name = None
    if database == "postgres":
        name = f"openpoam_bench_audit_{os.getpid()}"
        if not _pg(f"create database {name}"):
            print(f"PostgreSQL not reachable at {PG_BASE}: skipped", file=sys.stderr)
            return
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    try:
        for args in (["setup"], ["org", "create", "bench", "--name", "Bench"],
                     ["system", "create", "cloud", "--org", "bench", "--name", "Cloud",
                      "--framework", "fedramp-moderate"],
                     ["item", "add", "--org", "bench", "--title", "Bench item",
                      "--detected", "2026-01-01"]):
            subprocess.run(CLI + args, env=env, check=True, capture_output=True)
        save = _timed([sys.executable, __file__, "--record", str(events)], env)
        print(f"{database}: Recorder.save of {events:,} events: "
              f"{json.loads(save['stdout'])['save_seconds']:.1f} s "
              f"(process {save['seconds']:.1f} s, peak {save['peak_mb']:.0f} MB)")
        verifies = [_timed(CLI + ["history", "verify", "--org", "bench"], env)
                    for _ in range(runs)]
        seconds = [v["seconds"] for v in verifies]
        print(f"{database}: history verify ({verifies[0]['stdout'].strip()}): best "
              f"{min(seconds):.1f} s, median {statistics.median(seconds):.1f} s, peak "
              f"{max(v['peak_mb'] for v in verifies):.0f} MB")
        _checkpoints(database, env, runs)
    finally:
        if name:
            _pg(f"drop database if exists {name}")


def _checkpoints(database: str, env: dict, runs: int) -> None:
    """`history checkpoint` and `history verify --checkpoint` on the same chain."""
    checkpoint = Path(env["OPENPOAM_DATA_DIR"]) / "checkpoint.json"
    steps = {"history checkpoint": ["history", "checkpoint", "--org", "bench", "--output",
                                    str(checkpoint)],
             "history verify --checkpoint": ["history", "verify", "--org", "bench",
                                             "--checkpoint", str(checkpoint)]}
    for label, args in steps.items():
        timed = [_timed(CLI + args, env) for _ in range(runs)]
        seconds = [t["seconds"] for t in timed]
        print(f"{database}: {label}: best {min(seconds):.1f} s, median "
              f"{statistics.median(seconds):.1f} s, peak "
              f"{max(t['peak_mb'] for t in timed):.0f} MB"
              + (f", file {checkpoint.stat().st_size / 1024:.0f} KiB"
                 if label == "history checkpoint" else ""))


def _timed(command: list[str], env: dict) -> dict:
    """Run one step in a fresh process; its wall time and peak RSS (wait4's rusage)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return {"seconds": time.perf_counter() - started, "peak_mb": usage.ru_maxrss / 1024,
            "stdout": stdout}


def _record(count: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings")
    import django

    django.setup()
    from openpoam.tracker.models import PoamItem
    from openpoam.tracker.services import Actor
    from openpoam.tracker.services.history import Recorder

    item = PoamItem.objects.get()
    recorder = Recorder(Actor.command_line("bench"))
    for n in range(count):
        recorder.add(item, "update", field_name="comments", old=f"note {n}", new=f"note {n + 1}",
                     justification="bench")
    started = time.perf_counter()
    recorder.save()
    print(json.dumps({"save_seconds": time.perf_counter() - started,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
