"""Requests one person makes and another decides: risk acceptance, false positive and the
FedRAMP deviation requests (risk adjustment, operational requirement). The service
(tracker/services/requests.py) checks the roles and the separation of duties; this module
parses and presents, in the shape of ``requests.request_dict`` (also `request list --json`)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from openpoam.api import lookups, pagination
from openpoam.api.schemas import ERRORS, Moment, Input, QueryInput, RiskName
from openpoam.tracker.models import ApprovalRequest
from openpoam.tracker.services import requests

router = Router(tags=["requests"])
KindName = Literal[tuple(requests.KIND_LABELS)]  # type: ignore[valid-type]
StateName = Literal[requests.STATES]  # type: ignore[valid-type]
DecisionName = Literal[requests.DECISIONS]  # type: ignore[valid-type]


class RequestOut(Schema):
    id: int
    poam_id: str
    system: str
    kind: str
    kind_label: str
    state: str
    rationale: str
    review_date: date | None = None
    proposed_risk: str
    requested_by: str
    requested_at: Moment
    decided_by: str
    decided_at: Moment | None = None
    decision_note: str


class RequestPage(Schema):
    requests: list[RequestOut]
    next_cursor: str | None = None


class RequestIn(Input):
    kind: KindName
    rationale: str = Field(min_length=1, max_length=10000)
    review_date: date | None = Field(default=None, description="Required for a risk "
                                     "acceptance: when the accepted risk is reviewed")
    proposed_risk: RiskName | Literal[""] = Field(default="", description="A risk "
                                                  "adjustment's proposed level")


class DecisionIn(Input):
    decision: DecisionName = Field(description="approve or reject (request.decide: an owner "
                                   "other than the asker), or withdraw (the asker, or an owner)")
    note: str = Field(default="", max_length=10000, description="Required to reject")


class RequestParams(QueryInput):
    state: StateName | Literal[""] = ""
    poam_id: str = Field(default="", max_length=30)
    cursor: str = Field(default="", max_length=200)
    limit: int = Field(default=50, ge=1, le=500)


@router.get("/orgs/{org}/requests", response={200: RequestPage, **ERRORS},
            summary="The organization's requests, newest first (filter by state or item)")
def list_requests(request: HttpRequest, org: str, params: Query[RequestParams]):
    found = requests.requests_in(lookups.organization(request, org), state=params.state,
                                 poam_id=params.poam_id)
    rows, cursor = pagination.by_pk(found, params.cursor or None, params.limit,
                                    newest_first=True)
    return {"requests": [requests.request_dict(r) for r in rows], "next_cursor": cursor}


@router.post("/orgs/{org}/items/{poam_id}/requests", response={201: RequestOut, **ERRORS},
             summary="Ask for a risk acceptance, false positive, risk adjustment or "
                     "operational requirement (editor)")
def create_request(request: HttpRequest, org: str, poam_id: str, payload: RequestIn):
    made = requests.request_approval(lookups.actor(request), lookups.item(request, org, poam_id),
                                     payload.kind, payload.rationale,
                                     review_date=payload.review_date,
                                     proposed_risk=payload.proposed_risk)
    return Status(201, requests.request_dict(made))


@router.get("/orgs/{org}/requests/{request_id}", response={200: RequestOut, **ERRORS})
def get_request(request: HttpRequest, org: str, request_id: int):
    return requests.request_dict(_request(request, org, request_id))


@router.post("/orgs/{org}/requests/{request_id}/decision", response={200: RequestOut, **ERRORS},
             summary="Approve (and apply), reject or withdraw a pending request")
def decide(request: HttpRequest, org: str, request_id: int, payload: DecisionIn):
    decided = requests.answer_in(lookups.actor(request), lookups.organization(request, org),
                                 request_id, payload.decision, payload.note)
    return requests.request_dict(decided)


def _request(request: HttpRequest, org: str, request_id: int) -> ApprovalRequest:
    return requests.request_in(lookups.organization(request, org), request_id)
