"""The hash chain of the audit trail: how a record is hashed, linked and checked.

Each organization has its own chain (key "org:<id>"); records of no organization (sign-in
events, users, tokens) form the "accounts" chain. A record's hash is the SHA-256 of its
previous record's hash and its own content, serialised as compact JSON in a fixed field
order. ``sequence`` is left out of the hash on purpose: a record moved to another place
then still hashes correctly but no longer links to its neighbour, which tells "reordered"
apart from "edited". A gap in the sequence numbers is a deleted record.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

ACCOUNTS_CHAIN = "accounts"

# The content that is hashed, in this order. Changing it invalidates every stored chain.
HASHED_FIELDS = ("organization_id", "system_id", "item_uuid", "poam_id", "entity", "entity_uuid",
                 "entity_ref", "action", "field", "old_value", "new_value", "justification",
                 "actor_id", "actor_name", "client_address", "at", "import_record_id")


def chain_key(organization_id: int | None) -> str:
    return f"org:{organization_id}" if organization_id is not None else ACCOUNTS_CHAIN


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(dt_timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def record_hash(event, prev_hash: str) -> str:
    content = [prev_hash, *(_plain(getattr(event, name)) for name in HASHED_FIELDS)]
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def link(events: list, sequence: int, prev_hash: str) -> tuple[int, str]:
    """Number and hash ``events`` after a chain head; returns the new head."""
    for event in events:
        sequence += 1
        event.sequence = sequence
        event.prev_hash = prev_hash
        event.hash = prev_hash = record_hash(event, prev_hash)
    return sequence, prev_hash


@dataclass(frozen=True)
class Break:
    """The first record where a chain is broken, and how."""

    chain: str
    sequence: int
    record_id: int | None
    problem: str  # edited | deleted | reordered

    def describe(self) -> str:
        where = f"record #{self.sequence}" + (f" (id {self.record_id})" if self.record_id else "")
        text = {"edited": "was edited after it was written",
                "deleted": "is missing: deleted",
                "reordered": "does not follow the record before it: records were reordered, "
                             "renumbered, or the one before was rewritten"}
        return f"chain {self.chain}: {where} {text[self.problem]}"


def first_break(chain: str, events, head_sequence: int, head_hash: str) -> Break | None:
    """Walk ``events`` (ordered by sequence) and return the first broken record, if any."""
    expected, prev = 1, ""
    for event in events:
        if event.sequence > expected:
            return Break(chain, expected, None, "deleted")
        if event.sequence < expected:
            return Break(chain, event.sequence, event.id, "reordered")
        if record_hash(event, event.prev_hash) != event.hash:
            return Break(chain, event.sequence, event.id, "edited")
        if event.prev_hash != prev:
            return Break(chain, event.sequence, event.id, "reordered")
        expected, prev = expected + 1, event.hash
    if head_sequence >= expected:
        return Break(chain, expected, None, "deleted")
    if head_sequence and head_hash != prev:
        return Break(chain, head_sequence, None, "edited")
    return None
