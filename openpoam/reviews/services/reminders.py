"""Reminder digests: one e-mail per owner with what needs them this week.

Run by `openpoam remind` from cron or a systemd timer; it sends through Django's e-mail
settings (EMAIL_HOST and friends). An owner is a Person with an e-mail address; what
they own is an open item, or an open milestone assigned to them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core import mail
from django.utils import timezone

from openpoam.domain.poam import CLOSED_STATUSES
from openpoam.tracker.models import Milestone, Organization, Person, PoamItem

DUE_SOON_DAYS = 7
_CLOSED = [s.value for s in CLOSED_STATUSES]


@dataclass
class Digest:
    person: Person
    due_soon: list[Milestone] = field(default_factory=list)
    overdue_milestones: list[Milestone] = field(default_factory=list)
    overdue_items: list[PoamItem] = field(default_factory=list)
    stale_items: list[PoamItem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.due_soon or self.overdue_milestones or self.overdue_items
                    or self.stale_items)

    def subject(self) -> str:
        parts = [f"{len(self.due_soon)} due this week" if self.due_soon else "",
                 f"{len(self.overdue_items) + len(self.overdue_milestones)} overdue"
                 if self.overdue_items or self.overdue_milestones else "",
                 f"{len(self.stale_items)} not updated" if self.stale_items else ""]
        return (f"[OpenPOAM] {self.person.organization.name}: "
                + ", ".join(p for p in parts if p))

    def body(self, today: date) -> str:
        lines = [f"Hello {self.person.name},", "",
                 f"Your POA&M work in {self.person.organization.name} as of {today.isoformat()}:"]
        sections = (
            ("Milestones due in the next 7 days", self.due_soon, _milestone_line),
            ("Overdue milestones", self.overdue_milestones, _milestone_line),
            ("Overdue items (scheduled completion passed)", self.overdue_items, _item_line),
            ("Items not updated for a month or more", self.stale_items, _stale_line))
        for title, rows, line in sections:
            if rows:
                lines += ["", f"{title}:"] + [f"  - {line(row)}" for row in rows]
        lines += ["", "Update them in OpenPOAM; this message is sent by `openpoam remind`."]
        return "\n".join(lines)


def _milestone_line(m: Milestone) -> str:
    return (f"{m.item.poam_id} milestone {m.sequence}: {m.description[:120]} "
            f"(due {m.current_due.isoformat()})")


def _item_line(i: PoamItem) -> str:
    return f"{i.poam_id}: {i.title[:120]} (was due {i.scheduled_completion.isoformat()})"


def _stale_line(i: PoamItem) -> str:
    return f"{i.poam_id}: {i.title[:120]} (last change {i.updated_at.date().isoformat()})"


def digests(today: date, organization: Organization | None = None) -> list[Digest]:
    """Every owner's digest with something in it, in a fixed number of queries."""
    stale_days = getattr(settings, "OPENPOAM_STALE_DAYS", 30)
    items = PoamItem.objects.exclude(status__in=_CLOSED).exclude(owner=None)
    milestones = (Milestone.objects.filter(completed_on=None, current_due__isnull=False,
                                           current_due__lte=today + timedelta(DUE_SOON_DAYS))
                  .exclude(item__status__in=_CLOSED).select_related("item", "item__owner"))
    if organization is not None:
        items = items.filter(organization=organization)
        milestones = milestones.filter(item__organization=organization)
    found: dict[int, Digest] = {}
    people = {p.pk: p for p in Person.objects.exclude(email="").select_related("organization")}

    def digest_of(person_id):
        if person_id not in people:
            return None
        return found.setdefault(person_id, Digest(people[person_id]))

    for milestone in milestones.order_by("current_due", "item__poam_id", "sequence"):
        digest = digest_of(milestone.owner_id or milestone.item.owner_id)
        if digest is not None:
            (digest.overdue_milestones if milestone.current_due < today
             else digest.due_soon).append(milestone)
    for item in items.order_by("poam_id"):
        digest = digest_of(item.owner_id)
        if digest is None:
            continue
        if item.scheduled_completion and item.scheduled_completion < today:
            digest.overdue_items.append(item)
        elif (today - timezone.localtime(item.updated_at).date()).days > stale_days:
            digest.stale_items.append(item)
    return [d for d in found.values() if not d.empty]


def send_reminders(today: date | None = None, organization: Organization | None = None,
                   dry_run: bool = False) -> list[Digest]:
    """Send each owner's digest (all over one connection); return the digests."""
    today = today or timezone.localdate()
    found = digests(today, organization)
    if not dry_run and found:
        messages = [mail.EmailMessage(d.subject(), d.body(today), to=[d.person.email])
                    for d in found]
        with mail.get_connection() as connection:
            connection.send_messages(messages)
    return found
