"""Filters, search, sorting and paging of a system's POA&M list, read from request
parameters: the one definition shared by the web list page, the API and the CLI.

Unknown values fall back to the defaults instead of failing: a list link that was
copied or edited by hand still shows something sensible.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from openpoam.domain.numbers import is_whole_number
from openpoam.domain.poam import CLOSED_STATUSES, PoamItemData, Risk, Source, Status
from openpoam.tracker import keyset, search
from openpoam.tracker.models import ControlReference, Milestone, PoamItem

ACTIVE, DELAYED = "active", "delayed"
STATUS_CHOICES: list[tuple[str, str]] = (
    [("", "All statuses"), (ACTIVE, "All not closed"), (DELAYED, "Delayed")]
    + [(s.value, s.label) for s in Status])
RISK_CHOICES: list[tuple[str, str]] = (
    [("", "All risks")] + [(r.value, r.label) for r in sorted(Risk, key=lambda r: -r.rank)])
SOURCE_CHOICES: list[tuple[str, str]] = [("", "All sources")] + [(s.value, s.label)
                                                                  for s in Source]
NO_OWNER = "none"
STALE_DAYS = 30  # "not updated in 30 days" on the dashboard and the list
PAGE_SIZE = 50
MAX_QUERY = 200

# Items without a scheduled date sort last both ways: they need attention, not hiding.
SORTS = {
    "id": ("poam_id",),
    "-id": ("-poam_id",),
    "due": (F("scheduled_completion").asc(nulls_last=True), "poam_id"),
    "-due": (F("scheduled_completion").desc(nulls_last=True), "poam_id"),
    "risk": ("-risk_rank", "poam_id"),
    "-risk": ("risk_rank", "poam_id"),
    "updated": ("-updated_at", "poam_id"),
}
SORT_CHOICES = [("id", "POA&M ID"), ("-id", "POA&M ID, newest first"),
                ("due", "Scheduled completion"), ("-due", "Scheduled completion, latest first"),
                ("risk", "Risk, highest first"), ("-risk", "Risk, lowest first"),
                ("updated", "Recently updated")]
DEFAULT_SORT = "id"
_CLOSED = [s.value for s in CLOSED_STATUSES]


def _flag(params: QueryDict, name: str) -> bool:
    return params.get(name, "") in ("1", "on", "yes", "true")


def _int(text: str, default: int) -> int:
    try:
        return max(1, int(text))
    except (TypeError, ValueError):
        return default


def open_items(queryset: QuerySet) -> QuerySet:
    return queryset.exclude(status__in=_CLOSED)


def delayed_q(today: date) -> Q:
    """The database form of ``domain.workflow.is_delayed`` (tested to agree with it):
    open, and the scheduled completion or an open milestone's due date is past."""
    late_milestone = Milestone.objects.filter(item=OuterRef("pk"), completed_on__isnull=True,
                                              current_due__lt=today)
    return ~Q(status__in=_CLOSED) & (Q(scheduled_completion__lt=today) | Exists(late_milestone))


def delayed_count(system_id: int, today: date) -> int:
    """How many of a system's items are delayed: ``delayed_q`` counted as |late| + |late
    milestone but not late|, each half answered by an index, not a look at every item."""
    items = PoamItem.objects.filter(system_id=system_id)
    late = open_items(items).filter(scheduled_completion__lt=today).count()
    milestones = (Milestone.objects.filter(item__system_id=system_id, completed_on__isnull=True,
                                           current_due__lt=today)
                  .exclude(item__status__in=_CLOSED)
                  .exclude(item__scheduled_completion__lt=today)
                  .values("item_id").distinct().count())
    return late + milestones


def overdue_q(today: date) -> Q:
    """Open items past their scheduled completion date."""
    return ~Q(status__in=_CLOSED) & Q(scheduled_completion__lt=today)


def stale_q(today: date) -> Q:
    """Open items nobody has changed in STALE_DAYS days. Compared with the first moment of
    that day, not the day of each row, so the database can use its index."""
    since = timezone.make_aware(datetime.combine(today - timedelta(days=STALE_DAYS), time.min))
    return ~Q(status__in=_CLOSED) & Q(updated_at__lt=since)


@dataclass(frozen=True)
class ListQuery:
    status: str = ""
    risk: str = ""
    sort: str = DEFAULT_SORT
    q: str = ""
    owner: str = ""  # a person's id, or "none"
    control: str = ""
    source: str = ""
    overdue: bool = False
    stale: bool = False
    page: int = 1  # shown, and read alone only by links to "page N" (OFFSET: early pages)
    after: str = ""  # keyset cursors: the page after / before a row (keyset.LAST: the end)
    before: str = ""

    @classmethod
    def from_params(cls, params: QueryDict) -> "ListQuery":
        status = params.get("status", "")
        risk = params.get("risk", "")
        sort = params.get("sort", DEFAULT_SORT)
        source = params.get("source", "")
        owner = params.get("owner", "").strip()
        return cls(status=status if status in dict(STATUS_CHOICES) else "",
                   risk=risk if risk in dict(RISK_CHOICES) else "",
                   sort=sort if sort in SORTS else DEFAULT_SORT,
                   q=" ".join(params.get("q", "").split())[:MAX_QUERY],
                   owner=owner if owner == NO_OWNER or is_whole_number(owner) else "",
                   control=params.get("control", "").strip()[:40],
                   source=source if source in dict(SOURCE_CHOICES) else "",
                   overdue=_flag(params, "overdue"), stale=_flag(params, "stale"),
                   page=_int(params.get("page", ""), 1),
                   after=params.get("after", "").strip()[:500],
                   before=params.get("before", "").strip()[:500])

    @staticmethod
    def problems(params) -> list[tuple[str, str]]:
        """(parameter, message) for each value a list cannot use: the web list says so
        above the items it shows without it, the API refuses the request."""
        found = []
        for name, known in (("status", dict(STATUS_CHOICES)), ("risk", dict(RISK_CHOICES)),
                            ("source", dict(SOURCE_CHOICES)), ("sort", SORTS)):
            value = params.get(name, "")
            if value and value not in known:
                found.append((name, f"{name}: {value!r} is not one of "
                                    f"{', '.join(k for k in known if k)}"))
        owner = str(params.get("owner", "")).strip()
        if owner and not (owner == NO_OWNER or (owner.isascii() and owner.isdigit())):
            found.append(("owner", "owner: a person's id, or 'none'"))
        return found

    @property
    def is_filtered(self) -> bool:
        return bool(self.status or self.risk or self.q or self.owner or self.control
                    or self.source or self.overdue or self.stale)

    def apply(self, queryset: QuerySet, today: date | None = None) -> QuerySet:
        """Every filter and the sort, in the database (paging is ``paginate``)."""
        today = today or timezone.localdate()
        queryset = self._status(queryset, today)
        if self.risk:
            # The effective risk: the adjusted one when set, else the original.
            queryset = queryset.filter(Q(adjusted_risk=self.risk)
                                       | Q(adjusted_risk="", original_risk=self.risk))
        if self.owner == NO_OWNER:
            queryset = queryset.filter(owner__isnull=True)
        elif self.owner:
            queryset = queryset.filter(owner_id=int(self.owner))
        if self.control:
            # A subquery, not a join: an item citing the control twice is listed once.
            queryset = queryset.filter(pk__in=ControlReference.objects.filter(
                control_id__iexact=self.control).values("item_id"))
        if self.source:
            queryset = queryset.filter(source=self.source)
        if self.overdue:
            queryset = queryset.filter(overdue_q(today))
        if self.stale:
            queryset = queryset.filter(stale_q(today))
        matches = search.matching_ids(self.q)
        if matches is not None:
            queryset = queryset.filter(pk__in=matches)
        return queryset.order_by(*SORTS[self.sort])

    def _status(self, queryset: QuerySet, today: date) -> QuerySet:
        if self.status == ACTIVE:
            return open_items(queryset)
        if self.status == DELAYED:
            return queryset.filter(delayed_q(today))
        if self.status:
            return queryset.filter(status=self.status)
        return queryset

    def paginate(self, queryset: QuerySet, per_page: int = PAGE_SIZE, *,
                 count: int | None = None) -> keyset.KeysetPage:
        """One page of the (filtered, sorted) queryset: by keyset from a cursor (any depth
        at the cost of the first page), else ``page`` by OFFSET (the links the list hands
        out always carry a cursor past the first page; a bare ``page=N`` still works).
        ``count``: the queryset's count when the caller knows it already."""
        if count is None:
            count = queryset.count()
        try:
            if self.after or self.before or self.page == 1:
                return keyset.page(queryset, self.sort, per_page, after_cursor=self.after,
                                   before_cursor=self.before, number=self.page, count=count)
        except keyset.BadCursor:
            return keyset.page(queryset, self.sort, per_page, count=count)
        paginator = keyset.Paginator(count, per_page)
        number = min(self.page, paginator.num_pages)  # past the end: the last page
        start = (number - 1) * per_page
        rows = list(keyset.ordered(queryset, self.sort)[start:start + per_page])
        return keyset.KeysetPage(rows, number, paginator, more_before=number > 1,
                                 more_after=number < paginator.num_pages, sort=self.sort)

    def keep(self, items: list[PoamItemData]) -> list[PoamItemData]:
        """Kept for callers that filter plain data; ``apply`` already does "delayed"."""
        if self.status == DELAYED:
            return [item for item in items if item.delayed]
        return items

    def params(self, **changes) -> dict[str, str]:
        """This query with some values changed, as URL parameters; defaults left out."""
        wanted = replace(self, **changes)
        pairs: dict[str, str] = {}
        for spec in fields(self):
            value = getattr(wanted, spec.name)
            if value == spec.default:
                continue
            pairs[spec.name] = "1" if value is True else str(value)
        return pairs

    def query_string(self, **changes) -> str:
        """This query with some values changed, as ``?a=b``; defaults are left out.
        Changing a filter goes back to the first page (cursors belong to one page)."""
        if "page" not in changes:
            changes["page"] = 1
        changes.setdefault("after", "")
        changes.setdefault("before", "")
        text = urlencode(self.params(**changes))
        return f"?{text}" if text else "?"

    def sort_column(self, column: str) -> dict:
        """Link and state of a sortable column header (``id``, ``due`` or ``risk``)."""
        ascending, descending = column, f"-{column}"
        if self.sort == ascending:
            return {"href": self.query_string(sort=descending), "aria": "ascending",
                    "arrow": "▲"}
        if self.sort == descending:
            return {"href": self.query_string(sort=ascending), "aria": "descending",
                    "arrow": "▼"}
        return {"href": self.query_string(sort=ascending), "aria": "none", "arrow": ""}
