"""Cursor pagination: each page names where the next one starts, so a client paging
through a list while items are added or closed never sees a row twice or skips one
(offsets would). A cursor is opaque to clients: base64 of a small JSON list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from openpoam.api.errors import ApiError

DEFAULT_LIMIT, MAX_LIMIT = 50, 500


def encode(values: list) -> str:
    text = json.dumps(values, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, kinds: tuple[type, ...]) -> list:
    """The cursor's values, checked against the expected types; 400 naming it otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise ApiError(400, "cursor: not a cursor this API handed out", "cursor") from None
    if (not isinstance(values, list) or len(values) != len(kinds)
            or not all(v is None or isinstance(v, k) for v, k in zip(values, kinds))):
        raise ApiError(400, "cursor: not a cursor this API handed out", "cursor")
    return values


def by_pk(queryset: QuerySet, cursor: str | None, limit: int, *,
          newest_first: bool = False) -> tuple[list, str | None]:
    """A page of rows in primary-key order (or reverse), and the next page's cursor."""
    order = "-pk" if newest_first else "pk"
    queryset = queryset.order_by(order)
    if cursor:
        (last,) = decode(cursor, (int,))
        queryset = queryset.filter(pk__lt=last) if newest_first else queryset.filter(pk__gt=last)
    return page(queryset, limit, lambda row: [row.pk])


def page(queryset: QuerySet, limit: int,
         position: Callable[[Any], list | str]) -> tuple[list, str | None]:
    """A page and the next one's cursor: ``position(last row)``, a list of values to
    encode, or a cursor already encoded (``tracker.keyset``)."""
    rows = list(queryset[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if not (more and rows):
        return rows, None
    found = position(rows[-1])
    return rows, found if isinstance(found, str) else encode(found)
