"""What waits on one person, across every organization they belong to.

One read for the web page "My work", ``GET /api/v1/me/work`` and ``openpoam work``: the
interfaces only present ``MyWork.to_dict()`` (or its rows). A person is a user; what they
own is reached through the People records linked to that user (``Person.user``), one per
organization. A fixed number of queries whatever the number of organizations:

- requests to decide: pending requests in organizations where their role may decide
  (``request.decide``), except their own (separation of duties, services/requests.py);
- milestones and items they own that are due within ``HORIZON_DAYS`` or overdue;
- open items without an owner in the systems of organizations they own (role owner);
- reviews started and not finished, where they may edit;
- CR26 evaluations not done (VER-TFR-EVU) due within the horizon, of items they own or
  without an owner, where they may edit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from openpoam.domain import permissions
from openpoam.domain.fedramp import cr26 as rules
from openpoam.domain.fedramp.cr26 import CertClass
from openpoam.domain.poam import CLOSED_STATUSES
from openpoam.reviews.models import Review
from openpoam.tracker.filters import NO_OWNER
from openpoam.tracker.models import (ApprovalRequest, Cr26Vulnerability, Membership, Milestone,
                                     Notification, Person, PoamItem, System)
from openpoam.tracker.services.notify import Message, absolute_url, deliver

HORIZON_DAYS = 14
# Per kind, at most this many rows are listed; the count says how many more there are.
ROW_LIMIT = 200
_CLOSED = [s.value for s in CLOSED_STATUSES]

KINDS = {"request": "Requests to decide", "milestone": "Milestones due",
         "item": "Items due", "unowned": "Items without an owner",
         "review": "Reviews to finish", "cr26": "CR26 evaluations due"}


@dataclass(frozen=True)
class WorkRow:
    kind: str  # one of KINDS
    organization: str  # slug
    organization_name: str
    system: str  # slug
    system_name: str
    reference: str  # a POA&M ID, or a review's month
    title: str
    detail: str
    due: date | None
    overdue: bool
    href: str  # the page where the person acts (a path; see absolute_url)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data


@dataclass
class Section:
    kind: str
    label: str
    rows: list[WorkRow]
    total: int  # rows found, of which at most ROW_LIMIT are listed

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass
class MyWork:
    username: str
    today: date
    organizations: list[dict] = field(default_factory=list)  # slug, name, role
    sections: list[Section] = field(default_factory=list)

    @property
    def horizon_days(self) -> int:
        return HORIZON_DAYS

    @property
    def rows(self) -> list[WorkRow]:
        return [row for section in self.sections for row in section.rows]

    @property
    def total(self) -> int:
        return sum(section.total for section in self.sections)

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.overdue)

    def section(self, kind: str) -> Section:
        return next(s for s in self.sections if s.kind == kind)

    def to_dict(self) -> dict:
        return {"user": self.username, "today": self.today.isoformat(),
                "horizon_days": HORIZON_DAYS, "total": self.total,
                "organizations": self.organizations,
                "sections": [{"kind": s.kind, "label": s.label, "total": s.total,
                              "rows": [r.to_dict() for r in s.rows]} for s in self.sections]}


def my_work(user, today: date | None = None, now: datetime | None = None, *,
            organization=None) -> MyWork:
    """Everything waiting on ``user`` (a Django user) in the organizations they belong to;
    only in ``organization`` when given (an API token acts in one organization)."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    memberships = Membership.objects.filter(user=user).select_related("organization")
    if organization is not None:
        memberships = memberships.filter(organization=organization)
    memberships = list(memberships.order_by("organization__name"))
    roles = {m.organization_id: m.role for m in memberships}
    work = MyWork(user.get_username(), today,
                  [{"slug": m.organization.slug, "name": m.organization.name, "role": m.role}
                   for m in memberships])

    def orgs_allowing(action: str) -> list[int]:
        return [org for org, role in roles.items() if permissions.allows(role, action)]

    people = list(Person.objects.filter(user=user, organization_id__in=roles)
                  .values_list("pk", flat=True))
    horizon = today + timedelta(days=HORIZON_DAYS)
    work.sections = [
        _requests(user, orgs_allowing("request.decide")),
        _milestones(people, today, horizon),
        _items(people, today, horizon),
        _unowned([org for org, role in roles.items() if role == "owner"]),
        _reviews(orgs_allowing("poam.edit")),
        _cr26(people, orgs_allowing("poam.edit"), now, horizon),
    ]
    return work


def has_owner_role(user) -> bool:
    return Membership.objects.filter(user=user, role="owner").exists()


def _section(kind: str, rows: list[WorkRow], total: int | None = None) -> Section:
    return Section(kind, KINDS[kind], rows[:ROW_LIMIT], len(rows) if total is None else total)


def _item_href(item: PoamItem, anchor: str = "") -> str:
    return reverse("item", args=[item.system.organization.slug, item.system.slug,
                                 item.poam_id]) + anchor


def _base(item: PoamItem) -> dict:
    system = item.system
    return {"organization": system.organization.slug,
            "organization_name": system.organization.name, "system": system.slug,
            "system_name": system.name, "reference": item.poam_id}


def _requests(user, org_ids: list[int]) -> Section:
    pending = (ApprovalRequest.objects.filter(state=ApprovalRequest.PENDING,
                                              item__organization_id__in=org_ids)
               .exclude(requested_by=user)
               .select_related("item__system__organization").order_by("requested_at", "pk"))
    rows = [WorkRow(kind="request", **_base(r.item), title=r.item.title,
                    detail=f"{r.get_kind_display()} asked by {r.requested_by_name} on "
                           f"{timezone.localtime(r.requested_at).date().isoformat()}",
                    due=None, overdue=False,
                    href=_item_href(r.item, "?section=requests#h-requests"))
            for r in pending[:ROW_LIMIT + 1]]
    return _section("request", rows, pending.count() if len(rows) > ROW_LIMIT else None)


def _milestones(people: list[int], today: date, horizon: date) -> Section:
    found = (Milestone.objects.filter(owner_id__in=people, completed_on__isnull=True,
                                      current_due__isnull=False, current_due__lte=horizon)
             .exclude(item__status__in=_CLOSED)
             .select_related("item__system__organization")
             .order_by("current_due", "item__poam_id", "sequence"))
    rows = [WorkRow(kind="milestone", **_base(m.item), title=m.description,
                    detail=f"Milestone {m.sequence} of {m.item.title}", due=m.current_due,
                    overdue=m.current_due < today,
                    href=_item_href(m.item, "?section=milestones#h-milestones"))
            for m in found[:ROW_LIMIT + 1]]
    return _section("milestone", rows, found.count() if len(rows) > ROW_LIMIT else None)


def _items(people: list[int], today: date, horizon: date) -> Section:
    found = (PoamItem.objects.filter(owner_id__in=people, scheduled_completion__isnull=False,
                                     scheduled_completion__lte=horizon)
             .exclude(status__in=_CLOSED).select_related("system__organization")
             .order_by("scheduled_completion", "poam_id"))
    rows = [WorkRow(kind="item", **_base(i), title=i.title,
                    detail=f"{i.get_status_display()}, scheduled completion",
                    due=i.scheduled_completion, overdue=i.scheduled_completion < today,
                    href=_item_href(i)) for i in found[:ROW_LIMIT + 1]]
    return _section("item", rows, found.count() if len(rows) > ROW_LIMIT else None)


def _unowned(org_ids: list[int]) -> Section:
    """One row per system (an import can leave thousands), linking to its filtered list."""
    counts = (PoamItem.objects.filter(organization_id__in=org_ids, owner__isnull=True)
              .exclude(status__in=_CLOSED).order_by()
              .values("system_id", "system__slug", "system__name", "organization__slug",
                      "organization__name").annotate(n=Count("id"))
              .order_by("organization__name", "system__name"))
    rows = [WorkRow(kind="unowned", organization=c["organization__slug"],
                    organization_name=c["organization__name"], system=c["system__slug"],
                    system_name=c["system__name"], reference="",
                    title=f"{c['n']} open item{'s' if c['n'] != 1 else ''} without an owner",
                    detail="Give each an owner", due=None, overdue=False,
                    href=reverse("system", args=[c["organization__slug"], c["system__slug"]])
                    + f"?owner={NO_OWNER}&status=active") for c in counts]
    return _section("unowned", rows)


def _reviews(org_ids: list[int]) -> Section:

    found = (Review.objects.filter(system__organization_id__in=org_ids, finished_at__isnull=True)
             .select_related("system__organization").order_by("month", "system__name"))
    rows = []
    for review in found[:ROW_LIMIT]:
        system, month = review.system, f"{review.month:%Y-%m}"
        rows.append(WorkRow(kind="review", organization=system.organization.slug,
                            organization_name=system.organization.name, system=system.slug,
                            system_name=system.name, reference=month,
                            title=f"Monthly review {month}",
                            detail=f"Started by {review.started_by} on "
                                   f"{timezone.localtime(review.started_at).date().isoformat()}",
                            due=None, overdue=False,
                            href=reverse("system-review",
                                         args=[system.organization.slug, system.slug, month])))
    return _section("review", rows, found.count() if len(rows) >= ROW_LIMIT else None)


def _cr26(people: list[int], org_ids: list[int], now: datetime, horizon: date) -> Section:
    """Vulnerabilities still waiting for their evaluation (VER-TFR-EVU: within 14/7/5/2 days
    of detection by class), of items the person owns or nobody owns. Read from the CR26
    systems' vulnerabilities (an index on the system), never from their items: most items
    of a large system have no owner."""
    classes = dict(System.objects.filter(organization_id__in=org_ids, fedramp_regime="cr26")
                   .exclude(cr26_class="").values_list("pk", "cr26_class"))
    if not classes:
        return _section("cr26", [])
    # Detected early enough to fall due by the horizon's end (a day's slack for the time
    # zone; the exact due date is checked below).
    end = timezone.make_aware(datetime.combine(horizon + timedelta(days=2), datetime.min.time()))
    due_by = Q()
    for cert_class in set(classes.values()):
        due_by |= Q(system__cr26_class=cert_class,
                    detected_at__lt=end - rules.EVU[CertClass(cert_class)].delta)
    found = (Cr26Vulnerability.objects
             .filter(due_by, system_id__in=list(classes), evaluated_at__isnull=True,
                     disposition="", accepted_at__isnull=True)
             .exclude(item__status__in=_CLOSED)
             .filter(Q(item__owner_id__in=people) | Q(item__owner__isnull=True))
             .select_related("item__system__organization").order_by("detected_at", "pk"))
    rows = []
    for vuln in found.iterator():
        cert_class = classes[vuln.system_id]
        due = rules.evaluation_due(CertClass(cert_class), vuln.detected_at).at
        if timezone.localtime(due).date() > horizon:
            continue  # detected in order, but classes differ: keep looking
        item = vuln.item
        rows.append(WorkRow(kind="cr26", **_base(item), title=item.title,
                            detail=f"Evaluate (VER-TFR-EVU), class {cert_class}",
                            due=timezone.localtime(due).date(), overdue=due < now,
                            href=reverse("system-cr26-vuln", args=[
                                item.system.organization.slug, item.system.slug,
                                item.poam_id])))
    rows.sort(key=lambda r: (r.due, r.reference))
    return _section("cr26", rows)


@task()
def send_due_digests(today_iso: str | None = None) -> int:
    """The daily digest: to each person with milestones or items due within the horizon
    or overdue (my_work above), one notification and one e-mail."""
    today = date.fromisoformat(today_iso) if today_iso else timezone.localdate()
    users = get_user_model().objects.filter(
        is_active=True, pk__in=Person.objects.exclude(user=None).values("user_id"))
    sent = 0
    for user in users.order_by("pk"):
        work = my_work(user, today)
        rows = [r for r in work.rows if r.kind in ("milestone", "item")]
        if not rows:
            continue
        overdue = sum(1 for r in rows if r.overdue)
        lines = [f"- {r.due.isoformat()} {'OVERDUE ' if r.overdue else ''}{r.reference} "
                 f"{r.title} ({r.organization_name}, {r.system_name}): {absolute_url(r.href)}"
                 for r in rows]
        message = Message(
            Notification.DUE_DIGEST,
            f"{len(rows)} date{'s' if len(rows) != 1 else ''} due within {HORIZON_DAYS} days"
            + (f", {overdue} overdue" if overdue else "") + f" ({today.isoformat()})",
            "Milestones and items you own:\n" + "\n".join(lines), reverse("my-work"), None)
        sent += deliver(user, message)
    return sent
