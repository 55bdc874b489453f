"""The monthly review and snapshots: start a review, record what was done with each open
item, finish it into a snapshot; take, list and compare snapshots. The services
(reviews/services/review.py) check the role and write the history; the shapes are the
ones `openpoam review|snapshot ... --json` prints (``review_dict``, ``snapshot_dict``)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from openpoam.api import lookups, pagination
from openpoam.api.schemas import ERRORS, Moment, Input, PageParams, QueryInput
from openpoam.reviews.models import Review, Snapshot
from openpoam.reviews.services import review as reviews
from openpoam.tracker.documents import to_jsonable
from openpoam.tracker.models import System

router = Router(tags=["reviews"])
SYSTEM = "/orgs/{org}/systems/{system}"
MONTH = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
EntryAction = Literal[tuple(reviews.ACTIONS)]  # type: ignore[valid-type]


class ReviewOut(Schema):
    month: str
    started_by: str
    started_at: Moment
    finished_by: str
    finished_at: Moment | None = None
    summary: str
    snapshot_id: int | None = None
    snapshot_sha256: str
    entries: int


class ReviewRowOut(Schema):
    poam_id: str
    title: str
    owner: str
    action: str
    by: str
    note: str


class ReviewProgressOut(ReviewOut):
    done: int
    total: int
    items: list[ReviewRowOut]


class ReviewPage(Schema):
    reviews: list[ReviewOut]
    next_cursor: str | None = None


class EntryOut(Schema):
    poam_id: str
    action: str
    note: str
    by: str
    at: Moment


class SnapshotOut(Schema):
    id: int
    label: str
    taken_at: Moment
    taken_by: str
    items: int
    open: int
    sha256: str


class SnapshotPage(Schema):
    snapshots: list[SnapshotOut]
    next_cursor: str | None = None


class ReviewIn(Input):
    month: str = MONTH


class EntryIn(Input):
    poam_id: str = Field(min_length=1, max_length=30)
    action: EntryAction = Field(description="confirmed, updated or escalated (escalated needs "
                                            "a note)")
    note: str = Field(default="", max_length=10000)


class FinishIn(Input):
    summary: str = Field(default="", max_length=10000)
    allow_unreviewed: bool = Field(default=False, description="Finish with open items not "
                                   "walked; the summary says why")


class SnapshotIn(Input):
    label: str = Field(default="", max_length=200)


class CompareParams(QueryInput):
    old: int = Field(ge=1, lt=2**63)
    new: int = Field(ge=1, lt=2**63)


def _review(system: System, month: str) -> Review:
    found = system.reviews.select_related("snapshot").filter(
        month=reviews.parse_month(month)).first()
    if found is None:
        raise Http404("No such review.")
    return found


def _snapshot(system: System, number: int) -> Snapshot:
    found = system.snapshots.filter(pk=number).first()
    if found is None:
        raise Http404("No such snapshot.")
    return found


@router.get(SYSTEM + "/reviews", response={200: ReviewPage, **ERRORS},
            summary="A system's monthly reviews, newest first")
def list_reviews(request: HttpRequest, org: str, system: str, params: Query[PageParams]):
    found = lookups.system(request, org, system)
    rows, cursor = pagination.by_pk(found.reviews.select_related("snapshot"),
                                    params.cursor or None, params.limit, newest_first=True)
    return {"reviews": [reviews.review_dict(r) for r in rows], "next_cursor": cursor}


@router.post(SYSTEM + "/reviews", response={201: ReviewOut, **ERRORS},
             summary="Start the review of a month (editor)")
def start_review(request: HttpRequest, org: str, system: str, payload: ReviewIn):
    found = lookups.system(request, org, system)
    started = reviews.start_review(lookups.actor(request), found,
                                   reviews.parse_month(payload.month))
    return Status(201, reviews.review_dict(started))


@router.get(SYSTEM + "/reviews/{month}", response={200: ReviewProgressOut, **ERRORS},
            summary="A review with each open item and what was done with it")
def get_review(request: HttpRequest, org: str, system: str, month: str):
    return reviews.progress_dict(_review(lookups.system(request, org, system), month))


@router.post(SYSTEM + "/reviews/{month}/entries", response={201: EntryOut, **ERRORS},
             summary="Confirm, mark updated or escalate one open item (editor)")
def record_entry(request: HttpRequest, org: str, system: str, month: str, payload: EntryIn):
    found = lookups.system(request, org, system)
    entry = reviews.record_entry(lookups.actor(request), _review(found, month),
                                 lookups.item(request, org, payload.poam_id), payload.action,
                                 payload.note)
    return Status(201, reviews.entry_dict(entry))


@router.post(SYSTEM + "/reviews/{month}/finish", response={200: ReviewOut, **ERRORS},
             summary="Finish the review: freeze the POA&M into a snapshot (editor)")
def finish_review(request: HttpRequest, org: str, system: str, month: str, payload: FinishIn):
    found = lookups.system(request, org, system)
    done = reviews.finish_review(lookups.actor(request), _review(found, month), payload.summary,
                                 allow_unreviewed=payload.allow_unreviewed)
    return reviews.review_dict(done)


@router.get(SYSTEM + "/snapshots", response={200: SnapshotPage, **ERRORS}, tags=["snapshots"],
            summary="A system's snapshots, newest first")
def list_snapshots(request: HttpRequest, org: str, system: str, params: Query[PageParams]):
    found = lookups.system(request, org, system)
    rows, cursor = pagination.by_pk(found.snapshots.defer("content"), params.cursor or None,
                                    params.limit, newest_first=True)
    return {"snapshots": [reviews.snapshot_dict(s) for s in rows], "next_cursor": cursor}


@router.post(SYSTEM + "/snapshots", response={201: SnapshotOut, **ERRORS}, tags=["snapshots"],
             summary="Freeze the POA&M now (editor)")
def take_snapshot(request: HttpRequest, org: str, system: str, payload: SnapshotIn):
    found = lookups.system(request, org, system)
    taken = reviews.take_snapshot(lookups.actor(request), found, payload.label)
    return Status(201, reviews.snapshot_dict(taken))


@router.get(SYSTEM + "/snapshots/compare", response={200: dict[str, Any], **ERRORS},
            tags=["snapshots"], summary="What changed between two snapshots: new, closed, "
                                        "reopened, slipped, risk and owner changes")
def compare_snapshots(request: HttpRequest, org: str, system: str,
                      params: Query[CompareParams]):
    found = lookups.system(request, org, system)
    diff = reviews.compare_snapshots(lookups.actor(request), _snapshot(found, params.old),
                                     _snapshot(found, params.new))
    return to_jsonable(diff)

