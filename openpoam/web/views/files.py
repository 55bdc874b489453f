"""Evidence downloads: members only, always as an attachment, never rendered inline."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from openpoam.tracker.models import Evidence
from openpoam.tracker.services.evidence import path_of
from openpoam.web.views import access

# Types a browser will not run as a page. Anything else (HTML, SVG, XML, scripts…)
# goes out as octet-stream so it can only be saved, never interpreted.
SAFE_MEDIA_TYPES = frozenset({
    "application/pdf", "application/json", "application/zip", "application/gzip",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv",
})
FALLBACK_MEDIA_TYPE = "application/octet-stream"


def safe_media_type(media_type: str) -> str:
    base = (media_type or "").split(";")[0].strip().lower()
    return base if base in SAFE_MEDIA_TYPES else FALLBACK_MEDIA_TYPE


@require_safe
@login_required
def download_evidence(request: HttpRequest, evidence_uuid: UUID) -> FileResponse:
    return evidence_response(access.evidence_or_404(request, evidence_uuid))


def evidence_response(evidence: Evidence) -> FileResponse:
    """The file as a download that nothing can run (shared by the web and the API)."""
    path = _stored_file(evidence)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=evidence.name,
                            content_type=safe_media_type(evidence.media_type))
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser still open it, nothing in it may run or load.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _stored_file(evidence: Evidence) -> Path:
    if evidence.kind != Evidence.FILE or not evidence.storage_name:
        raise Http404("No file for this evidence.")
    root = Path(settings.EVIDENCE_DIR).resolve()
    path = path_of(evidence).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404("The evidence file is missing.")
    return path
