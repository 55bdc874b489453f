"""FedRAMP CR26 overdue notices (the scheduled job ``cr26-overdue``): when a vulnerability's
evaluation becomes late, its reduction overdue (FRD-ODV) or its KEV deadline passes, the
people responsible for it are told once, in the app and by e-mail, as their notification
settings say (notify.deliver).

Responsible: the item's owner when that person signs in and is still a member of the
organization; otherwise every member who may edit the organization's POA&M. Each event is
recorded (Cr26OverdueNotice: vulnerability, kind of deadline, the deadline itself) in the
same transaction as the notifications, so a second run tells nobody again and a new
deadline that passes later is a new event. Every deadline comes from the domain rules
(cr26_reports.snapshot); each system is its own transaction, its people its organization's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from openpoam.domain import permissions
from openpoam.domain.fedramp import cr26 as rules
from openpoam.tracker.models import (Cr26OverdueNotice, Membership, Notification, PoamItem,
                                     System)
from openpoam.tracker.services import cr26_reports
from openpoam.tracker.services.notify import Message, deliver

Notice = Cr26OverdueNotice
WHAT = {Notice.EVALUATION: "evaluation was due", Notice.REDUCTION: "reduction was due",
        Notice.KEV: "KEV remediation was due"}


@dataclass(frozen=True)
class Passed:
    """One deadline of one vulnerability that passed and nobody was told of yet."""

    row: cr26_reports.Row
    event: str
    deadline: rules.Deadline

    @property
    def line(self) -> str:
        item = self.row.vuln.item
        return (f"- {item.poam_id} {item.title}: {WHAT[self.event]} "
                f"{rules.iso(self.deadline.at)} ({self.deadline.rule})")


def send_overdue_notices(now: datetime | None = None) -> dict:
    """Tell the responsible people of every CR26 deadline that passed since the last run;
    returns how many events were new and how many people were told."""
    now = now or timezone.now()
    events = people = 0
    for system in cr26_systems():
        with transaction.atomic():
            new, told = _notify_system(system, now)
        events, people = events + new, people + told
    return {"events": events, "people": people}


def cr26_systems():
    found = (System.objects.filter(fedramp_regime="cr26").exclude(cr26_class="")
             .select_related("organization").order_by("pk"))
    return [system for system in found if system.is_cr26]


def _notify_system(system: System, now: datetime) -> tuple[int, int]:
    fresh = _not_told(system, list(_passed(system, now)))
    if not fresh:
        return 0, 0
    by_user = defaultdict(list)
    recipients = _recipients(system, [p.row.vuln.item_id for p in fresh])
    for passed in fresh:
        for user in recipients(passed.row.vuln.item_id):
            by_user[user].append(passed)
    told = sum(deliver(user, _message(system, rows)) for user, rows in by_user.items())
    counts = defaultdict(int)
    for rows in by_user.values():
        for passed in rows:
            counts[(passed.row.vuln.pk, passed.event)] += 1
    Notice.objects.bulk_create(
        Notice(vulnerability=p.row.vuln, event=p.event, due_at=p.deadline.at, notified_at=now,
               recipients=counts[(p.row.vuln.pk, p.event)]) for p in fresh)
    return len(fresh), told


def _passed(system: System, now: datetime):
    """Each open vulnerability's deadlines that are behind ``now`` (a group: its lead)."""
    for row in cr26_reports.snapshot(system, now):
        state = row.state
        if state.closed or state.accepted:
            continue
        if row.vuln.evaluated_at is None and state.evaluation_late:
            yield Passed(row, Notice.EVALUATION, state.evaluation_due)
        if state.reduction_overdue:
            yield Passed(row, Notice.REDUCTION, state.reduction_due)
        if state.kev_overdue and state.kev_due.at != state.reduction_due.at:
            yield Passed(row, Notice.KEV, state.kev_due)  # a cap below PVR: already above


def _not_told(system: System, passed: list[Passed]) -> list[Passed]:
    if not passed:
        return []
    told = set(Notice.objects.filter(vulnerability__system=system)
               .values_list("vulnerability_id", "event", "due_at"))
    return [p for p in passed if (p.row.vuln.pk, p.event, p.deadline.at) not in told]


def _recipients(system: System, item_ids: list[int]):
    """Who answers for an item: its owner (a member who signs in), else the editors."""
    members = {m.user_id: m for m in Membership.objects.filter(
        organization_id=system.organization_id, user__is_active=True).select_related("user")}
    editors = [m.user for m in members.values() if permissions.allows(m.role, "poam.edit")]
    owners = dict(PoamItem.objects.filter(pk__in=item_ids)
                  .values_list("pk", "owner__user_id"))

    def of(item_id: int) -> list:
        owner = members.get(owners.get(item_id))
        return [owner.user] if owner is not None else editors
    return of


def _message(system: System, rows: list[Passed]) -> Message:
    count = len(rows)
    organization = system.organization
    return Message(
        Notification.CR26_OVERDUE,
        f"{count} FedRAMP CR26 deadline{'s' if count != 1 else ''} passed in {system.name}",
        f"Vulnerabilities of {system.name} ({organization.name}) you answer for:\n"
        + "\n".join(p.line for p in rows)
        + "\n\nEvaluate or reduce them, or record why they are late (VER-RPT-VDT item 9).",
        reverse("system-cr26", args=[organization.slug, system.slug]), organization.pk)
