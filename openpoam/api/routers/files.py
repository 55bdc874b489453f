"""Imports (scan and POA&M files, with a dry run) and exports (every registered format).

An import is a background job by default: the answer is 202 and the job is polled
(routers/jobs.py); ``wait=true`` runs it inside the request for scripts that want the result
at once, bounded by OPENPOAM_API_WAIT_MAX_MB."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from openpoam.api import lookups, pagination
from openpoam.api.errors import ApiError
from openpoam.api.routers.jobs import JobOut, accepted
from openpoam.api.schemas import ERRORS, ImportOut, ImportPage, PageParams
from openpoam.domain.findings import Severity
from openpoam.formats import registry
from openpoam.jobs import services as jobs
from openpoam.tracker.models import ChangeEvent, ImportRecord
from openpoam.tracker.services import imports as import_services
from openpoam.tracker.services.downloads import export_response
from openpoam.tracker.services.import_result import record_dict

router = Router()
CHUNK = 1024 * 1024


class FormatsOut(Schema):
    imports: list[str]
    exports: list[str]


class ImportDetail(ImportOut):
    changed_items: list[str] = []


@router.get("/formats", response={200: FormatsOut, **ERRORS}, tags=["imports", "exports"],
            summary="Keys of the formats this server reads and writes")
def formats(request: HttpRequest):
    known = registry.default()
    return {"imports": known.importer_keys(), "exports": sorted(known.exporters)}


@router.post("/orgs/{org}/systems/{system}/imports", tags=["imports"],
             response={200: ImportOut, 201: ImportOut, 202: JobOut, **ERRORS},
             summary="Import a scan or POA&M file (multipart, field 'file'), dry_run to "
                     "preview: 202 with a job to poll (its URL in Location, /jobs/{id}); "
                     "wait=true imports within the request instead (200 dry run, 201 "
                     "import), for files up to OPENPOAM_API_WAIT_MAX_MB")
def upload_import(request: HttpRequest, org: str, system: str, file: File[UploadedFile],
                  response: HttpResponse, dry_run: Form[bool] = False, format: Form[str] = "",
                  include_info: Form[bool] = False, asset: Form[str] = "",
                  wait: Form[bool] = False):
    found = lookups.system(request, org, system)
    _check_size(file, wait)
    options = {"format_key": format.strip() or None, "dry_run": dry_run,
               "file_name": Path(file.name or "upload").name, "asset": asset.strip(),
               "min_severity": Severity.INFO if include_info else Severity.LOW}
    with _on_disk(file) as path:
        if wait:
            result = import_services.import_file(lookups.actor(request), found, path, **options)
            return Status(200 if dry_run else 201, result.to_dict())
        job = jobs.start_import(lookups.actor(request), found, path, **options)
    return accepted(response, job)


def _check_size(file: UploadedFile, wait: bool) -> None:
    """413 before any work: over the import limit, or over the limit for waiting (a long
    import inside one request would meet a proxy's timeout first)."""
    size = file.size or 0
    if size > settings.IMPORT_MAX_BYTES:
        raise ApiError(413, f"file: {size:,} bytes is over the import limit of "
                       f"{settings.IMPORT_MAX_BYTES:,} bytes", "file")
    if wait and size > settings.API_WAIT_MAX_BYTES:
        raise ApiError(413, f"file: {size:,} bytes is over the limit for wait=true of "
                       f"{settings.API_WAIT_MAX_BYTES:,} bytes (OPENPOAM_API_WAIT_MAX_MB); "
                       "send it without wait and poll the job", "file")


class _on_disk:
    """The upload as a file path (the import service reads files); a temporary copy when
    Django kept it in memory, removed afterwards."""

    def __init__(self, upload: UploadedFile) -> None:
        self.upload, self.temp = upload, None

    def __enter__(self) -> Path:
        if hasattr(self.upload, "temporary_file_path"):
            return Path(self.upload.temporary_file_path())
        fd, self.temp = tempfile.mkstemp(prefix="openpoam-upload-")
        with os.fdopen(fd, "wb") as out:
            for chunk in self.upload.chunks(CHUNK):
                out.write(chunk)
        return Path(self.temp)

    def __exit__(self, *exc) -> None:
        if self.temp and os.path.exists(self.temp):
            os.unlink(self.temp)


@router.get("/orgs/{org}/systems/{system}/imports", response={200: ImportPage, **ERRORS},
            tags=["imports"], summary="A system's imports, newest first")
def list_imports(request: HttpRequest, org: str, system: str, params: Query[PageParams]):
    found = lookups.system(request, org, system)
    rows, next_cursor = pagination.by_pk(ImportRecord.objects.filter(system=found),
                                         params.cursor or None, params.limit, newest_first=True)
    return {"imports": [record_dict(r) for r in rows], "next_cursor": next_cursor}


@router.get("/orgs/{org}/systems/{system}/imports/{import_id}",
            response={200: ImportDetail, **ERRORS}, tags=["imports"],
            summary="One import: its counts and the items it changed")
def get_import(request: HttpRequest, org: str, system: str, import_id: int):
    found = lookups.system(request, org, system)
    record = ImportRecord.objects.filter(system=found, pk=import_id).first()
    if record is None:
        raise Http404("No such import.")
    changed = (ChangeEvent.objects.filter(import_record=record).order_by("poam_id")
               .values_list("poam_id", flat=True).distinct())
    return {**record_dict(record), "changed_items": list(changed)}


@router.get("/orgs/{org}/systems/{system}/exports/{format_key}", tags=["exports"],
            response={200: None, **ERRORS},
            openapi_extra={"responses": {200: {
                "description": "The POA&M in that format, as an attachment",
                "content": {media: {} for media in sorted(
                    {e.media_type for e in registry.default().exporters.values()})}}}},
            summary="Download the system's POA&M in a registered format (see /formats)")
def export(request: HttpRequest, org: str, system: str, format_key: str):
    found = lookups.system(request, org, system)
    if format_key not in registry.default().exporters:
        raise Http404("No such export format.")
    return export_response(lookups.actor(request), found, format_key)
