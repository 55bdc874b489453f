"""Full-text search over items: title, description, identifiers and affected assets.

The index is a side table kept up to date by database triggers (migration
0002_web), so every write path, the bulk import's raw inserts included, keeps it
current without remembering to. SQLite uses an FTS5 table; PostgreSQL a table
with a generated ``tsvector`` column under a GIN index. Both split text into runs
of letters and digits, and every word of a query must match the start of a word
(``vpn`` finds ``vpn01.acme.test``); words of one or two characters match whole words.

A bulk import defers the triggers (``deferred``, migration 0008_scale_search) and
rebuilds the rows of the items it wrote in one statement at the end of its
transaction: the asset trigger would rewrite an item's row once per asset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models.expressions import RawSQL

TABLE = "tracker_itemsearch"
DEFERRED = "tracker_itemsearch_deferred"  # a row here turns the triggers off (0008_scale_search)
MAX_WORDS = 8  # a pasted paragraph is not a search; the first words are enough
PREFIX_FROM = 3  # shorter words match whole words only: "4" is not every number from 4

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())[:MAX_WORDS]


def matching_ids(text: str) -> RawSQL | None:
    """A subquery of the ids of items matching every word, or None for an empty query."""
    found = words(text)
    if not found:
        return None
    if connection.vendor == "postgresql":
        query = " & ".join(f"{w}:*" if len(w) >= PREFIX_FROM else w for w in found)
        return RawSQL(f"SELECT item_id FROM {TABLE} "
                      "WHERE document @@ to_tsquery('simple', %s)", (query,))
    query = " AND ".join(f'"{w}"*' if len(w) >= PREFIX_FROM else f'"{w}"' for w in found)
    return RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", (query,))


# The text the triggers index, for the rows of many items at once.
_BODY = "i.title || ' ' || i.poam_id || ' ' || i.weakness_description || ' ' || i.source_identifier"
_ASSETS = ("coalesce((SELECT {concat}(a.name || ' ' || a.ip || ' ' || a.fqdn, ' ') "
           "FROM tracker_affectedasset a WHERE a.item_id = i.id), '')")
_REBUILD = {
    "sqlite": (f"INSERT OR REPLACE INTO {TABLE}(rowid, body, assets) "
               f"SELECT i.id, {_BODY}, {_ASSETS.format(concat='group_concat')} "
               "FROM tracker_poamitem i WHERE i.id IN (SELECT value FROM json_each(%s))"),
    "postgresql": (f"INSERT INTO {TABLE}(item_id, body, assets) "
                   f"SELECT i.id, {_BODY}, {_ASSETS.format(concat='string_agg')} "
                   "FROM tracker_poamitem i WHERE i.id = ANY(%s) "
                   "ON CONFLICT (item_id) DO UPDATE SET body = excluded.body, "
                   "assets = excluded.assets"),
}


class Touched:
    """The items a deferred block wrote; their search rows are rebuilt when it ends."""

    def __init__(self) -> None:
        self.ids: set[int] = set()

    def add(self, ids: Iterable[int]) -> None:
        self.ids.update(ids)


@contextmanager
def deferred() -> Iterator[Touched]:
    """Turn the search triggers off for a bulk write, in its own transaction (or
    savepoint); the caller adds the ids of every item it created or gave assets to,
    and their rows are rebuilt in one statement before the block commits. The flag
    row never outlives the block, so other connections and later writes in the same
    transaction keep the triggers. A nested block joins the outer one."""
    outer = getattr(connection, "_openpoam_search_touched", None)
    if outer is not None:
        yield outer
        return
    touched = Touched()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {DEFERRED} (id) VALUES (1)")
        connection._openpoam_search_touched = touched
        try:
            yield touched
        finally:
            connection._openpoam_search_touched = None
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DEFERRED}")
        rebuild(touched.ids)


def rebuild(ids: Iterable[int]) -> None:
    """Write the search rows of these items from the items and their assets, in one
    statement whatever their number (the ids go as one array parameter)."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    param = wanted if connection.vendor == "postgresql" else json.dumps(wanted)
    with connection.cursor() as cursor:
        cursor.execute(_REBUILD[connection.vendor], [param])
