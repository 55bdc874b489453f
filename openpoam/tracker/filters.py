"""Filters and sorting of a system's POA&M list, read from request parameters: the one
definition shared by the web list page, the API and the CLI.

Unknown values fall back to the defaults instead of failing: a list link that was
copied or edited by hand still shows something sensible.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.db.models import F, Q, QuerySet
from django.http import QueryDict

from openpoam.domain.poam import CLOSED_STATUSES, PoamItemData, Risk, Status

ACTIVE, DELAYED = "active", "delayed"
STATUS_CHOICES: list[tuple[str, str]] = (
    [("", "All statuses"), (ACTIVE, "All not closed"), (DELAYED, "Delayed")]
    + [(s.value, s.label) for s in Status])
RISK_CHOICES: list[tuple[str, str]] = (
    [("", "All risks")] + [(r.value, r.label) for r in sorted(Risk, key=lambda r: -r.rank)])
# Items without a scheduled date sort last both ways: they need attention, not hiding.
SORTS = {
    "id": ("poam_id",),
    "-id": ("-poam_id",),
    "due": (F("scheduled_completion").asc(nulls_last=True), "poam_id"),
    "-due": (F("scheduled_completion").desc(nulls_last=True), "poam_id"),
}
DEFAULT_SORT = "id"


@dataclass(frozen=True)
class ListQuery:
    status: str = ""
    risk: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def from_params(cls, params: QueryDict) -> "ListQuery":
        status = params.get("status", "")
        risk = params.get("risk", "")
        sort = params.get("sort", DEFAULT_SORT)
        return cls(status=status if status in dict(STATUS_CHOICES) else "",
                   risk=risk if risk in dict(RISK_CHOICES) else "",
                   sort=sort if sort in SORTS else DEFAULT_SORT)

    @property
    def is_filtered(self) -> bool:
        return bool(self.status or self.risk)

    def apply(self, queryset: QuerySet) -> QuerySet:
        """Filters the database can do; "delayed" is derived and applied by ``keep``."""
        if self.status == ACTIVE or self.status == DELAYED:
            queryset = queryset.exclude(status__in=[s.value for s in CLOSED_STATUSES])
        elif self.status:
            queryset = queryset.filter(status=self.status)
        if self.risk:
            # The effective risk: the adjusted one when set, else the original.
            queryset = queryset.filter(Q(adjusted_risk=self.risk)
                                       | Q(adjusted_risk="", original_risk=self.risk))
        return queryset.order_by(*SORTS[self.sort])

    def keep(self, items: list[PoamItemData]) -> list[PoamItemData]:
        if self.status == DELAYED:
            return [item for item in items if item.delayed]
        return items

    def query_string(self, **changes: str) -> str:
        """This query with some values changed, as ``?a=b``; defaults are left out."""
        wanted = replace(self, **changes)
        pairs = {"status": wanted.status, "risk": wanted.risk,
                 "sort": "" if wanted.sort == DEFAULT_SORT else wanted.sort}
        text = urlencode({k: v for k, v in pairs.items() if v})
        return f"?{text}" if text else "?"

    def sort_column(self, column: str) -> dict:
        """Link and state of a sortable column header (``id`` or ``due``)."""
        ascending, descending = column, f"-{column}"
        if self.sort == ascending:
            return {"href": self.query_string(sort=descending), "aria": "ascending",
                    "arrow": "▲"}
        if self.sort == descending:
            return {"href": self.query_string(sort=ascending), "aria": "descending",
                    "arrow": "▼"}
        return {"href": self.query_string(sort=ascending), "aria": "none", "arrow": ""}
