"""Benchmark: the eMASS workbook of a 10,000-item POA&M (30,000 milestone rows), as the user
waits for it: whole ``openpoam`` commands, each in a fresh process, against a database the
product filled itself (bench_poam.py's generated POA&M, imported by ``openpoam import``).

- ``openpoam export emass-xlsx --branch B`` for each of the four service templates (goal:
  under 5 s for 30,000 rows);
- ``openpoam import`` of the Navy workbook back into the same system, as a dry run with
  every column chosen (``--fields all``): the round trip reads every row.

    .venv/bin/python bench/bench_emass.py [--items 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_poam import (OPENPOAM, ORG, SYSTEM, Step, environment, import_step,
                        prepare_template, run, write_csv)

BRANCHES = ("navy", "army", "usmc", "legacy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, help="folder to keep the files in (default: temp)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-emass-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_file = work / "poam.csv"
    write_csv(csv_file, args.items)
    template = prepare_template(work)
    filled = import_step(Step("import poam.csv"), template, work, csv_file, 1)
    env = environment(filled)
    steps = []
    for branch in BRANCHES:
        step = Step(f"export emass-xlsx --branch {branch}")
        steps.append(step)
        output = work / f"emass-{branch}.xlsx"
        for _ in range(args.repeat):
            run([OPENPOAM, "export", "emass-xlsx", "--branch", branch, "--org", ORG,
                 "--system", SYSTEM, "--output", str(output)], env, step)
        step.note = f"{output.stat().st_size / 1e6:.1f} MB"
    step = Step("import emass-navy.xlsx --fields all --dry-run")
    steps.append(step)
    for _ in range(args.repeat):
        run([OPENPOAM, "import", str(work / "emass-navy.xlsx"), "--org", ORG, "--system", SYSTEM,
             "--fields", "all", "--dry-run", "--json"], env, step)
    print(f"\n{args.items:,} items, 3 milestones each ({3 * args.items:,} rows); "
          f"{args.repeat} run(s) per step; files in {work}\n")
    print("| step | best s | median s | best CPU s | peak MB | note |")
    print("|---|---|---|---|---|---|")
    for step in steps:
        print(step.row())


if __name__ == "__main__":
    main()
