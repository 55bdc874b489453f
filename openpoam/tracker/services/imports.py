"""Importing files into a system: scans are merged month after month; POA&M files are loaded.

A scan import streams the file through its parser into a compact digest
(domain.reconcile.Digester), compares it with the system's items
(domain.reconcile.reconcile) and applies the changes in bulk, in one
transaction, with history and an ImportRecord. Nothing is written unless the
whole file was read and every change applied; a dry run stops before writing.

- The file is kept once, content-addressed, as the import's own stored file
  (ImportRecord.storage_name), bounded by the import limit; the evidence of the
  closures a scan makes points at it.
- Imports into one system are serialised: the transaction locks the system row
  (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction is BEGIN
  IMMEDIATE, see settings) and reads the system's items inside the lock, so two
  imports at once cannot both create the same weakness.
- A file whose SHA-256 this system has imported before changes nothing and leaves
  no second record: the result says when it was imported.
"""

from __future__ import annotations

import gc
import hashlib
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from openpoam.domain.findings import Severity
from openpoam.domain.reconcile import Changes, Counts, Digester, ScanDigest, as_utc, reconcile
from openpoam.formats import json_depth, registry
from openpoam.formats.base import (ASSET, BRIEF_BELOW, SKIP, WARN, FormatError, PoamImporter,
                                   ScanImporter, Skip)
from openpoam.formats.streams import HEAD_SIZE
from openpoam.tracker.models import ImportRecord, System
from openpoam.tracker.services import audit
from openpoam.tracker.services import evidence as store
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.formats.emass_xlsx.reader import is_emass_workbook, looks_like_xlsx, read_workbook
from openpoam.formats.emass_xlsx.writer import BRANCH_LABELS
from openpoam.tracker.services.emass_import import import_workbook, parse_fields
from openpoam.tracker.services.identity_fit import fitted, tracks
from openpoam.tracker.services.import_result import ImportResult
from openpoam.tracker.services.poam_import import import_document
from openpoam.tracker.services.scan_apply import apply_changes, existing_items, tracked_keys

Progress = Callable[[int], None]  # called with the number of bytes read so far
# Called now and then while a scan is read, with {"bytes", "findings", "hosts"} so far.
Report = Callable[[dict], None]
# Called inside the import's transaction, after its record is written: a background job
# marks itself committed there, so a retry after a crash knows (openpoam/jobs).
Within = Callable[["ImportResult"], None]
REPORT_EVERY = 2000  # findings between two reports


class FileChanged(FormatError):
    """The file read no longer has the hash taken when the import began."""


class HashingReader(io.RawIOBase):
    """Reads through, hashing every byte, bounding the size and reporting progress."""

    def __init__(self, stream, *, limit: int, source: str, progress: Progress | None = None,
                 hashing: bool = True):
        self._stream, self._limit, self._source = stream, limit, source
        self._progress = progress
        self.sha256 = hashlib.sha256() if hashing else None
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        size = self._stream.readinto(buffer)  # straight into the caller's buffer: no copy
        self.read_bytes += size
        if self.read_bytes > self._limit:
            raise FormatError(f"the file is larger than the import limit of {self._limit:,} "
                              "bytes (OPENPOAM_IMPORT_MAX_BYTES)", source=self._source)
        if self.sha256 is not None:
            with memoryview(buffer) as view:
                self.sha256.update(view[:size])
        if self._progress:
            self._progress(self.read_bytes)
        return size

    def drain(self) -> str:
        """Read what the parser left (trailing bytes) so the hash covers the whole file."""
        while self.read(1024 * 1024):
            pass
        return self.sha256.hexdigest()


def import_file(actor: Actor, system: System, path: Path, *, format_key: str | None = None,
                file_name: str | None = None, dry_run: bool = False,
                progress: Progress | None = None, asset: str = "",
                min_severity: Severity = Severity.LOW,
                fields: str | None = None, report: Report | None = None,
                within: Within | None = None,
                keep: Callable[[Kept], None] | None = None) -> ImportResult:
    """Import a scanner, checklist or POA&M file into the system. Raises ServiceError/FormatError.
    ``fields``: for an eMASS POA&M workbook, the columns to update (emass_import.FIELDS).
    ``report``: progress counts while a scan is read; ``within``: called inside the import's
    transaction; ``keep``: a scan's dry run hands its digest there, for ``apply_kept``."""
    require(actor, system.organization, "poam.import")
    path = Path(path)
    job = _Job(actor, system, path, file_name or path.name, dry_run, progress, asset,
               min_severity, size=path.stat().st_size, report=report, within=within,
               keep=keep)
    job.check_size()
    with _older_objects_frozen() as job.settle:
        _hash(job)
        try:
            return _import(job, format_key, fields)
        finally:
            if job.received is not None:  # not kept: already imported, a dry run, an error
                job.received.discard()


@contextmanager
def _older_objects_frozen() -> Iterator[Callable[[], None]]:
    """A large scan allocates millions of objects, so the cyclic garbage collector makes
    many full passes, and each walked every object the process held before the import
    (Django, its models, the modules: most of the heap) again: 0.3-0.5 s of a
    100,000-finding import. Those are left out of the passes while the import runs
    (gc.freeze) and given back after; reference counting still frees them as always.
    What is yielded leaves out too what the import has built so far and keeps to its
    end (the digest, the system's items and assets: 1.5 s of full passes over them in
    a 700,000-finding month two).
    A process that froze its own start-up objects (``openpoam start``: the server, with
    the worker in a thread) keeps them frozen: only what was frozen here is given back,
    and nothing more is frozen there (it could not be given back alone)."""
    if gc.get_freeze_count():
        yield lambda: None  # already out of the passes; unfreezing after would undo the server's
        return
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _hash(job: _Job) -> None:
    """The file's SHA-256, taken before any work (to say "already imported"). An import
    that writes copies the file into the store in that same read, and reads the copy
    from then on (it cannot change meanwhile, so it is not hashed again; a scan reads
    the user's file first, checked against the hash: see _digest); a dry run writes
    nothing."""
    if not job.dry_run:
        try:
            with job.path.open("rb") as raw:
                # The import limit is checked as file_sha256 checks it, with its message.
                bounded = HashingReader(raw, limit=settings.IMPORT_MAX_BYTES, source=job.name,
                                        hashing=False)
                job.received = store.receive_import(bounded, job.name)
        except store.StoreFull:
            pass  # the store may hold this file already: found once the hash is known
        else:
            job.sha256, job.source, job.path = job.received.sha256, job.path, job.received.path
            return
    job.sha256 = file_sha256(job.path, name=job.name)


def _import(job: _Job, format_key: str | None, fields: str | None) -> ImportResult:
    system, path = job.system, job.path
    earlier = already_imported(system, job.sha256)
    if earlier is not None:
        return _unchanged(job, earlier)
    with path.open("rb") as raw:
        head = raw.read(HEAD_SIZE)
    if json_depth.looks_like_json(head):  # before any parser or schema validator reads it
        json_depth.check_file(path, source=job.name)
    if format_key is None and _is_emass(path, head, job.name):
        return _import_emass(job, fields)
    if fields is not None:
        raise ServiceError("--fields (columns to update) is for eMASS POA&M workbooks; this "
                           "file is not one")
    formats = registry.default()
    importer = formats.importer(format_key) if format_key else formats.detect(head, job.name)
    if isinstance(importer, ScanImporter):
        return _import_scan(job, importer)
    return _import_document(job, importer)


@dataclass
class _Job:
    """One import as asked: who, into which system, which file, with which options."""

    actor: Actor
    system: System
    path: Path
    name: str
    dry_run: bool
    progress: Progress | None
    asset: str
    min_severity: Severity
    size: int
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)  # the parser's, of the last reading
    report: Report | None = None
    within: Within | None = None
    keep: Callable[[Kept], None] | None = None
    read_bytes: int = 0
    received: store.Received | None = None  # the file's copy in the store, until kept
    source: Path | None = None  # the user's file, when path is the copy made of it
    kept: bool = False  # path is the import's kept file in the store
    # Leaves what the import holds now out of the collector's passes (_older_objects_frozen).
    settle: Callable[[], None] = lambda: None

    @property
    def private(self) -> bool:
        """Whether the file read is the import's own copy in the store (see _hash)."""
        return self.received is not None or self.kept

    def reader_progress(self, read: int) -> None:
        self.read_bytes = read
        if self.progress:
            self.progress(read)

    def check_size(self) -> None:
        limit = settings.IMPORT_MAX_BYTES
        if self.size > limit:
            raise FormatError(f"the file is {self.size:,} bytes, over the import limit of "
                              f"{limit:,} (OPENPOAM_IMPORT_MAX_BYTES)", source=self.name)

    def reader(self, raw, *, hashing: bool | None = None) -> HashingReader:
        """A reader of ``raw`` (this job's file, or the one named by ``hashing``: whether
        to hash it, by default unless it is the import's own copy)."""
        return HashingReader(raw, limit=settings.IMPORT_MAX_BYTES, source=self.name,
                             progress=self.reader_progress,
                             hashing=not self.private if hashing is None else hashing)

    def check_hash(self, reader: HashingReader) -> None:
        if reader.sha256 is None:  # the import's own copy: not hashed again
            return
        if reader.drain() != self.sha256:
            raise FileChanged("the file changed while it was being imported; import it "
                              "again", source=self.name)


def file_sha256(path: Path, *, name: str) -> str:
    """SHA-256 of the file, read in chunks, refusing it past the import limit."""
    with path.open("rb") as raw:
        return HashingReader(raw, limit=settings.IMPORT_MAX_BYTES, source=name).drain()


def already_imported(system: System, sha256: str) -> ImportRecord | None:
    return (ImportRecord.objects.filter(system=system, sha256=sha256)
            .order_by("imported_at", "pk").first())


def _unchanged(job: _Job, earlier: ImportRecord) -> ImportResult:
    """The same file again: nothing to do, nothing written, and the user is told when."""
    try:
        label = registry.default().importer(earlier.format).label
    except FormatError:
        label = earlier.format
    when = timezone.localtime(earlier.imported_at)
    result = ImportResult(file_name=job.name, format_key=earlier.format, format_label=label,
                          sha256=job.sha256, scanner=earlier.scanner,
                          scanner_version=earlier.scanner_version, scan_time=earlier.scan_time,
                          dry_run=job.dry_run, record=earlier, already_imported_at=when)
    result.warnings.append(f"no changes: this file was already imported into {job.system.name} "
                           f"on {when:%Y-%m-%d %H:%M} as {earlier.file_name} "
                           f"(SHA-256 {job.sha256[:12]}…)")
    return result


@contextmanager
def _locked(job: _Job) -> Iterator[tuple[str, ImportRecord | None]]:
    """Store the file, then open the import's transaction holding the system's lock.

    Yields the storage name and an earlier import of the same file into the system
    (made meanwhile by someone else), if any. PostgreSQL: the system row is locked
    until commit. SQLite: the transaction is BEGIN IMMEDIATE (settings), which holds
    the database's write lock from its start.
    """
    if job.received is not None:
        stored = store.keep_import(job.received, job.name)
        # What is read from now on (a streamed file, a second reading) is the kept file.
        job.path, job.received, job.kept = Path(settings.EVIDENCE_DIR) / stored, None, True
    else:
        stored = store.store_import(job.path, job.sha256, job.size)
    with transaction.atomic():
        System.objects.select_for_update(no_key=True).filter(pk=job.system.pk).values_list("pk").first()
        yield stored, already_imported(job.system, job.sha256)


def _import_document(job: _Job, importer: PoamImporter) -> ImportResult:
    if importer.streams_items:
        return _import_streamed(job, importer)
    with job.path.open("rb") as raw:
        reader = job.reader(raw)
        stream = io.BufferedReader(reader, buffer_size=1024 * 1024)
        document, warnings = _read_document(importer, stream, job.name)
        job.check_hash(reader)
    kwargs = dict(importer=importer, file_name=job.name, sha256=job.sha256, size=job.size,
                  dry_run=job.dry_run, warnings=warnings)
    if job.dry_run:
        return import_document(job.actor, job.system, document, **kwargs)
    with _locked(job) as (stored, earlier):
        if earlier is not None:
            return _unchanged(job, earlier)
        result = import_document(job.actor, job.system, document, **kwargs)
        if result.record is not None:
            result.record.storage_name = stored
            result.record.save(update_fields=["storage_name"])
        if job.within:
            job.within(result)
    return result


def _import_streamed(job: _Job, importer) -> ImportResult:
    """A POA&M file whose reader gives its items as a stream: they are read while they
    are written, in the import's transaction, so a file of any size is never held whole.
    A bad row further on rolls the whole import back, as if it had failed on reading."""
    def run() -> ImportResult:
        with job.path.open("rb") as raw:
            reader = job.reader(raw)
            stream = io.BufferedReader(reader, buffer_size=1024 * 1024)
            read = importer.read_stream(stream, source=job.name)
            result = import_document(job.actor, job.system, read.document, importer=importer,
                                     file_name=job.name, sha256=job.sha256, size=job.size,
                                     dry_run=job.dry_run, warnings=read.warnings)
            job.check_hash(reader)
        return result

    if job.dry_run:
        return run()
    with _locked(job) as (stored, earlier):
        if earlier is not None:
            return _unchanged(job, earlier)
        result = run()
        if result.record is not None:
            result.record.storage_name = stored
            result.record.save(update_fields=["storage_name"])
        if job.within:
            job.within(result)
    return result


def _is_emass(path: Path, head: bytes, name: str) -> bool:
    if not looks_like_xlsx(head, name):
        return False
    with path.open("rb") as raw:
        return is_emass_workbook(raw, name)


def _import_emass(job: _Job, fields: str | None) -> ImportResult:
    """An eMASS workbook updates the chosen columns of matching items (emass_import)."""
    if fields is None:
        raise ServiceError(f"{job.name} is an eMASS POA&M workbook: choose the columns to "
                           "update with --fields (e.g. --fields rmf,status, or --fields all; "
                           "in the browser, the \"columns to update\" box)")
    chosen = parse_fields(fields)
    with job.path.open("rb") as raw:
        reader = job.reader(raw)
        workbook = read_workbook(io.BufferedReader(reader, buffer_size=1024 * 1024), job.name)
        job.check_hash(reader)
    result = ImportResult(file_name=job.name, format_key="emass-xlsx",
                          format_label=f"eMASS POA&M workbook, {BRANCH_LABELS[workbook.branch]}",
                          sha256=job.sha256, findings=len(workbook.rows), dry_run=job.dry_run)

    def run() -> None:
        changes, result.updated, warnings = import_workbook(
            job.actor, job.system, workbook, chosen, source=job.name, dry_run=job.dry_run)
        result.changes = [change.as_dict() for change in changes]
        result.warnings += warnings

    if job.dry_run:
        run()
        return result
    with _locked(job) as (stored, earlier):
        if earlier is not None:
            return _unchanged(job, earlier)
        run()
        result.counts = Counts(updated=result.updated)
        result.record = _record(job.actor, job.system, result, job.size, stored)
        if job.within:
            job.within(result)
    return result


def _read_document(importer: PoamImporter, stream, name: str):
    """A POA&M file, with the warnings about rows its importer read past."""
    result = importer.read_with_warnings(stream, source=name)
    return result.document, [str(w) for w in result.warnings]


def _asset_option(importer: ScanImporter, asset: str) -> dict:
    """Code and image reports may not name what they scanned; the user can (--asset)."""
    if not asset:
        return {}
    if ASSET not in importer.options:
        raise ServiceError(f"{importer.label} files name their own assets; --asset does not apply")
    return {ASSET: asset}


def _warn_option(importer: ScanImporter, warnings: list[str]) -> dict:
    """Parsers that report rows they read past (file and line) tell the import's result."""
    return {WARN: warnings.append} if WARN in importer.options else {}


def _brief_option(importer: ScanImporter, min_severity: Severity) -> dict:
    """Parsers that can skip the detail of findings the digest will drop are told to."""
    return {BRIEF_BELOW: min_severity} if BRIEF_BELOW in importer.options else {}


def _skip_option(importer: ScanImporter, min_severity: Severity, tracked: set) -> dict:
    """Parsers that can leave out the findings the digest will drop (under the bar, of no
    tracked weakness) count them instead of building them."""
    return {SKIP: Skip(min_severity, tracks(tracked))} if SKIP in importer.options else {}


def _import_scan(job: _Job, importer: ScanImporter) -> ImportResult:
    tracked = tracked_keys(job.system)  # guides which minor findings the digest keeps
    digest = _digest(job, importer, tracked)
    if not digest.covered and not digest.findings:
        raise FormatError(f"the file names no scanned host and no finding, so nothing was "
                          f"imported (read as {importer.label}; a report that does not name "
                          "what it scanned needs --asset)", source=job.name)
    scan_time = _scan_time(digest)
    if job.dry_run:
        existing, _ = existing_items(job.system)
        job.settle()
        changes = reconcile(existing, digest, scan_time=scan_time,
                            auto_close=job.system.auto_close)
        result = _result(job, importer, digest, scan_time, changes)
        if job.keep:
            job.keep(Kept(digest=digest, scan_time=scan_time, changes=changes,
                          marker=system_marker(job.system, existing), result=result,
                          size=job.size, min_severity=job.min_severity))
        return result
    with _locked(job) as (stored, earlier):
        if earlier is not None:
            return _unchanged(job, earlier)
        existing, asset_ids = existing_items(job.system)  # inside the lock: the snapshot
        now_tracked = {e.weakness_key for e in existing}
        if digest.dropped and not now_tracked <= tracked:
            # Another import added weaknesses while this file was read: minor findings
            # of those were dropped, so read the file again with the current snapshot.
            digest = _digest(job, importer, now_tracked)
        job.settle()  # the digest and the system's rows live until the import ends
        changes = reconcile(existing, digest, scan_time=scan_time,
                            auto_close=job.system.auto_close)
        result = _result(job, importer, digest, scan_time, changes)
        record = _record(job.actor, job.system, result, job.size, stored)
        apply_changes(job.actor, job.system, changes, asset_ids, record)
        result.record = record
        if job.within:
            job.within(result)
    return result


@dataclass
class Kept:
    """A scan's dry run, kept so that confirming it applies it without reading the file again.

    ``marker`` says what the system looked like to the dry run (system_marker): confirming
    refuses when the system changed since, because the changes would no longer be right."""

    digest: ScanDigest
    scan_time: datetime
    changes: Changes
    marker: str
    result: ImportResult
    size: int
    min_severity: Severity = Severity.LOW


class SystemChanged(ServiceError):
    """The system changed after the dry run: a fresh dry run is needed."""


def system_marker(system: System, existing=None) -> str:
    """A fingerprint of everything a scan's reconcile reads from the system: its scan-tracked
    items with their assets, and the settings that decide what applying does."""
    system = System.objects.get(pk=system.pk)
    if existing is None:
        existing, _ = existing_items(system)
    digest = hashlib.sha256(repr((system.auto_close, system.framework, system.fedramp_regime,
                                  system.cr26_class)).encode())
    for item in existing:
        digest.update(repr((item.ref, item.weakness_key, item.closed, str(item.closed_on),
                            sorted((k, tuple(v)) for k, v in item.assets.items()))).encode())
    return digest.hexdigest()


def apply_kept(actor: Actor, system: System, kept: Kept, path: Path, *,
               within: Within | None = None) -> ImportResult:
    """Apply a scan's kept dry run (``path`` is the stored file, not read again: it is the
    closures' evidence). Raises SystemChanged when the system changed since the dry run."""
    require(actor, system.organization, "poam.import")
    preview = kept.result
    job = _Job(actor, system, Path(path), preview.file_name, False, None, "",
               kept.min_severity, size=kept.size, sha256=preview.sha256, within=within)
    earlier = already_imported(system, job.sha256)
    if earlier is not None:
        return _unchanged(job, earlier)
    with _locked(job) as (stored, earlier):
        if earlier is not None:
            return _unchanged(job, earlier)
        existing, asset_ids = existing_items(system)
        if system_marker(system, existing) != kept.marker:
            raise SystemChanged(f"{system.name} changed after the dry run of "
                                f"{preview.file_name} (another import or an edit of its "
                                "scanned items); run a fresh dry run before importing")
        result = ImportResult(**{**preview.__dict__, "dry_run": False, "record": None,
                                 "warnings": list(preview.warnings)})
        record = _record(actor, system, result, job.size, stored)
        apply_changes(actor, system, kept.changes, asset_ids, record)
        result.record = record
        if within:
            within(result)
    return result


def _digest(job: _Job, importer: ScanImporter, tracked: set) -> ScanDigest:
    """The scan's digest. The user's file, just read to make the store's copy, is still in
    the page cache (the copy is not: see evidence._write_out), so it is read again and
    checked against the copy's hash; if it changed meanwhile, the copy is read instead:
    what is imported is always what was hashed."""
    if job.source is None:
        return _digest_of(job, importer, tracked, job.path, hashing=not job.private)
    try:
        return _digest_of(job, importer, tracked, job.source, hashing=True)
    except FileChanged:
        pass
    except FormatError:
        if _hashes_to(job.source, job.sha256, job.name):
            raise  # the file hashed is itself broken
    return _digest_of(job, importer, tracked, job.path, hashing=not job.private)


def _hashes_to(path: Path, sha256: str, name: str) -> bool:
    try:
        return file_sha256(path, name=name) == sha256
    except (OSError, FormatError):
        return False


def _digest_of(job: _Job, importer: ScanImporter, tracked: set, path: Path, *,
               hashing: bool) -> ScanDigest:
    """Stream a file through its parser into a digest; if hashed while read, the hash must
    match the one taken (FileChanged)."""
    digester = Digester(min_severity=job.min_severity, track=tracked)
    job.warnings = []
    with path.open("rb") as raw:
        reader = job.reader(raw, hashing=hashing)
        stream = io.BufferedReader(reader, buffer_size=1024 * 1024)
        records = importer.parse(stream, source=job.name, **_asset_option(importer, job.asset),
                                 **_brief_option(importer, job.min_severity),
                                 **_skip_option(importer, job.min_severity, tracked),
                                 **_warn_option(importer, job.warnings))
        next_report = REPORT_EVERY
        # Identities as their columns hold them, so next month's import matches them.
        for record in fitted(records, source=job.name, warnings=job.warnings):
            digester.add(record)
            if job.report and digester.findings_so_far >= next_report:
                # A Skipped record counts many findings at once: report on crossing.
                job.report(digester.progress(job.read_bytes))
                next_report = (digester.findings_so_far // REPORT_EVERY + 1) * REPORT_EVERY
        job.check_hash(reader)
        if job.report:
            job.report(digester.progress(job.read_bytes))
    return digester.result()


def _scan_time(digest: ScanDigest) -> datetime:
    if digest.info is not None and digest.info.scan_time is not None:
        return as_utc(digest.info.scan_time)
    latest = max((seen[1] for w in digest.weaknesses.values() for seen in w.open.values()
                  if seen[1] is not None), default=None)
    return latest or timezone.now()


def _result(job: _Job, importer, digest: ScanDigest, scan_time, changes: Changes) -> ImportResult:
    info = digest.info
    return ImportResult(file_name=job.name, format_key=importer.key, format_label=importer.label,
                        sha256=job.sha256, scanner=info.scanner if info else "",
                        scanner_version=info.scanner_version if info else "",
                        scan_time=scan_time, findings=digest.findings, dropped=digest.dropped,
                        counts=changes.counts, dry_run=job.dry_run, warnings=list(job.warnings))


def _record(actor: Actor, system: System, result: ImportResult, size: int,
            storage_name: str) -> ImportRecord:
    counts = result.counts
    record = ImportRecord.objects.create(
        system=system, file_name=result.file_name[:255], sha256=result.sha256, size=size,
        format=result.format_key, scanner=result.scanner[:100],
        scanner_version=result.scanner_version[:100], scan_time=result.scan_time,
        imported_by=actor.name, imported_at=timezone.now(), new=counts.new + counts.recurred,
        updated=counts.updated, remediated=counts.remediated, closed=counts.closed,
        proposed=counts.proposed, recurred=counts.recurred, unchanged=counts.unchanged,
        findings=result.findings, storage_name=storage_name)
    audit.record_import(actor, record)
    return record

