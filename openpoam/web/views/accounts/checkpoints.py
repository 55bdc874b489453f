"""The audit page's checkpoints: the organization's public key, a fresh signed checkpoint to
keep elsewhere, and the check of the trail against an uploaded checkpoint (or an export that
carries one)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from openpoam.web.views.accounts.common import actor_of, organization_or_404
from openpoam.formats import checkpoint as fmt
from openpoam.tracker.services import audit, checkpoints
from openpoam.tracker.services.actors import ServiceError


@require_safe
@login_required
def public_key(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization_or_404(request, org_slug, "audit.view")
    response = HttpResponse(checkpoints.public_key_info()["pem"],
                            content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="openpoam-checkpoint-key.pem"'
    return response


@require_safe
@login_required
def download(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = organization_or_404(request, org_slug, "audit.view")
    text = checkpoints.make(actor_of(request), org)
    name = f"checkpoint-{org.slug}-{timezone.now():%Y%m%dT%H%M%SZ}.json"
    response = HttpResponse(text, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def verify(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = organization_or_404(request, org_slug, "audit.view")
    upload = request.FILES.get("checkpoint")
    problems, checked, error = [], 0, ""
    if upload is None:
        error = "Choose a checkpoint file, or an export that carries one."
    elif upload.size > settings.IMPORT_MAX_BYTES:
        error = f"{upload.name}: larger than {settings.IMPORT_MAX_BYTES} bytes"
    else:
        try:
            found = checkpoints.load(_checkpoint_text(upload), upload.name)
            checked, findings = checkpoints.verify(actor_of(request), found, org)
            problems = [f.describe() for f in findings]
            problems += [b.describe() for b in audit.verify(org)[1]]
        except (ServiceError, fmt.CheckpointError) as exc:
            error = str(exc)
    return render(request, "accounts/audit_checkpoint.html", {
        "organization": org, "file_name": upload.name if upload else "", "error": error,
        "problems": problems, "checked": checked},
        status=422 if error else 200)  # 422: the page's htmx shows it (400 it would not)


def _checkpoint_text(upload) -> str:
    with tempfile.NamedTemporaryFile(prefix="checkpoint-", suffix=Path(upload.name).suffix
                                     ) as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        try:
            return fmt.find_in_file(Path(copy.name))
        except fmt.CheckpointError as exc:
            raise fmt.CheckpointError(str(exc).replace(copy.name, upload.name)) from None
