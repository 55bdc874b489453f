"""Evidence downloads: members only, always as an attachment, never rendered inline."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_safe

from openpoam.tracker.services.downloads import evidence_response
from openpoam.web.views import access


@require_safe
@login_required
def download_evidence(request: HttpRequest, evidence_uuid: UUID) -> FileResponse:
    return evidence_response(access.evidence_or_404(request, evidence_uuid))
