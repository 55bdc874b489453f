"""FedRAMP workbook export of 10,000 items with 3 milestones each: time and peak memory.

Run: python bench/bench_fedramp_xlsx.py [items]. Goal: under 10 s.
"""

from __future__ import annotations

import io
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone

from openpoam.domain.poam import (AffectedAsset, Catalog, ControlRef, DueDateChange, MilestoneData,
                                  PoamDocument, PoamItemData, Risk, Source, Status, SystemData)
from openpoam.formats.fedramp_xlsx import FedrampXlsxExporter

GOAL_SECONDS = 10.0


def _milestones(start: date) -> list[MilestoneData]:
    milestones = []
    for sequence in (1, 2, 3):
        due = start + timedelta(days=30 * sequence)
        milestone = MilestoneData(sequence=sequence, description=f"Step {sequence} of the fix",
                                  original_due=due, current_due=due)
        if sequence == 2:
            later = due + timedelta(days=14)
            milestone.changes.append(DueDateChange(datetime(2026, 1, 1, tzinfo=timezone.utc), due,
                                                   later, "Vendor patch slipped"))
            milestone.current_due = later
        milestones.append(milestone)
    return milestones


def make_document(count: int) -> PoamDocument:
    risks = list(Risk)[:3]
    items = []
    for n in range(count):
        detected = date(2025, 1, 1) + timedelta(days=n % 365)
        items.append(PoamItemData(
            poam_id=f"POAM-2026-{n:05d}", title=f"Weakness number {n}",
            weakness_description="A description of the weakness long enough to be realistic. " * 3,
            source=Source.VULNERABILITY_SCAN, source_identifier=str(10000 + n),
            source_detail="Nessus", controls=[ControlRef(Catalog.NIST_800_53_R5, "SI-2")],
            assets=[AffectedAsset(name=f"host{n}.example.gov", port="443", protocol="tcp")],
            original_risk=risks[n % 3], planned_remediation="Patch and rescan",
            owner="Jane Doe", detected_on=detected,
            scheduled_completion=detected + timedelta(days=90),
            status=Status.COMPLETED if n % 10 == 0 else Status.OPEN, status_date=detected,
            cves=[f"CVE-2025-{n:05d}"], milestones=_milestones(detected)))
    return PoamDocument(system=SystemData(name="Benchmark System", organization="Bench CSP",
                                          impact_level="Moderate"),
                        items=items, generated_at=datetime(2026, 3, 1))


def _export(document: PoamDocument) -> int:
    buffer = io.BytesIO()
    FedrampXlsxExporter().write(document, buffer)
    return len(buffer.getvalue())


def main(count: int = 10_000) -> None:
    document = make_document(count)
    # Timed without tracemalloc (it slows allocation-heavy code several times over).
    started, cpu = time.perf_counter(), time.process_time()
    size = _export(document)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    _export(document)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    verdict = "within" if elapsed < GOAL_SECONDS else "OVER"
    print(f"{count:,} items x 3 milestones -> {size / 1e6:.1f} MB workbook in {elapsed:.2f} s "
          f"wall, {cpu:.2f} s CPU ({verdict} the {GOAL_SECONDS:.0f} s goal); "
          f"peak traced memory {peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
