"""Time the .nessus importer against a bare streaming lxml pass.

    python bench/bench_parse_nessus.py [--sizes 100000 400000] [--workdir DIR]

For each size (findings; 100 per host) a synthetic file is written with
bench/gen_nessus.py, then each reader runs in its own process so that the
peak resident memory (``ru_maxrss``) belongs to that reader alone:

- ``bare``: ``lxml.etree.iterparse`` on ReportItem, clearing as it goes (the
  floor: parsing only, no records);
- ``ours``: ``openpoam.formats.nessus`` yielding ScanInfo/Target/Finding.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PER_HOST = 100


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """User + system time of this process: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_bare(path: Path) -> dict:
    from lxml import etree

    before = peak_rss_mb()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag="ReportItem",
                                      resolve_entities=False, no_network=True, load_dtd=False):
        count += 1
        element.clear(keep_tail=False)
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]
    return {"items": count, "seconds": time.perf_counter() - started,
            "cpu_seconds": cpu_seconds() - cpu_started,
            "rss_before_mb": before, "peak_rss_mb": peak_rss_mb()}


def measure_ours(path: Path) -> dict:
    from openpoam.domain.findings import Finding
    from openpoam.formats.nessus import PLUGINS

    importer = PLUGINS[0]
    before = peak_rss_mb()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    count = 0
    with path.open("rb") as stream:
        for record in importer.parse(stream, source=path.name):
            count += isinstance(record, Finding)
    return {"items": count, "seconds": time.perf_counter() - started,
            "cpu_seconds": cpu_seconds() - cpu_started,
            "rss_before_mb": before, "peak_rss_mb": peak_rss_mb()}


def run_child(mode: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", mode, str(path)],
                          check=True, capture_output=True, text=True, cwd=HERE.parent)
    return json.loads(done.stdout)


def generate(findings: int, workdir: Path) -> Path:
    path = workdir / f"bench_{findings}.nessus"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_nessus.py"), "--hosts",
                        str(findings // PER_HOST), "--findings-per-host", str(PER_HOST),
                        "--out", str(path), "--seed", "7"], check=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        mode, file = args.measure
        sys.path.insert(0, str(HERE.parent))
        result = (measure_bare if mode == "bare" else measure_ours)(Path(file))
        print(json.dumps(result))
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="openpoam-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{'findings':>9} {'file MB':>8} {'reader':>6} {'wall s':>7} {'CPU s':>7} "
          f"{'items/CPU s':>11} {'peak RSS MB':>11} {'(start MB)':>10}")
    for size in args.sizes:
        path = generate(size, workdir)
        megabytes = path.stat().st_size / 1e6
        for mode in ("bare", "ours"):
            result = run_child(mode, path)
            rate = result["items"] / max(result["cpu_seconds"], 1e-9)
            print(f"{result['items']:>9,} {megabytes:>8.0f} {mode:>6} {result['seconds']:>7.2f} "
                  f"{result['cpu_seconds']:>7.2f} {rate:>11,.0f} {result['peak_rss_mb']:>11.0f} "
                  f"{result['rss_before_mb']:>10.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
