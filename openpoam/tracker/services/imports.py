"""Importing files into a system: scans are merged month after month; POA&M files are loaded.

A scan import streams the file through its parser into a compact digest
(domain.reconcile.Digester), compares it with the system's items
(domain.reconcile.reconcile) and applies the changes in bulk, in one
transaction, with history and an ImportRecord. Nothing is written unless the
whole file was read and every change applied; a dry run stops before writing.
"""

from __future__ import annotations

import hashlib
import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from openpoam.domain.findings import Severity
from openpoam.domain.reconcile import Changes, Counts, Digester, ScanDigest, as_utc, reconcile
from openpoam.formats import registry
from openpoam.formats.base import FormatError, ScanImporter
from openpoam.formats.streams import HEAD_SIZE
from openpoam.tracker.models import ImportRecord, Role, System
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.scan_apply import apply_changes, existing_items

Progress = Callable[[int], None]  # called with the number of bytes read so far


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
    record: ImportRecord | None = None
    warnings: list[str] = field(default_factory=list)


class HashingReader(io.RawIOBase):
    """Reads through, hashing every byte, bounding the size and reporting progress."""

    def __init__(self, stream, *, limit: int, source: str, progress: Progress | None = None):
        self._stream, self._limit, self._source = stream, limit, source
        self._progress = progress
        self.sha256 = hashlib.sha256()
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        self.read_bytes += len(data)
        if self.read_bytes > self._limit:
            raise FormatError(f"the file is larger than the import limit of {self._limit:,} "
                              "bytes (OPENPOAM_IMPORT_MAX_BYTES)", source=self._source)
        self.sha256.update(data)
        buffer[: len(data)] = data
        if self._progress:
            self._progress(self.read_bytes)
        return len(data)

    def drain(self) -> str:
        """Read what the parser left (trailing bytes) so the hash covers the whole file."""
        while self.read(1024 * 1024):
            pass
        return self.sha256.hexdigest()


def import_file(actor: Actor, system: System, path: Path, *, format_key: str | None = None,
                file_name: str | None = None, dry_run: bool = False,
                progress: Progress | None = None, asset: str = "",
                min_severity: Severity = Severity.LOW) -> ImportResult:
    """Import a scanner, checklist or POA&M file into the system. Raises ServiceError/FormatError."""
    require(actor, system.organization, Role.EDITOR)
    path = Path(path)
    name = file_name or path.name
    limit = settings.IMPORT_MAX_BYTES
    if path.stat().st_size > limit:
        raise FormatError(f"the file is {path.stat().st_size:,} bytes, over the import limit of "
                          f"{limit:,} (OPENPOAM_IMPORT_MAX_BYTES)", source=name)
    with path.open("rb") as raw:
        head = raw.read(HEAD_SIZE)
        raw.seek(0)
        formats = registry.default()
        importer = formats.importer(format_key) if format_key else formats.detect(head, name)
        reader = HashingReader(raw, limit=limit, source=name, progress=progress)
        stream = io.BufferedReader(reader, buffer_size=1024 * 1024)
        if isinstance(importer, ScanImporter):
            records = importer.parse(stream, source=name, **_asset_option(importer, asset),
                                     **_brief_option(importer, min_severity))
            return _import_scan(actor, system, importer, records, reader, name, path, dry_run,
                                min_severity)
        from openpoam.tracker.services.poam_import import import_document

        document, warnings = _read_document(importer, stream, name)
        sha = reader.drain()
        return import_document(actor, system, document, importer=importer, file_name=name,
                               sha256=sha, size=reader.read_bytes, dry_run=dry_run,
                               warnings=warnings)


def _read_document(importer, stream, name: str):
    """A POA&M file, with the row-by-row warnings of importers that report them."""
    if hasattr(importer, "read_with_warnings"):
        result = importer.read_with_warnings(stream, source=name)
        return result.document, [str(w) for w in result.warnings]
    return importer.read(stream, source=name), []


def _asset_option(importer, asset: str) -> dict:
    """Code and image reports may not name what they scanned; the user can (--asset)."""
    if not asset:
        return {}
    if "asset" not in inspect.signature(importer.parse).parameters:
        raise ServiceError(f"{importer.label} files name their own assets; --asset does not apply")
    return {"asset": asset}


def _brief_option(importer, min_severity: Severity) -> dict:
    """Parsers that can skip the detail of findings the digest will drop are told to."""
    if "brief_below" in inspect.signature(importer.parse).parameters:
        return {"brief_below": min_severity}
    return {}


def _import_scan(actor, system, importer, records, reader, name, path, dry_run,
                 min_severity) -> ImportResult:
    existing, asset_ids = existing_items(system)
    digester = Digester(min_severity=min_severity, track={e.weakness_key for e in existing})
    for record in records:
        digester.add(record)
    sha = reader.drain()
    digest = digester.result()
    if digest.info is None and not digest.covered and not digest.findings:
        raise FormatError("the file holds no scan results", source=name)
    scan_time = _scan_time(digest)
    changes = reconcile(existing, digest, scan_time=scan_time, auto_close=system.auto_close)
    result = _result(name, importer, sha, digest, scan_time, changes, dry_run)
    if dry_run:
        return result
    with transaction.atomic():
        record = _record(actor, system, result, reader.read_bytes)
        apply_changes(actor, system, changes, asset_ids, record, scan_file=path)
    result.record = record
    return result


def _scan_time(digest: ScanDigest) -> datetime:
    if digest.info is not None and digest.info.scan_time is not None:
        return as_utc(digest.info.scan_time)
    latest = max((seen[1] for w in digest.weaknesses.values() for seen in w.open.values()
                  if seen[1] is not None), default=None)
    return latest or timezone.now()


def _result(name, importer, sha, digest: ScanDigest, scan_time, changes: Changes,
            dry_run: bool) -> ImportResult:
    info = digest.info
    return ImportResult(file_name=name, format_key=importer.key, format_label=importer.label,
                        sha256=sha, scanner=info.scanner if info else "",
                        scanner_version=info.scanner_version if info else "",
                        scan_time=scan_time, findings=digest.findings, dropped=digest.dropped,
                        counts=changes.counts, dry_run=dry_run)


def _record(actor: Actor, system: System, result: ImportResult, size: int) -> ImportRecord:
    counts = result.counts
    record = ImportRecord.objects.create(
        system=system, file_name=result.file_name[:255], sha256=result.sha256, size=size,
        format=result.format_key, scanner=result.scanner[:100],
        scanner_version=result.scanner_version[:100], scan_time=result.scan_time,
        imported_by=actor.name, imported_at=timezone.now(), new=counts.new + counts.recurred,
        updated=counts.updated, remediated=counts.remediated, closed=counts.closed,
        proposed=counts.proposed, recurred=counts.recurred, unchanged=counts.unchanged,
        findings=result.findings)
    audit.record_import(actor, record)
    return record

