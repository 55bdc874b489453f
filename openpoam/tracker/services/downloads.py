"""Files as downloads, shared by the web pages and the API: evidence files and exports.

Both interfaces answer with the same response, so its headers (attachment, nosniff, no
caching, a sandbox for anything a browser might still open) are decided once, here.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone

from openpoam.tracker.models import Evidence
from openpoam.tracker.services import exports
from openpoam.tracker.services.evidence import path_of

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


def evidence_response(evidence: Evidence) -> FileResponse:
    """The file as a download that nothing can run; Http404 when it has no stored file."""
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


def export_response(actor, system, format_key: str) -> HttpResponse:
    """The export as a download; FormatError if the format is unknown."""
    content, exporter, warnings = exports.export_bytes(actor, system, format_key)
    name = exports.download_name(system, format_key, exporter.extension, timezone.localdate())
    response = HttpResponse(content, content_type=exporter.media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if warnings:
        response["X-OpenPOAM-Warnings"] = str(len(warnings))
    return response
