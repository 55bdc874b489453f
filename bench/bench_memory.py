"""Benchmark: memory and time of whole commands at 10,000 / 100,000 / 300,000 items.

Issue 21's goal: every import and export, the checks, the metrics, the report and a
snapshot stay under 400 MB peak RSS at 100,000 items, and take at most 12x their
10,000-item time.
Each step is a whole ``openpoam`` command in a fresh process (peak RSS from the child's
rusage, as ``/usr/bin/time -v`` reports it), against a database the product filled
itself: the generated POA&M (bench_poam.py's CSV, 3 milestones per item) imported once
with ``openpoam import`` into ``--data`` and reused; the import steps run on a copy of
the empty database each time. ``--database-url`` runs the same on PostgreSQL (the
database is emptied and set up first).

    nice -n 10 .venv/bin/python bench/bench_memory.py --items 100000 --data /tmp/m100k
    nice -n 10 .venv/bin/python bench/bench_memory.py --items 10000 --data /tmp/m10k \\
        --steps import-csv,export-oscal-json --repeat 3
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
from pathlib import Path

from bench_poam import OPENPOAM, ORG, SYSTEM, Step, environment, prepare_template, run, write_csv

EXPORTS = {"oscal-json": "poam.json", "csv": "export.csv", "fedramp-xlsx": "poam.xlsx",
           "emass-xlsx": "emass.xlsx", "oscal-xml": "poam.xml"}
STEPS = ("import-csv", *(f"export-{key}" for key in EXPORTS), "import-oscal-json",
         "check", "metrics", "report", "snapshot")


def _env(data: Path, url: str | None) -> dict:
    env = environment(data)
    if url:
        env["DATABASE_URL"] = url
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--data", type=Path, required=True,
                        help="folder of the filled database (made once, then reused)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in --data)")
    args = parser.parse_args()
    work = args.data.parent / f"{args.data.name}-work"
    work.mkdir(parents=True, exist_ok=True)
    source = work / "poam.csv"
    if not source.exists():
        write_csv(source, args.items)
    template = work / "template"
    if not template.exists() and not args.database_url:
        prepare_template(work)
    url = args.database_url
    if not (args.data / "filled").exists():
        if not args.data.exists():
            if url:
                args.data.mkdir(parents=True)
                _prepare(args.data, url)
            else:
                shutil.copytree(template, args.data)
        fill = Step("import-csv (the fill)")
        run([OPENPOAM, "import", str(source), "--org", ORG, "--system", SYSTEM, "--json"],
            _env(args.data, url), fill)
        print(f"run {fill.name}: {fill.seconds[-1]:.2f} s wall, {fill.cpu[-1]:.2f} s CPU, "
              f"{fill.peak_mb[-1]:.0f} MB", flush=True)
        (args.data / "filled").touch()
    env = _env(args.data, url)
    steps = []
    for name in filter(None, args.steps.split(",")):
        step = Step(name)
        steps.append(step)
        for _ in range(args.repeat):
            _run_step(name, step, args, env, source, template, work, url)
            print(f"run {name}: {step.seconds[-1]:.2f} s wall, {step.cpu[-1]:.2f} s CPU, "
                  f"{step.peak_mb[-1]:.0f} MB (harness {_own_peak_mb():.0f} MB)", flush=True)
    print(f"\n{args.items:,} items; {args.repeat} run(s) per step; "
          f"{'PostgreSQL' if url else 'SQLite'}\n")
    print("| step | best s | median s | best CPU s | median CPU s | peak MB | note |")
    print("|---|---|---|---|---|---|---|")
    for step in steps:
        print(_row(step))


def _own_peak_mb() -> float:
    """The harness's own peak RSS: a child's reading is never below it (bench_poam._tail)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(step) -> str:
    if not step.seconds:
        return f"| {step.name} | - | - | - | - | - | {step.note} |"
    return (f"| {step.name} | {min(step.seconds):.2f} | {statistics.median(step.seconds):.2f} "
            f"| {min(step.cpu):.2f} | {statistics.median(step.cpu):.2f} "
            f"| {max(step.peak_mb):.0f} | {step.note} |")


def _prepare(data: Path, url: str) -> None:
    env = _env(data, url)
    run([OPENPOAM, "setup"], env)
    for org in (ORG, f"{ORG}2"):
        run([OPENPOAM, "org", "create", org, "--name", f"{org} LLC"], env)
        run([OPENPOAM, "system", "create", SYSTEM, "--org", org, "--name", "Bench Cloud Service",
             "--framework", "fedramp-moderate", "--impact", "Moderate"], env)


def _run_step(name, step, args, env, source, template, work, url) -> None:
    if name.startswith("export-"):
        key = name.removeprefix("export-")
        run([OPENPOAM, "export", key, "--org", ORG, "--system", SYSTEM, "--output",
             str(work / EXPORTS[key])], env, step)
    elif name.startswith("import-"):
        file = source if name == "import-csv" else work / EXPORTS["oscal-json"]
        if url:  # into the second organization's empty system, then emptied again
            run([OPENPOAM, "import", str(file), "--org", f"{ORG}2", "--system", SYSTEM,
                 "--dry-run", "--json"], env, step)
            step.note = "PostgreSQL: --dry-run (the whole load, rolled back)"
            return
        fresh = work / "import-copy"
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(template, fresh)
        run([OPENPOAM, "import", str(file), "--org", ORG, "--system", SYSTEM, "--json"],
            _env(fresh, url), step)
        shutil.rmtree(fresh, ignore_errors=True)
    elif name == "check":  # exits 1 when a check finds an error: not a failure here
        run([OPENPOAM, "check", "--org", ORG, "--system", SYSTEM, "--json"], env, step, ok=(0, 1))
    elif name == "metrics":
        run([OPENPOAM, "metrics", "--org", ORG, "--system", SYSTEM], env, step)
    elif name == "report":
        run([OPENPOAM, "report", "--org", ORG, "--system", SYSTEM, "--pdf",
             str(work / "report.pdf")], env, step)
    elif name == "snapshot":
        run([OPENPOAM, "snapshot", "take", "--org", ORG, "--system", SYSTEM], env, step)


if __name__ == "__main__":
    main()
