"""Benchmark: three months of a FedRAMP-size Nessus scan, each the whole `openpoam import`.

    python bench/bench_monthly.py [--hosts 1000] [--per-host 100] [--rounds 1]
                                  [--databases sqlite postgres] [--hostile-mb 300]
    python bench/bench_monthly.py --files m1.nessus m2.nessus --hostile-mb 0 --bare 2 --rounds 3

Writes three monthly scans of the same hosts with bench/gen_nessus.py (month 2 drops
about 5% of month 1's findings and adds 5% new ones, month 3 does the same to month 2:
items close, assets are remediated, new items appear), then, on a database the
product set up itself (`openpoam setup`, `org create`, `system create`), runs as
separate processes, each measured from outside (wall time and peak RSS by wait4):
- `openpoam import` of month 1, month 2, month 3;
- month 3 again (recognised by its SHA-256: no change, no second record);
- a hostile file: a well-formed .nessus of --hostile-mb MB holding no host and no
  finding (refused; memory must stay bounded all the same).
With --rounds N the whole sequence runs N times on fresh databases and each step
reports best and median wall time, the least and the median CPU time (user + system:
steadier on a busy machine) and the highest peak RSS. Each import starts after `sync`
and a second's pause, so the step before has put its writes on disk. Goals: peak RSS
under 400 MB for every step.
--files uses these scans (in order) instead of generated ones. --bare N runs the bare
streaming pass over the first file (bench_import.py --measure bare: lxml iterparse, the
floor) N times before each round, and each step's median CPU is then also given as a
multiple of the bare pass's median (goal for a scan import: at most 4x).

PostgreSQL: a throwaway database on postgresql://postgres@127.0.0.1:5432 (or
$BENCH_POSTGRES_URL), dropped afterwards.
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
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
OPENPOAM = [sys.executable, "-c", "import sys; from openpoam.cli import main; sys.exit(main())"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--per-host", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--databases", nargs="+", default=["sqlite"])
    parser.add_argument("--hostile-mb", type=int, default=300, help="0 leaves it out")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--files", type=Path, nargs="+", help="these scans, not generated ones")
    parser.add_argument("--bare", type=int, default=0, help="bare passes before each round")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="openpoam-monthly-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.files:
        files = [(f"month {n} ({path.name})", path) for n, path in enumerate(args.files, 1)]
    else:
        files = _generate(workdir, args.hosts, args.per_host)
    if args.hostile_mb:
        files.append(("hostile file (refused)", _hostile(workdir, args.hostile_mb)))
    for database in args.databases:
        bare, runs = [], []
        for number in range(args.rounds):
            bare += [_bare(files[0][1]) for _ in range(args.bare)]
            runs.append(_round(database, files, workdir, number))
        _print(database, files, runs, bare)
    return 0


def _bare(path: Path) -> float:
    """CPU seconds of one bare streaming pass over ``path``, in its own process."""
    out = subprocess.run([sys.executable, str(HERE / "bench_import.py"), "--measure", "bare",
                          str(path)], check=True, capture_output=True, text=True)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])["cpu_seconds"]


def _generate(workdir: Path, hosts: int, per_host: int) -> list[tuple[str, Path]]:
    months = [workdir / f"month-{n}-{hosts}x{per_host}.nessus" for n in (1, 2, 3)]
    if not all(m.exists() for m in months):
        subprocess.run([sys.executable, str(HERE / "gen_nessus.py"), "--hosts", str(hosts),
                        "--findings-per-host", str(per_host), "--out", str(months[0]),
                        "--next-month", str(months[1]), "--third-month", str(months[2]),
                        "--fleet-changes", "--seed", "7"], check=True)
    return [("month 1", months[0]), ("month 2", months[1]), ("month 3", months[2]),
            ("month 3 again", months[2])]


def _hostile(workdir: Path, megabytes: int) -> Path:
    path = workdir / f"filler-{megabytes}mb.nessus"
    if not path.exists():
        filler = "<Filler><a>text that no scanner writes</a><b k='v'/></Filler>\n" * 1000
        with path.open("w") as out:
            out.write('<?xml version="1.0"?>\n<NessusClientData_v2><Report name="r">\n')
            for _ in range(megabytes * 1024 * 1024 // len(filler)):
                out.write(filler)
            out.write("</Report></NessusClientData_v2>\n")
    return path


def _round(database: str, files, workdir: Path, number: int) -> list[dict]:
    data = workdir / f"data-{database}-{number}"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "OPENPOAM_DATA_DIR": str(data), "OPENPOAM_ACTOR": "bench"}
    name = None
    if database == "postgres":
        name = f"openpoam_monthly_{os.getpid()}_{number}"
        _pg(f"create database {name}")
        env["DATABASE_URL"] = f"{PG_BASE}/{name}"
    try:
        for args in (["setup"], ["org", "create", "bench", "--name", "Bench"],
                     ["system", "create", "cloud", "--org", "bench", "--name", "Cloud",
                      "--framework", "fedramp-moderate"]):
            _run(args, env, expect_ok=True)
        return [_import(path, env, expect_ok=not label.startswith("hostile"))
                for label, path in files]
    finally:
        if name:
            _pg(f"drop database if exists {name}")


def _import(path: Path, env: dict, *, expect_ok: bool) -> dict:
    subprocess.run(["sync"], check=True)  # the step before's writes on disk, not in this one
    time.sleep(1)
    return _run(["import", str(path), "--org", "bench", "--system", "cloud", "--json"], env,
                expect_ok=expect_ok)


def _run(args: list[str], env: dict, *, expect_ok: bool) -> dict:
    """One command in a fresh process: wall time, and its own peak RSS (wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen([*OPENPOAM, *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().strip(), err.read().strip()
    if (process.returncode == 0) != expect_ok:
        raise SystemExit(f"openpoam {' '.join(args[:2])}: exit {process.returncode}: {stderr}")
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "output": stdout or stderr}


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def _print(database: str, files, runs: list[list[dict]], bare: list[float]) -> None:
    print(f"\n{database}: {len(runs)} round(s), each step a fresh `openpoam import` process")
    floor = statistics.median(bare) if bare else None
    if floor:
        print(f"bare pass over {files[0][1].name}: {', '.join(f'{c:.2f}' for c in bare)} s CPU "
              f"(median {floor:.2f})")
    print(f"{'step':24} {'MB':>6} {'best s':>7} {'median s':>9} {'cpu s':>6} {'median':>7} "
          f"{'x bare':>7} {'peak RSS MB':>12}  result")
    for index, (label, path) in enumerate(files):
        steps = [run[index] for run in runs]
        times = [s["seconds"] for s in steps]
        cpus = [s["cpu_seconds"] for s in steps]
        ratio = f"{statistics.median(cpus) / floor:.2f}" if floor else "-"
        peak = max(s["peak_mb"] for s in steps)
        print(f"{label:24} {path.stat().st_size / 1e6:>6.0f} {min(times):>7.1f} "
              f"{statistics.median(times):>9.1f} {min(cpus):>6.1f} "
              f"{statistics.median(cpus):>7.1f} {ratio:>7} {peak:>12.0f}  "
              f"{_summary(steps[-1]['output'])}")


def _summary(output: str) -> str:
    import json

    try:
        data = json.loads(output)
    except ValueError:
        return output.splitlines()[-1][:100] if output else ""
    counts = data.get("counts", {})
    if data.get("already_imported_at"):
        return "already imported: no change"
    return (f"findings {data.get('findings', 0):,}: new {counts.get('new', 0):,}, "
            f"updated {counts.get('updated', 0):,}, remediated {counts.get('remediated', 0):,}, "
            f"closed {counts.get('closed', 0):,}")


if __name__ == "__main__":
    sys.exit(main())
