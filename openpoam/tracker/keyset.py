"""Keyset (cursor) pages of a system's POA&M list, in every sort order of the list.

OFFSET makes the database walk and drop every row before the page: page 2,000 of a
100,000-item list reads 100,000 rows. A keyset page starts from the last row shown
instead (``WHERE (key, poam_id) > (…)``), which an index answers directly, and stays
right while items are added or closed between two pages (no row twice, none skipped).

Every order ends with ``poam_id``, unique in an organization (so in a system): ties on
the first key (the same date, the same risk) are broken the same way every time. Items
without a scheduled date come last both ways, as the list shows them.

A cursor names the sort it belongs to and the row's keys; it carries no row id and no
organization: the list it is used on is already limited to one system.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from math import ceil

from django.db.models import F, Q, QuerySet

ASC, DESC = "asc", "desc"


@dataclass(frozen=True)
class Key:
    field: str  # a column
    direction: str
    nullable: bool = False  # NULLs sort last both ways
    kind: type = str  # the cursor's value type: str, int, date or datetime


POAM_ID = Key("poam_id", ASC)
ORDERS: dict[str, tuple[Key, ...]] = {
    "id": (POAM_ID,),
    "-id": (Key("poam_id", DESC),),
    "due": (Key("scheduled_completion", ASC, True, date), POAM_ID),
    "-due": (Key("scheduled_completion", DESC, True, date), POAM_ID),
    # risk_rank: stored (PoamItem.RISK_RANK) and indexed with poam_id both ways.
    "risk": (Key("risk_rank", DESC, kind=int), POAM_ID),
    "-risk": (Key("risk_rank", ASC, kind=int), POAM_ID),
    "updated": (Key("updated_at", DESC, kind=datetime), POAM_ID),
}
LAST = "last"  # the "before" cursor of the list's last page


class BadCursor(ValueError):
    """Not a cursor of this list in this order."""


def encode(sort: str, row) -> str:
    values = [sort] + [_text(getattr(row, key.field)) for key in ORDERS[sort]]
    data = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode(cursor: str, sort: str) -> list:
    """The row keys a cursor holds, typed; BadCursor if it is not one for ``sort``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise BadCursor("not a cursor this API handed out") from None
    keys = ORDERS.get(sort, ())
    if not isinstance(values, list) or len(values) != len(keys) + 1 or not keys:
        raise BadCursor("not a cursor this API handed out")
    if values[0] != sort:
        raise BadCursor("it belongs to a list in another order")
    try:
        return [_value(key, value) for key, value in zip(keys, values[1:])]
    except (TypeError, ValueError):
        raise BadCursor("not a cursor this API handed out") from None


def _text(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _value(key: Key, value):
    if value is None:
        if not key.nullable:
            raise ValueError("missing key")
        return None
    if key.kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("not a number")
        return value
    if not isinstance(value, str):
        raise TypeError("not text")
    if key.kind is date:
        return date.fromisoformat(value)
    if key.kind is datetime:
        return datetime.fromisoformat(value)
    return value


def ordered(queryset: QuerySet, sort: str, *, reverse: bool = False) -> QuerySet:
    """The queryset in ``sort`` order (or exactly backwards), ready for ``after``."""
    terms = []
    for key in ORDERS[sort]:
        descending = (key.direction == DESC) != reverse
        expression = F(key.field)
        if key.nullable:  # NULLs last; so first when the whole order is reversed
            nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
            terms.append(expression.desc(**nulls) if descending else expression.asc(**nulls))
        else:
            terms.append(expression.desc() if descending else expression.asc())
    return queryset.order_by(*terms)


def after(sort: str, values: list, *, reverse: bool = False) -> Q:
    """Rows strictly after the cursor's row in ``sort`` order (before it when reverse)."""
    keys = ORDERS[sort]
    condition = Q(pk__in=[])  # nothing; built up from the last key
    for index in range(len(keys) - 1, -1, -1):
        key, value = keys[index], values[index]
        beyond = _beyond(key, value, reverse)
        if index == len(keys) - 1:
            condition = beyond
        else:
            condition = beyond | (_equal(key, value) & condition)
    return condition


def _beyond(key: Key, value, reverse: bool) -> Q:
    forward = (key.direction == ASC) != reverse
    if value is None:  # NULLs are last: only non-NULLs are before them
        return Q(**{f"{key.field}__isnull": False}) if reverse else Q(pk__in=[])
    strictly = Q(**{f"{key.field}__{'gt' if forward else 'lt'}": value})
    if key.nullable and not reverse:
        return strictly | Q(**{f"{key.field}__isnull": True})
    return strictly


def _equal(key: Key, value) -> Q:
    if value is None:
        return Q(**{f"{key.field}__isnull": True})
    return Q(**{key.field: value})


@dataclass
class Paginator:
    count: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, ceil(self.count / self.per_page))


@dataclass
class KeysetPage:
    """What the list template reads of a page (Django's Page has the same names)."""

    object_list: list
    number: int
    paginator: Paginator
    more_before: bool
    more_after: bool
    sort: str

    def has_next(self) -> bool:
        return self.more_after

    def has_previous(self) -> bool:
        return self.more_before

    def start_index(self) -> int:
        if not self.object_list:
            return 0
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0

    def next_cursor(self) -> str:
        return encode(self.sort, self.object_list[-1]) if self.more_after else ""

    def previous_cursor(self) -> str:
        return encode(self.sort, self.object_list[0]) if self.more_before else ""


def page(queryset: QuerySet, sort: str, per_page: int, *, after_cursor: str = "",
         before_cursor: str = "", number: int = 1, count: int | None = None) -> KeysetPage:
    """One page after ``after_cursor``, or the one before ``before_cursor`` (LAST: the
    list's last page), or the first. ``number`` is only shown (it travels in the link)."""
    total = queryset.count() if count is None else count
    paginator = Paginator(total, per_page)
    if before_cursor:
        backwards = ordered(queryset, sort, reverse=True)
        if before_cursor == LAST:
            size = total - (paginator.num_pages - 1) * per_page
            rows = list(backwards[:max(size, 0)])[::-1]
            return KeysetPage(rows, paginator.num_pages, paginator,
                              more_before=paginator.num_pages > 1, more_after=False, sort=sort)
        rows = list(backwards.filter(after(sort, decode(before_cursor, sort), reverse=True))
                    [:per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page][::-1]
        return KeysetPage(rows, number if more else 1, paginator, more_before=more,
                          more_after=True, sort=sort)
    forwards = ordered(queryset, sort)
    if after_cursor:
        forwards = forwards.filter(after(sort, decode(after_cursor, sort)))
    rows = list(forwards[:per_page + 1])
    more = len(rows) > per_page
    return KeysetPage(rows[:per_page], number if after_cursor else 1, paginator,
                      more_before=bool(after_cursor), more_after=more, sort=sort)
