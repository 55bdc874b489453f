"""Importing a file from the browser: upload, see what a dry run would change, confirm.

The upload is kept beside the evidence files (mode 0600) between the two steps, named by a
random token remembered in the user's session, so only the person who uploaded it can
confirm it. Both steps call ``services.imports.import_file``, the command line's path.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from openpoam.formats.base import FormatError
from openpoam.tracker.models import ChangeEvent, ImportRecord, Role
from openpoam.tracker.services import bulk_edit
from openpoam.tracker.services import imports as import_services
from openpoam.tracker.services.actors import ServiceError
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, action, body_too_large
from openpoam.web.views.pages import system_context
from openpoam.web.views.system_pages import export_links

SESSION_KEY = "openpoam_uploads"
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
    context = {**system_context(system), "tab": "imports", "records": records,
               "exports": export_links(),
               "can_edit": access.may(request, system.organization, Role.EDITOR), **extra}
    status = UNPROCESSABLE if extra.get("error") else 200
    return render(request, "web/system_imports.html", context, status=status)


@action
def import_upload(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    """Step one: keep the file and show the dry run's summary."""
    system = access.editable_system_or_404(request, org_slug, system_slug)
    too_big = body_too_large(request, settings.IMPORT_MAX_BYTES)
    if too_big:
        return _imports_page(request, system, error=too_big)
    upload = request.FILES.get("file")
    if upload is None:
        return _imports_page(request, system, error="import: choose a file to import")
    _remove_old_uploads()
    token = secrets.token_urlsafe(16)
    path = upload_dir() / token
    _save(upload, path)
    name = Path(upload.name).name
    fields = request.POST.get("fields", "").strip() or None  # eMASS workbooks only
    try:
        result = import_services.import_file(access.actor_of(request), system, path,
                                             file_name=name, dry_run=True, fields=fields)
    except (ServiceError, FormatError) as exc:
        path.unlink(missing_ok=True)
        return _imports_page(request, system, error=str(exc))
    request.session.setdefault(SESSION_KEY, {})[token] = {"name": name, "system": system.pk,
                                                          "fields": fields}
    request.session.modified = True
    return _imports_page(request, system, preview=result, token=token)


@action
def import_confirm(request: HttpRequest, org_slug: str, system_slug: str) -> HttpResponse:
    """Step two: import the kept file for real, then show its record."""
    system = access.editable_system_or_404(request, org_slug, system_slug)
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_KEY, {}).get(token)
    path = upload_dir() / token if token.replace("-", "").replace("_", "").isalnum() else None
    if not pending or pending["system"] != system.pk or path is None or not path.is_file():
        return _imports_page(request, system,
                             error="import: that upload has expired; upload the file again")
    try:
        result = import_services.import_file(access.actor_of(request), system, path,
                                             file_name=pending["name"],
                                             fields=pending.get("fields"))
    except (ServiceError, FormatError) as exc:
        return _imports_page(request, system, error=str(exc))
    finally:
        request.session[SESSION_KEY].pop(token, None)
        request.session.modified = True
        path.unlink(missing_ok=True)
    messages.success(request, f"{pending['name']} imported.")
    if result.record is None:
        return redirect(reverse("system-imports", args=[org_slug, system_slug]))
    return redirect(reverse("system-import", args=[org_slug, system_slug, result.record.pk]))


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
