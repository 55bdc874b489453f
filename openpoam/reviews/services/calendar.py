"""Private iCalendar feeds of milestones: per system, or per owner.

The URL carries a random token; only its SHA-256 is stored, so the database alone
cannot be used to read anyone's calendar. A feed is revoked by setting ``revoked_at``;
its URL then answers 404 like any unknown one. Built with the icalendar library.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar, Event

from openpoam.domain.poam import CLOSED_STATUSES
from openpoam.reviews.models import CalendarFeed
from openpoam.tracker.models import Milestone, Person, PoamItem, System
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError, require

_CLOSED = [s.value for s in CLOSED_STATUSES]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(actor: Actor, *, system: System | None = None,
                person: Person | None = None) -> tuple[CalendarFeed, str]:
    """A new feed and its token (shown once)."""
    if (system is None) == (person is None):
        raise ServiceError("a calendar feed is of one system or of one owner")
    organization = system.organization if system else person.organization
    own = person is not None and actor.user is not None and person.user_id == actor.user.pk
    require(actor, organization, "poam.view" if system or own else "poam.edit")
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(organization=organization, system=system, person=person,
                                       token_hash=_hash(token), hint=token[:6],
                                       created_by=actor.name, created_at=timezone.now())
    audit.record(actor, organization, "calendar", str(feed.pk), "create",
                 {"feed": ("", feed.subject), "starts": ("", feed.hint)}, system=system)
    return feed, token


def revoke_feed(actor: Actor, feed: CalendarFeed) -> None:
    if feed.created_by != actor.name:
        require(actor, feed.organization, "org.manage")  # someone else's feed
    else:
        require(actor, feed.organization, "poam.view")
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit.record(actor, feed.organization, "calendar", str(feed.pk), "update",
                     {"revoked_at": ("", feed.revoked_at)}, system=feed.system)


def feeds(actor: Actor, organization) -> list[CalendarFeed]:
    require(actor, organization, "poam.view")
    rows = CalendarFeed.objects.filter(organization=organization, revoked_at=None)
    try:
        require(actor, organization, "org.manage")
    except PermissionDenied:
        rows = rows.filter(created_by=actor.name)
    return list(rows.select_related("system", "person"))


def feed_for_token(token: str) -> CalendarFeed | None:
    if not token or len(token) > 100:
        return None
    return (CalendarFeed.objects.filter(token_hash=_hash(token), revoked_at=None)
            .select_related("organization", "system", "person").first())


def feed_ics(feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """The feed as an iCalendar file: one all-day event per open milestone and item due date."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//OpenPOAM//POA&M milestones//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"POA&M: {feed.subject}")
    for milestone in _milestones(feed):
        calendar.add_component(_event(
            f"milestone-{milestone.uuid}", milestone.current_due,
            f"{milestone.item.poam_id} milestone {milestone.sequence}: {milestone.description}",
            f"{milestone.item.title}\n{milestone.item.system.name}", now))
    for item in _items(feed):
        calendar.add_component(_event(
            f"item-{item.uuid}", item.scheduled_completion,
            f"{item.poam_id} due: {item.title}", item.system.name, now))
    return calendar.to_ical()


def _event(uid: str, day, summary: str, description: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@openpoam")
    event.add("dtstamp", now)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary[:250])
    event.add("description", description[:1000])
    event.add("transp", "TRANSPARENT")
    return event


def _milestones(feed: CalendarFeed):
    rows = (Milestone.objects.filter(completed_on=None, current_due__isnull=False,
                                     item__organization=feed.organization)
            .exclude(item__status__in=_CLOSED).select_related("item", "item__system"))
    if feed.system_id:
        rows = rows.filter(item__system=feed.system)
    else:
        rows = rows.filter(Q(owner=feed.person) | Q(owner=None, item__owner=feed.person))
    return rows.order_by("current_due", "item__poam_id", "sequence")


def _items(feed: CalendarFeed):
    rows = (PoamItem.objects.filter(organization=feed.organization,
                                    scheduled_completion__isnull=False)
            .exclude(status__in=_CLOSED).select_related("system"))
    rows = rows.filter(system=feed.system) if feed.system_id else rows.filter(owner=feed.person)
    return rows.order_by("scheduled_completion", "poam_id")
