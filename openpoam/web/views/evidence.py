"""Adding evidence from the item page: a file (size-limited, typed from its content) or a
link. Downloads are in ``files`` and are always attachments."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from openpoam.domain.numbers import is_whole_number
from openpoam.tracker.models import Milestone
from openpoam.tracker.services import evidence as evidence_services
from openpoam.tracker.services.actors import ServiceError
from openpoam.web.views import access
from openpoam.web.views.actions import UNPROCESSABLE, action, body_too_large
from openpoam.web.views.item_actions import done
from openpoam.web.views.item_page import render_item


def _milestone(item, text: str) -> Milestone | None:
    if not text.strip():
        return None
    milestone = item.milestones.filter(sequence=text).first() if is_whole_number(text) else None
    if milestone is None:
        raise ServiceError(f"evidence: {item.poam_id} has no milestone {text}")
    return milestone


@action
def evidence_add(request: HttpRequest, org_slug: str, system_slug: str,
                 poam_id: str) -> HttpResponse:
    system, item = access.editable_item_or_404(request, org_slug, system_slug, poam_id)
    too_big = body_too_large(request, settings.EVIDENCE_MAX_BYTES)
    if too_big:
        return render_item(request, system, poam_id, failed="evidence", error=too_big,
                           status=413)
    post, actor = request.POST, access.actor_of(request)
    upload = request.FILES.get("file")
    try:
        milestone = _milestone(item, post.get("milestone", ""))
        description = post.get("description", "").strip()
        if upload is not None:
            if upload.size > settings.EVIDENCE_MAX_BYTES:
                raise ServiceError(f"evidence {upload.name!r} is larger than the limit of "
                                   f"{settings.EVIDENCE_MAX_BYTES:,} bytes")
            added = evidence_services.add_file(actor, item, upload.name, upload,
                                               milestone=milestone, description=description)
        elif post.get("url", "").strip():
            added = evidence_services.add_link(actor, item, post["url"],
                                               name=post.get("name", ""), milestone=milestone,
                                               description=description)
        else:
            raise ServiceError("evidence: choose a file or give a link")
    except ServiceError as exc:
        return render_item(request, system, poam_id, failed="evidence", error=str(exc),
                           status=UNPROCESSABLE)
    return done(request, item, f"Evidence {added.name} added.")
