"""Full-text search over items: title, description, identifiers and affected assets.

The index is a side table kept up to date by database triggers (migration
0002_web), so every write path, the bulk import's raw inserts included, keeps it
current without remembering to. SQLite uses an FTS5 table; PostgreSQL a table
with a generated ``tsvector`` column under a GIN index. Both split text into runs
of letters and digits, and every word of a query must match the start of a word
(``vpn`` finds ``vpn01.acme.test``); words of one or two characters match whole words.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models.expressions import RawSQL

TABLE = "tracker_itemsearch"
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
