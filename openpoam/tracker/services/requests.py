"""Requests that one person makes and another decides: risk acceptance, false positive,
and the FedRAMP deviation requests (risk adjustment, operational requirement).

Separation of duties: whoever asked cannot decide. Approving applies the change
through the item services (the workflow checks it as for any status change), so
the item's history shows the request, the decision and the change itself.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from openpoam.domain import workflow
from openpoam.domain.poam import Risk, Status
from openpoam.tracker.models import ApprovalRequest, Organization, Person, PoamItem
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import notify
from openpoam.tracker.services import setup
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder, moment

KIND_LABELS = dict(ApprovalRequest.KINDS)
# The status an approved request moves the item to, for the kinds that change status.
TARGET_STATUS = {ApprovalRequest.RISK_ACCEPTANCE: Status.RISK_ACCEPTED,
                 ApprovalRequest.FALSE_POSITIVE: Status.FALSE_POSITIVE}
DECIDER_ROLE = "request.decide"  # the permission table: owners
ASKER_ROLE = "poam.edit"  # who may ask, and withdraw their own request
DECISIONS = ("approve", "reject", "withdraw")
STATES = tuple(state for state, _ in ApprovalRequest.STATES)


@transaction.atomic
def request_approval(actor: Actor, item: PoamItem, kind: str, rationale: str, *,
                     review_date: date | None = None, proposed_risk: str = "") -> ApprovalRequest:
    require(actor, item.organization, ASKER_ROLE)
    item = item_services.lock(item)
    if kind not in KIND_LABELS:
        raise ServiceError(f"request: {kind!r} is not one of {', '.join(KIND_LABELS)}")
    label = KIND_LABELS[kind]
    if not (rationale or "").strip():
        raise ServiceError(f"{label.lower()}: a rationale is required")
    _check_kind(item, kind, review_date, proposed_risk)
    if item.requests.filter(kind=kind, state=ApprovalRequest.PENDING).exists():
        raise ServiceError(f"{item.poam_id}: a {label.lower()} request is already waiting "
                           "for a decision")
    request = ApprovalRequest.objects.create(
        item=item, kind=kind, rationale=rationale.strip(), review_date=review_date,
        proposed_risk=proposed_risk, requested_by=actor.user, requested_by_name=actor.name,
        requested_at=timezone.now())
    _record(actor, item, request, "create", f"{label} requested", rationale.strip())
    notify.request_waiting_later(request)
    return request


def _check_kind(item: PoamItem, kind: str, review_date: date | None, proposed: str) -> None:
    target = TARGET_STATUS.get(kind)
    if target is not None and target not in workflow.ALLOWED[item.status_enum]:
        raise ServiceError(f"{item.poam_id}: cannot ask for {target.label} while the item is "
                           f"{item.status_enum.label}")
    if kind == ApprovalRequest.RISK_ACCEPTANCE and review_date is None:
        raise ServiceError("risk acceptance: a review date for the accepted risk is required")
    if target is not None:
        # What the approval will check, checked now: not left to fail on the approver.
        try:
            workflow.check_review_date(review_date, timezone.localdate())
        except workflow.TransitionError as exc:
            raise ServiceError(f"review_date: {exc}") from None
    if kind == ApprovalRequest.RISK_ADJUSTMENT:
        if proposed not in {r.value for r in Risk}:
            raise ServiceError("risk adjustment: choose the proposed risk level")
        if proposed == item.effective_risk:
            raise ServiceError(f"risk adjustment: the risk is already {Risk(proposed).label}")


@transaction.atomic
def decide(actor: Actor, request: ApprovalRequest, approve: bool, note: str = "",
           today: date | None = None) -> ApprovalRequest:
    """Approve (and apply) or reject a pending request. Raises ServiceError."""
    request = ApprovalRequest.objects.select_for_update(no_key=True).select_related(
        "item__organization").get(pk=request.pk)
    item = request.item
    require(actor, item.organization, DECIDER_ROLE)
    if not request.is_pending:
        raise ServiceError(f"this request was already {request.get_state_display().lower()}")
    _check_separation(actor, request)
    if approve:
        _apply(actor, request, today)
    elif not note.strip():
        raise ServiceError("a rejection needs a reason for the person who asked")
    request.state = ApprovalRequest.APPROVED if approve else ApprovalRequest.REJECTED
    request.decided_by, request.decided_by_name = actor.user, actor.name
    request.decided_at, request.decision_note = timezone.now(), note.strip()
    request.save()
    verb = "approved" if approve else "rejected"
    _record(actor, item, request, "update", f"{request.get_kind_display()} {verb}", note)
    notify.request_decided_later(request)
    return request


@transaction.atomic
def withdraw(actor: Actor, request: ApprovalRequest) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update(no_key=True).get(pk=request.pk)
    require(actor, request.item.organization, ASKER_ROLE)
    if not request.is_pending:
        raise ServiceError(f"this request was already {request.get_state_display().lower()}")
    if request.requested_by_id != getattr(actor.user, "pk", None):
        require(actor, request.item.organization, DECIDER_ROLE)
    request.state, request.decided_at = ApprovalRequest.WITHDRAWN, timezone.now()
    request.decided_by, request.decided_by_name = actor.user, actor.name
    request.save()
    _record(actor, request.item, request, "update",
            f"{request.get_kind_display()} withdrawn", "")
    return request


def answer(actor: Actor, request: ApprovalRequest, decision: str,
           note: str = "") -> ApprovalRequest:
    """The one call behind every interface's "decide": approve, reject (with a reason for
    the person who asked) or withdraw a pending request."""
    if decision not in DECISIONS:
        raise ServiceError(f"decision: choose {', '.join(DECISIONS[:-1])} or {DECISIONS[-1]}")
    if decision == "withdraw":
        return withdraw(actor, request)
    return decide(actor, request, decision == "approve", note)


def answer_in(actor: Actor, organization: Organization, request_id: int, decision: str,
              note: str = "") -> ApprovalRequest:
    """``answer`` for a request named by its number (the API, the command line): someone who
    may not take part in requests is refused before learning whether the number exists."""
    require(actor, organization, ASKER_ROLE)
    return answer(actor, request_in(organization, request_id), decision, note)


def _check_separation(actor: Actor, request: ApprovalRequest) -> None:
    same_user = request.requested_by_id is not None and \
        request.requested_by_id == getattr(actor.user, "pk", None)
    if same_user or request.requested_by_name.casefold() == actor.name.casefold():
        raise ServiceError(f"the approver of the {request.get_kind_display().lower()} must be "
                           "someone other than the person asking")


def _apply(actor: Actor, request: ApprovalRequest, today: date | None) -> None:
    item = request.item
    target = TARGET_STATUS.get(request.kind)
    if target is not None:
        item_services.set_status(actor, item, target.value, approver=approver_for(actor, item),
                                 rationale=request.rationale, review_date=request.review_date,
                                 today=today, requested_by=request.requested_by_name)
    elif request.kind == ApprovalRequest.RISK_ADJUSTMENT:
        item_services.update_item(actor, item, {"adjusted_risk": request.proposed_risk,
                                                "risk_adjustment_rationale": request.rationale},
                                  justification=f"approved by {actor.name}")
    else:
        item_services.update_item(actor, item, {"operational_requirement": True,
                                                "deviation_rationale": request.rationale},
                                  justification=f"approved by {actor.name}")


def approver_for(actor: Actor, item: PoamItem) -> Person:
    """The approving user as a known person of the item's organization (added when
    missing): the approver recorded on the item is always someone on the people list."""
    return _person_of(actor, item.organization)


def _person_of(actor: Actor, organization) -> Person:
    person = Person.objects.filter(organization=organization, user=actor.user).first() \
        if actor.user is not None else None
    if person is not None:
        return person
    full = actor.user.get_full_name().strip() if actor.user is not None else ""
    name = full or actor.name
    existing = Person.objects.filter(organization=organization, name__iexact=name).first()
    if existing is not None:
        return existing
    return setup.add_person(actor, organization, name,
                            email=getattr(actor.user, "email", "") or "", user=actor.user)


def _record(actor: Actor, item: PoamItem, request: ApprovalRequest, action: str,
            what: str, why: str) -> None:
    recorder = Recorder(actor)
    recorder.add(item, action, entity="request", field_name="request", new=what,
                 justification=(why or "").strip())
    recorder.save()


def pending_for(organization_ids) -> list[ApprovalRequest]:
    """Pending requests in these organizations, oldest first, with their items."""
    return list(ApprovalRequest.objects.filter(state=ApprovalRequest.PENDING,
                                               item__organization_id__in=organization_ids)
                .select_related("item__system__organization").order_by("requested_at"))


def requests_in(organization: Organization, *, state: str = "", poam_id: str = ""):
    """An organization's requests, newest first, optionally in one state or of one item."""
    if state and state not in STATES:
        raise ServiceError(f"state: {state!r} is not one of {', '.join(STATES)}")
    found = (ApprovalRequest.objects.filter(item__organization=organization)
             .select_related("item__system"))
    if state:
        found = found.filter(state=state)
    if poam_id:
        found = found.filter(item__poam_id=poam_id.strip().upper())
    return found


def request_in(organization: Organization, request_id: int) -> ApprovalRequest:
    """One request of the organization; another organization's is "no such request"
    (ApprovalRequest.DoesNotExist: a 404 in the API, a one-line refusal in the CLI)."""
    found = (requests_in(organization).filter(pk=request_id).first()
             if 0 < request_id < 2**63 else None)  # beyond a database integer: none
    if found is None:
        raise ApprovalRequest.DoesNotExist(f"no request {request_id} in {organization.slug}")
    return found


def request_dict(request: ApprovalRequest) -> dict:
    """A request as it leaves the process: the API's RequestOut, `request list --json`."""
    return {"id": request.pk, "poam_id": request.item.poam_id,
            "system": request.item.system.slug, "kind": request.kind,
            "kind_label": request.get_kind_display(), "state": request.state,
            "rationale": request.rationale, "review_date": request.review_date,
            "proposed_risk": request.proposed_risk,
            "requested_by": request.requested_by_name, "requested_at": moment(request.requested_at),
            "decided_by": request.decided_by_name, "decided_at": moment(request.decided_at),
            "decision_note": request.decision_note}
