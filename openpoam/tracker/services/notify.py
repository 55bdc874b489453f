"""Telling people what waits on them: in the app (tracker.models.Notification) and by e-mail.

The services that make an event (requests.py, items.py) call the ``*_later`` functions here
inside their transaction; each enqueues a job (Django tasks API) only after the commit, so a
rolled-back change tells nobody and a slow mail server never holds a request. Each job reads
the rows again by id (the job may run later, in `openpoam worker`), skips people who turned
that kind off (NotificationSetting), writes the notification and sends the mail.

E-mail goes through Django's mail settings (OPENPOAM_EMAIL_HOST, settings.py); without a
mail server configured (the console backend) only the in-app notification is written, so the
command line's output never carries a message. Links are absolute: OPENPOAM_BASE_URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from openpoam.domain import permissions
from openpoam.tracker.models import (ApprovalRequest, Membership, Notification,
                                     NotificationSetting, PoamItem)
from openpoam.tracker.services.actors import ServiceError

log = logging.getLogger(__name__)
KIND_LABELS = dict(Notification.KINDS)
_CONSOLE = "django.core.mail.backends.console.EmailBackend"
# A message for many items assigned at once lists this many; the link shows them all.
ASSIGNED_LISTED = 100


# ---- what the services call --------------------------------------------------------------

def request_waiting_later(request: ApprovalRequest) -> None:
    _later(notify_request_waiting, request.pk)


def request_decided_later(request: ApprovalRequest) -> None:
    _later(notify_request_decided, request.pk)


def item_assigned_later(item: PoamItem, actor_user) -> None:
    items_assigned_later([item], actor_user)


def items_assigned_later(items: list[PoamItem], actor_user) -> None:
    """One job per new owner, whatever the number of items given to them (a bulk edit of
    500 items to one person tells that person once, listing the items)."""
    by_owner: dict[int, list[int]] = {}
    for item in items:
        if item.owner_id is not None:
            by_owner.setdefault(item.owner_id, []).append(item.pk)
    actor_id = getattr(actor_user, "pk", None)
    for person_id, item_ids in by_owner.items():
        _later(notify_items_assigned, item_ids, person_id, actor_id)


def _later(job, *args) -> None:
    transaction.on_commit(lambda: _enqueue(job, *args))


def _enqueue(job, *args) -> None:
    try:
        job.enqueue(*args)
    except Exception:  # the change is committed; a queue fault must not turn it into an error
        log.exception("could not enqueue %s%r", job.name, args)


# ---- the jobs --------------------------------------------------------------------------------

@task()
def notify_request_waiting(request_id: int) -> int:
    """Every member who may decide the request (request.decide), except whoever asked."""
    request = _request(request_id)
    if request is None or not request.is_pending:
        return 0
    item = request.item
    deciders = [m.user for m in Membership.objects.filter(organization=item.organization)
                .select_related("user")
                if permissions.allows(m.role, "request.decide") and m.user.is_active
                and m.user_id != request.requested_by_id]
    message = Message(
        Notification.REQUEST_WAITING,
        f"{request.get_kind_display()} waits for your decision: {item.poam_id}",
        f"{request.requested_by_name} asks for a {request.get_kind_display().lower()} of "
        f"{item.poam_id} \"{item.title}\" in {item.system.name} ({item.organization.name}).\n\n"
        f"Rationale: {request.rationale}",
        _item_path(item, "?section=requests#h-requests"), item.organization_id)
    return sum(deliver(user, message) for user in deciders)


@task()
def notify_request_decided(request_id: int) -> int:
    request = _request(request_id)
    if request is None or request.requested_by is None or request.is_pending:
        return 0
    item = request.item
    verb = request.get_state_display().lower()
    note = f"\n\nNote: {request.decision_note}" if request.decision_note else ""
    message = Message(
        Notification.REQUEST_DECIDED,
        f"Your {request.get_kind_display().lower()} of {item.poam_id} was {verb}",
        f"{request.decided_by_name} {verb} your {request.get_kind_display().lower()} of "
        f"{item.poam_id} \"{item.title}\" in {item.system.name} ({item.organization.name})."
        + note, _item_path(item, "?section=requests#h-requests"), item.organization_id)
    if request.decided_by_id == request.requested_by_id:
        return 0  # withdrawn by the person who asked: nothing to tell them
    return deliver(request.requested_by, message)


@task()
def notify_item_assigned(item_id: int, person_id: int, actor_user_id: int | None) -> int:
    """Jobs queued before assignments were grouped per person."""
    return notify_items_assigned.call([item_id], person_id, actor_user_id)


@task()
def notify_items_assigned(item_ids: list[int], person_id: int,
                          actor_user_id: int | None) -> int:
    """One message to the person for the items given to them in one change; items given
    to someone else since are left out."""
    items = list(PoamItem.objects.select_related("system__organization", "owner__user")
                 .filter(pk__in=item_ids, owner_id=person_id).order_by("poam_id"))
    if not items or items[0].owner.user is None:
        return 0  # all reassigned since, or a person who does not sign in
    user = items[0].owner.user
    if user.pk == actor_user_id or not user.is_active:
        return 0  # nobody is told what they did themselves
    return deliver(user, _assigned_message(items))


def _assigned_message(items: list[PoamItem]) -> Message:
    first = items[0]
    organization = first.system.organization
    if len(items) == 1:
        return Message(
            Notification.ITEM_ASSIGNED, f"{first.poam_id} was assigned to you",
            f"You own {first.poam_id} \"{first.title}\" in {first.system.name} "
            f"({organization.name}). Scheduled completion: {_due(first)}.",
            _item_path(first), organization.id)
    lines = [f"- {item.poam_id} \"{item.title}\" in {item.system.name}, scheduled "
             f"completion {_due(item)}: {absolute_url(_item_path(item))}"
             for item in items[:ASSIGNED_LISTED]]
    if len(items) > ASSIGNED_LISTED:
        lines.append(f"- and {len(items) - ASSIGNED_LISTED} more")
    systems = {item.system_id for item in items}
    # One system: its list of the person's items; several: the person's own page.
    link = (reverse("system", args=[organization.slug, first.system.slug])
            + f"?owner={first.owner_id}" if len(systems) == 1 else reverse("my-work"))
    return Message(
        Notification.ITEM_ASSIGNED, f"{len(items)} items were assigned to you",
        f"You now own these {len(items)} items in {organization.name}:\n" + "\n".join(lines),
        link, organization.id)


def _due(item: PoamItem) -> str:
    return item.scheduled_completion.isoformat() if item.scheduled_completion else "not set"


# ---- delivery --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    link: str  # a path
    organization_id: int | None


def absolute_url(path: str) -> str:
    return settings.OPENPOAM_BASE_URL + path


def wanted(user, kind: str) -> tuple[bool, bool]:
    """(in the app, by e-mail) for this user and kind; both on unless turned off."""
    setting = NotificationSetting.objects.filter(user=user, kind=kind).first()
    return (True, True) if setting is None else (setting.in_app, setting.email)


def deliver(user, message: Message) -> int:
    """Write the notification and send its e-mail, as the user's settings say; 1 if either."""
    in_app, by_email = wanted(user, message.kind)
    emailed = by_email and bool(user.email) and _send(user.email, message)
    if in_app:
        Notification.objects.create(user=user, organization_id=message.organization_id,
                                    kind=message.kind, title=message.title[:300],
                                    body=message.body, link=message.link,
                                    created_at=timezone.now(), emailed=emailed)
        forget_unread(user.pk)
    return int(in_app or emailed)


def _send(address: str, message: Message) -> bool:
    if settings.EMAIL_BACKEND == _CONSOLE:
        return False  # no mail server configured: in the app only
    body = (f"{message.body}\n\nOpen it: {absolute_url(message.link)}\n\n"
            f"You receive this because \"{KIND_LABELS[message.kind]}\" is on in your "
            f"notification settings: {absolute_url(reverse('notification-settings'))}")
    mail.EmailMessage(f"[OpenPOAM] {message.title}", body, to=[address]).send()
    return True


# ---- reading ---------------------------------------------------------------------------------

def _unread_key(user_id: int) -> str:
    return f"openpoam:unread:{user_id}"


def forget_unread(user_id: int) -> None:
    cache.delete(_unread_key(user_id))


def unread_count(user) -> int:
    """Shown in every page's header: cached (the shared cache) until it changes."""
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, 3600)
    return count


def mark_read(user, ids: list[int] | None = None) -> int:
    """Mark the user's own notifications read (all when ``ids`` is None)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    done = unread.update(read_at=timezone.now())
    forget_unread(user.pk)
    return done


def settings_of(user) -> list[dict]:
    chosen = {s.kind: s for s in NotificationSetting.objects.filter(user=user)}
    return [{"kind": kind, "label": label,
             "in_app": chosen[kind].in_app if kind in chosen else True,
             "email": chosen[kind].email if kind in chosen else True}
            for kind, label in Notification.KINDS]


def save_settings(user, choices: dict[str, tuple[bool, bool]]) -> None:
    """``choices``: kind -> (in the app, by e-mail); unknown kinds are refused."""
    unknown = set(choices) - set(KIND_LABELS)
    if unknown:
        raise ServiceError(f"notification kind: {', '.join(sorted(unknown))} is not one of "
                         f"{', '.join(KIND_LABELS)}")
    with transaction.atomic():
        for kind, (in_app, email) in choices.items():
            NotificationSetting.objects.update_or_create(
                user=user, kind=kind, defaults={"in_app": in_app, "email": email})


def _request(request_id: int) -> ApprovalRequest | None:
    return (ApprovalRequest.objects.select_related("item__system", "item__organization",
                                                   "requested_by")
            .filter(pk=request_id).first())


def _item_path(item: PoamItem, anchor: str = "") -> str:
    return reverse("item", args=[item.organization.slug, item.system.slug, item.poam_id]) + anchor
