"""Importing a file from the browser: upload, see what a dry run would change, confirm.

Both steps are background jobs (openpoam/jobs): the upload starts a dry run whose page
shows its progress and then what the import would create, close and reopen; confirming
starts a job that applies the kept dry run without reading the file again. A job is its
starter's: only they see it or confirm it.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from openpoam.formats.base import FormatError
from openpoam.jobs import services as jobs
from openpoam.tracker.models import ChangeEvent, ImportRecord
from openpoam.tracker.services import bulk_edit
from openpoam.tracker.services.actors import ServiceError
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, action, body_too_large
from openpoam.web.views.pages import system_context
from openpoam.web.views.system_pages import export_links

KEEP_SECONDS = 24 * 3600  # an upload nobody confirmed is removed after a day
CHUNK = 1024 * 1024


def upload_dir() -> Path:
    """Beside the evidence files, which a team keeps on storage every app server shares,
    so the confirming request may reach another server than the upload did."""
    path = Path(settings.EVIDENCE_DIR) / ".imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@require_safe
@login_required
def system_imports(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    system = access.system_or_404(request, org_slug, system_slug)
    return _imports_page(request, system)


def _imports_page(request: HttpRequest, system, **extra) -> HttpResponse:
    records = ImportRecord.objects.filter(system=system)[:200]
    recent = jobs.jobs_of(access.actor_of(request)).filter(system=system)[:10]
    context = {**system_context(system), "tab": "imports", "records": records,
               "jobs": recent,
               "exports": export_links(),
               "can_edit": access.may(request, system.organization, "poam.edit"), **extra}
    status = UNPROCESSABLE if extra.get("error") else 200
    return render(request, "web/system_imports.html", context, status=status)


@action
def import_upload(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    """Step one: keep the file and start its dry run as a background job; its page shows
    the progress, then what the import would change."""
    system = access.editable_system_or_404(request, org_slug, system_slug)
    too_big = body_too_large(request, settings.IMPORT_MAX_BYTES)
    if too_big:
        return _imports_page(request, system, error=too_big)
    upload = request.FILES.get("file")
    if upload is None:
        return _imports_page(request, system, error="import: choose a file to import")
    _remove_old_uploads()
    path = upload_dir() / secrets.token_urlsafe(16)
    _save(upload, path)
    fields = request.POST.get("fields", "").strip() or None  # eMASS workbooks only
    try:
        job = jobs.start_import(access.actor_of(request), system, path,
                                file_name=Path(upload.name).name, dry_run=True,
                                fields=fields, move=True)
    except (ServiceError, FormatError) as exc:
        return _imports_page(request, system, error=str(exc))
    finally:
        path.unlink(missing_ok=True)
    return redirect(reverse("system-job", args=[org_slug, system_slug, job.uuid]))


@action
def import_confirm(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    """Step two: import what the dry run showed (a job applying its kept result)."""
    system = access.editable_system_or_404(request, org_slug, system_slug)
    try:
        job = jobs.confirm(access.actor_of(request), request.POST.get("job", ""), system)
    except jobs.JobNotFound:
        return _imports_page(request, system,
                             error="import: that dry run has expired; upload the file again")
    except (ServiceError, FormatError) as exc:
        return _imports_page(request, system, error=str(exc))
    return redirect(reverse("system-job", args=[org_slug, system_slug, job.uuid]))


def _own_job(request: HttpRequest, system, job_id):
    try:
        job = jobs.get_job(access.actor_of(request), job_id)
    except jobs.JobNotFound:
        raise Http404("No such job.") from None
    if job.system_id != system.pk:
        raise Http404("No such job.")
    return job


@require_safe
@login_required
def system_job(request: HttpRequest, org_slug: str, system_slug: str, job_id) -> HttpResponse:
    """A background job of the user's: progress while it runs (polled), then its outcome."""
    system = access.system_or_404(request, org_slug, system_slug)
    job = _own_job(request, system, job_id)
    return render(request, "web/system_job.html",
                  {**system_context(system), "tab": "imports", **_job_context(request, job)})


@require_safe
@login_required
def system_job_progress(request: HttpRequest, org_slug: str, system_slug: str,
                        job_id) -> HttpResponse:
    """The job's status box alone (HTMX polls it every second until the job is done)."""
    system = access.system_or_404(request, org_slug, system_slug)
    job = _own_job(request, system, job_id)
    return render(request, "web/_job_status.html",
                  {**system_context(system), **_job_context(request, job)})


@action
def system_job_again(request: HttpRequest, org_slug: str, system_slug: str,
                     job_id) -> HttpResponse:
    """A fresh dry run of the same file (offered when the system changed since the last)."""
    system = access.editable_system_or_404(request, org_slug, system_slug)
    job = _own_job(request, system, job_id)
    try:
        fresh = jobs.dry_run_again(access.actor_of(request), job)
    except (ServiceError, FormatError) as exc:
        return _imports_page(request, system, error=str(exc))
    return redirect(reverse("system-job", args=[org_slug, system_slug, fresh.uuid]))


@action
def export_job(request: HttpRequest, org_slug: str, system_slug: str,
               format_key: str) -> HttpResponse:
    """Export in the background (a large POA&M): the job's page offers the file when done."""
    system = access.system_or_404(request, org_slug, system_slug)
    try:
        job = jobs.start_export(access.actor_of(request), system, format_key)
    except (ServiceError, FormatError) as exc:
        return _imports_page(request, system, error=str(exc))
    return redirect(reverse("system-job", args=[org_slug, system_slug, job.uuid]))


@require_safe
@login_required
def system_job_download(request: HttpRequest, org_slug: str, system_slug: str,
                        job_id) -> HttpResponse:
    """A finished export job's file, for the person who started it."""
    system = access.system_or_404(request, org_slug, system_slug)
    job = _own_job(request, system, job_id)
    try:
        path, name, media_type = jobs.output_path(access.actor_of(request), job.uuid)
    except jobs.JobNotFound:
        raise Http404("No finished export with that id.") from None
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name,
                            content_type=media_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _job_context(request: HttpRequest, job) -> dict:
    data = jobs.job_dict(job)
    progress = data["progress"] or {}
    context = {"job": job, "data": data, "result": data["result"] or {},
               "total": progress.get("total_bytes") or 0, "done": progress.get("bytes") or 0,
               "can_edit": access.may(request, job.organization, "poam.edit")}
    if job.kind == job.DRY_RUN and job.state == job.SUCCEEDED and context["result"].get("preview"):
        section = request.GET.get("section", "create")
        section = section if section in jobs.PREVIEW_SECTIONS else "create"
        page = request.GET.get("page", "1")
        context["preview"] = jobs.preview_page(job, section, int(page) if page.isdigit() else 1)
        context["sections"] = [(s, context["result"]["preview"].get(s, 0))
                               for s in jobs.PREVIEW_SECTIONS]
    return context


@require_safe
@login_required
def import_detail(request: HttpRequest, org_slug: str, system_slug: str,
                  record_id: int) -> HttpResponse:
    """One import's record and the changes it made, a page at a time."""
    system = access.system_or_404(request, org_slug, system_slug)
    record = ImportRecord.objects.filter(system=system, pk=record_id).first()
    if record is None:
        raise Http404("No such import.")
    events = ChangeEvent.objects.filter(import_record=record).order_by("poam_id", "id")
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(request, "web/import_detail.html",
                  {**system_context(system), "tab": "imports", "record": record, "page": page,
                   "new_items": len(bulk_edit.new_item_ids(record))})


def _save(upload, path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks(CHUNK):
            out.write(chunk)


def _remove_old_uploads() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in upload_dir().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # another request removed it first
