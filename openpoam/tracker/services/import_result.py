"""The result of an import, and its one JSON shape: what every kind of import returns (scans,
POA&M files, eMASS workbooks) and what the API and `openpoam import --json` print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from openpoam.domain.reconcile import Counts
from openpoam.tracker.models import ImportRecord


@dataclass
class ImportResult:
    file_name: str
    format_key: str
    format_label: str
    sha256: str
    scanner: str = ""
    scanner_version: str = ""
    scan_time: datetime | None = None
    findings: int = 0
    dropped: int = 0
    counts: Counts = field(default_factory=Counts)
    created: int = 0  # POA&M imports: items created
    updated: int = 0  # POA&M imports: items updated
    dry_run: bool = False
    record: ImportRecord | None = None  # the earlier record when already_imported_at is set
    warnings: list[str] = field(default_factory=list)
    already_imported_at: datetime | None = None  # the same file was imported then: no change
    changes: list[dict] = field(default_factory=list)  # eMASS workbooks: each field changed

    def to_dict(self) -> dict:
        """The one JSON shape of an import's result (the API's answer and `openpoam import
        --json`); ``counts`` are the numbers its import record keeps (see README)."""
        record = self.record
        counts = self.counts
        return {
            "id": record.pk if record else None, "dry_run": self.dry_run,
            "file_name": self.file_name, "format": self.format_key,
            "format_label": self.format_label, "sha256": self.sha256,
            "scanner": self.scanner, "scanner_version": self.scanner_version,
            "scan_time": self.scan_time, "findings": self.findings, "dropped": self.dropped,
            "counts": {"new": counts.new + counts.recurred + self.created,
                       "updated": counts.updated + self.updated,
                       "remediated": counts.remediated, "closed": counts.closed,
                       "proposed": counts.proposed, "recurred": counts.recurred,
                       "unchanged": counts.unchanged},
            "created": self.created, "updated": self.updated,
            "imported_by": record.imported_by if record else "",
            "imported_at": record.imported_at if record else None,
            "already_imported_at": self.already_imported_at,
            "changes": self.changes,  # eMASS workbooks: each field changed (else empty)
            "warnings": self.warnings[:MAX_WARNINGS_SHOWN]}


# An import can warn about every row of a big file; its result lists the first ones.
MAX_WARNINGS_SHOWN = 1000


def record_dict(record: ImportRecord) -> dict:
    """A stored import, in the shape of ``ImportResult.to_dict`` (what a record keeps)."""
    return {"id": record.pk, "dry_run": False, "file_name": record.file_name,
            "format": record.format, "sha256": record.sha256, "scanner": record.scanner,
            "scanner_version": record.scanner_version, "scan_time": record.scan_time,
            "findings": record.findings,
            "counts": {name: getattr(record, name) for name in
                       ("new", "updated", "remediated", "closed", "proposed", "recurred",
                        "unchanged")},
            "imported_by": record.imported_by, "imported_at": record.imported_at}
