"""Scan coverage of a CR26 system against the detection and verification cadences
(VDR-TFR-PDD, -PCD, -PSD, -NMV, -MVF; openpoam.domain.fedramp.cr26.cadences).

[interpretation] The product knows when each scan was imported, not which resources it covered
or whether they are likely to drift: every detection cadence is measured from the latest scan
import of the system (its scan time, or the import time when the file gives none). Verification
of resources (NMV, MVF) is not recorded by scans, so those rows give the cadence only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from openpoam.domain.fedramp.cr26 import CertClass, Force, iso
from openpoam.domain.fedramp.cr26.cadences import cadences, next_due
from openpoam.formats import registry
from openpoam.tracker.models import ImportRecord, System
from openpoam.tracker.services.cr26_reports import require_cr26

DETECTION = ("VDR-TFR-PDD", "VDR-TFR-PCD", "VDR-TFR-PSD")


@dataclass(frozen=True, slots=True)
class CoverageRow:
    rule: str
    force: Force
    what: str
    every: str
    last_scan: datetime | None
    next_due: datetime | None
    late: bool
    citation: str

    def to_dict(self) -> dict:
        return {"rule": self.rule, "force": self.force.value, "what": self.what,
                "every": self.every, "last_scan": iso(self.last_scan),
                "next_due": iso(self.next_due), "late": self.late, "citation": self.citation}


def last_scan(system: System) -> datetime | None:
    scans = (ImportRecord.objects.filter(system=system,
                                         format__in=list(registry.default().scan_importers))
             .order_by("-imported_at").values_list("scan_time", "imported_at").first())
    return (scans[0] or scans[1]) if scans else None


def coverage(system: System, now: datetime | None = None) -> list[CoverageRow]:
    """Each cadence of the system's class (Rev5), with the next detection due."""
    require_cr26(system)
    now = now or timezone.now()
    last = last_scan(system)
    rows = []
    for cadence in cadences(CertClass(system.cr26_class)):
        detection = cadence.rule in DETECTION
        due = next_due(last, cadence.every) if detection and last is not None else None
        late = detection and (last is None or now > due)
        rows.append(CoverageRow(cadence.rule, cadence.force, cadence.what, str(cadence.every),
                                last if detection else None, due, late, cadence.citation))
    return rows
