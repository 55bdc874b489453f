"""Milestones and evidence of an item."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from openpoam.api import lookups
from openpoam.api.errors import ApiError
from openpoam.api.schemas import (ERRORS, CompleteIn, EvidenceOut, LinkIn, MilestoneIn, MilestoneOut,
                                  RescheduleIn)
from openpoam.api.serialize import fresh_item
from openpoam.tracker.models import Evidence, PoamItem
from openpoam.tracker.services import evidence as evidence_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services.downloads import (FALLBACK_MEDIA_TYPE, SAFE_MEDIA_TYPES,
                                                 evidence_response)
from openpoam.tracker.services.fields import person_named

router = Router()


def _milestones(item: PoamItem) -> list[dict]:
    return fresh_item(item)["milestones"]


def _milestone_out(item: PoamItem, sequence: int) -> dict:
    return next(m for m in _milestones(item) if m["sequence"] == sequence)


@router.get("/orgs/{org}/items/{poam_id}/milestones", response={200: list[MilestoneOut],
                                                                 **ERRORS}, tags=["milestones"])
def list_milestones(request: HttpRequest, org: str, poam_id: str):
    return _milestones(lookups.item(request, org, poam_id))


@router.post("/orgs/{org}/items/{poam_id}/milestones", response={201: MilestoneOut, **ERRORS},
             tags=["milestones"], summary="Add a milestone (editor)")
def add_milestone(request: HttpRequest, org: str, poam_id: str, payload: MilestoneIn):
    item = lookups.item(request, org, poam_id)
    owner = person_named(item.organization, payload.owner) if payload.owner.strip() else None
    milestone = milestone_services.add_milestone(lookups.actor(request), item,
                                                 payload.description, payload.due, owner)
    return Status(201, _milestone_out(item, milestone.sequence))


@router.post("/orgs/{org}/items/{poam_id}/milestones/{sequence}/reschedule",
             response={200: MilestoneOut, **ERRORS}, tags=["milestones"],
             summary="Move a milestone's due date, with the reason")
def reschedule_milestone(request: HttpRequest, org: str, poam_id: str, sequence: int,
                         payload: RescheduleIn):
    item = lookups.item(request, org, poam_id)
    milestone = _milestone(item, sequence)
    milestone_services.reschedule_milestone(lookups.actor(request), milestone, payload.due,
                                            payload.justification)
    return _milestone_out(item, sequence)


@router.post("/orgs/{org}/items/{poam_id}/milestones/{sequence}/complete",
             response={200: MilestoneOut, **ERRORS}, tags=["milestones"])
def complete_milestone(request: HttpRequest, org: str, poam_id: str, sequence: int,
                       payload: CompleteIn):
    item = lookups.item(request, org, poam_id)
    milestone_services.complete_milestone(lookups.actor(request), _milestone(item, sequence),
                                          payload.completed_on)
    return _milestone_out(item, sequence)


def _milestone(item: PoamItem, sequence: int):
    found = item.milestones.filter(sequence=sequence).first()
    if found is None:
        raise Http404("No such milestone.")
    found.item = item
    return found


@router.get("/orgs/{org}/items/{poam_id}/evidence", response={200: list[EvidenceOut], **ERRORS},
            tags=["evidence"])
def list_evidence(request: HttpRequest, org: str, poam_id: str):
    return fresh_item(lookups.item(request, org, poam_id))["evidence"]


@router.post("/orgs/{org}/items/{poam_id}/evidence", response={201: EvidenceOut, **ERRORS},
             tags=["evidence"], summary="Upload an evidence file (multipart, field 'file')")
def upload_evidence(request: HttpRequest, org: str, poam_id: str, file: File[UploadedFile],
                    description: Form[str] = "", milestone: Form[int | None] = None):
    item = lookups.item(request, org, poam_id)
    if file.size is not None and file.size > settings.EVIDENCE_MAX_BYTES:
        raise ApiError(413, f"file: {file.size:,} bytes is over the evidence limit of "
                       f"{settings.EVIDENCE_MAX_BYTES:,} bytes", "file")
    target = _milestone(item, milestone) if milestone else None
    evidence = evidence_services.add_file(lookups.actor(request), item, file.name or "evidence",
                                          file, milestone=target, description=description)
    return Status(201, _evidence_out(item, evidence))


@router.post("/orgs/{org}/items/{poam_id}/evidence/link", response={201: EvidenceOut, **ERRORS},
             tags=["evidence"], summary="Add a link as evidence")
def add_link(request: HttpRequest, org: str, poam_id: str, payload: LinkIn):
    item = lookups.item(request, org, poam_id)
    target = _milestone(item, payload.milestone) if payload.milestone else None
    evidence = evidence_services.add_link(lookups.actor(request), item, payload.url,
                                          name=payload.name, milestone=target,
                                          description=payload.description)
    return Status(201, _evidence_out(item, evidence))


def _evidence_out(item: PoamItem, evidence: Evidence) -> dict:
    return next(e for e in fresh_item(item)["evidence"] if e["uuid"] == str(evidence.uuid))


@router.get("/orgs/{org}/evidence/{evidence_uuid}/download", tags=["evidence"],
            response={200: None, **ERRORS},
            openapi_extra={"responses": {200: {
                "description": "The file, as an attachment",
                "content": {media: {} for media in sorted(
                    {*SAFE_MEDIA_TYPES, FALLBACK_MEDIA_TYPE})}}}})
def download_evidence(request: HttpRequest, org: str, evidence_uuid: UUID):
    return evidence_response(lookups.evidence(request, org, evidence_uuid))
