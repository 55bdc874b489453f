"""Frozen POA&M snapshots: a document as canonical JSON, its hash, and what changed between two.

A monthly review ends by freezing the POA&M: ``freeze`` turns a ``PoamDocument`` into
plain JSON-ready data (sorted keys, ISO dates) and ``content_hash`` gives its SHA-256,
so anyone can check later that a snapshot is what was reviewed. ``thaw`` turns the data
back into a ``PoamDocument``, which every exporter writes: the FedRAMP monthly
deliverable is the export of a snapshot in any format. ``compare`` lists what changed
between two snapshots: new items, closed items, dates that slipped (with the reasons
recorded), risk and owner changes.

The history is left out of a snapshot (the live audit trail keeps it); the reasons
for moved milestone dates are kept with their milestones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from openpoam.domain import poam

FORMAT_VERSION = 1


def freeze(document: poam.PoamDocument) -> dict:
    """The document as plain, canonical data (no history)."""
    items = [dataclasses.replace(item, history=[]) for item in document.items]
    data = _plain(dataclasses.replace(document, items=items))
    return {"snapshot_format": FORMAT_VERSION, "document": data}


def canonical_bytes(frozen: dict) -> bytes:
    return canonical_text(frozen).encode()


def canonical_text(value) -> str:
    """Sorted keys, no whitespace, UTF-8 text as it is: what the hash is of."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(frozen: dict) -> str:
    return hashlib.sha256(canonical_bytes(frozen)).hexdigest()


@dataclass(frozen=True)
class CanonicalText:
    """Canonical JSON text of a frozen value, to be stored as it is (not encoded again)."""

    text: str


def frame(document: poam.PoamDocument) -> dict:
    """``freeze(document)`` without its items: a snapshot stores each item apart."""
    return freeze(dataclasses.replace(document, items=[]))


def item_text(item: poam.PoamItemData) -> str:
    """One item as ``freeze`` keeps it, in canonical JSON (one line: no raw newline)."""
    return canonical_text(_plain(dataclasses.replace(item, history=[])))


def streamed_hash(frozen_frame: dict, item_texts: Iterable[str]) -> str:
    """``content_hash`` of ``frozen_frame`` with the items whose canonical texts are
    ``item_texts``, made one item at a time: the same hash as of the whole value."""
    digest = hashlib.sha256()
    for piece in _canonical_pieces(frozen_frame, item_texts):
        digest.update(piece.encode())
    return digest.hexdigest()


def _canonical_pieces(frozen_frame: dict, item_texts: Iterable[str]) -> Iterator[str]:
    """The canonical text in pieces: the frame up to its items, each item, the rest."""
    marker = f"items-{uuid.uuid4().hex}"  # stands in for the item list in the frame
    stand_in = {**frozen_frame, "document": {**frozen_frame["document"], "items": marker}}
    head, tail = canonical_text(stand_in).split(f'"{marker}"')
    yield head + "["
    for n, text in enumerate(item_texts):
        yield ("," if n else "") + text
    yield "]" + tail


def thaw_with(frozen_frame: dict, items: list[dict]) -> poam.PoamDocument:
    """``thaw`` of a frame and its items stored apart."""
    return thaw({**frozen_frame, "document": {**frozen_frame["document"], "items": items}})


def thaw(frozen: dict) -> poam.PoamDocument:
    """A ``PoamDocument`` from ``freeze``'s data."""
    if frozen.get("snapshot_format") != FORMAT_VERSION:
        raise ValueError(f"unknown snapshot format {frozen.get('snapshot_format')!r}")
    return _build(poam.PoamDocument, frozen["document"])


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    poam_id: str
    what: str  # "scheduled completion" or "milestone 2"
    old: date | None
    new: date | None
    justifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    poam_id: str
    old: str
    new: str


@dataclass
class Comparison:
    new: list[str] = field(default_factory=list)
    closed: list[Change] = field(default_factory=list)  # old status -> new status
    reopened: list[Change] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    slipped: list[Slip] = field(default_factory=list)
    risk_changed: list[Change] = field(default_factory=list)
    owner_changed: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(dataclasses.astuple(self))


def compare(old: poam.PoamDocument, new: poam.PoamDocument,
            completion_reasons: dict[str, tuple[str, ...]] | None = None) -> Comparison:
    """What changed from ``old`` to ``new``; items are matched by UUID, else by POA&M ID.
    A snapshot keeps no history, so why a scheduled completion moved between the two comes
    from the caller: ``completion_reasons`` by item UUID (the history's justifications)."""
    before = {_key(i): i for i in old.items}
    after = {_key(i): i for i in new.items}
    result = Comparison()
    result.new = sorted(after[k].poam_id for k in after.keys() - before.keys())
    result.removed = sorted(before[k].poam_id for k in before.keys() - after.keys())
    for key in sorted(after.keys() & before.keys(), key=lambda k: after[k].poam_id):
        _compare_item(before[key], after[key], result, completion_reasons or {})
    return result


def _key(item: poam.PoamItemData) -> str:
    return item.uuid or item.poam_id


def _compare_item(a: poam.PoamItemData, b: poam.PoamItemData, result: Comparison,
                  completion_reasons: dict[str, tuple[str, ...]]) -> None:
    if not a.status.is_closed and b.status.is_closed:
        result.closed.append(Change(b.poam_id, a.status.label, b.status.label))
    if a.status.is_closed and not b.status.is_closed:
        result.reopened.append(Change(b.poam_id, a.status.label, b.status.label))
    if a.effective_risk is not b.effective_risk:
        result.risk_changed.append(Change(b.poam_id, a.effective_risk.label,
                                          b.effective_risk.label))
    if a.owner != b.owner:
        result.owner_changed.append(Change(b.poam_id, a.owner, b.owner))
    if _later(a.scheduled_completion, b.scheduled_completion):
        result.slipped.append(Slip(b.poam_id, "scheduled completion", a.scheduled_completion,
                                   b.scheduled_completion,
                                   completion_reasons.get(b.uuid, ())))
    old_milestones = {m.uuid or m.sequence: m for m in a.milestones}
    for m in b.milestones:
        was = old_milestones.get(m.uuid or m.sequence)
        if was is not None and _later(was.current_due, m.current_due):
            reasons = tuple(c.justification for c in m.changes
                            if c not in was.changes and c.justification)
            result.slipped.append(Slip(b.poam_id, f"milestone {m.sequence}", was.current_due,
                                       m.current_due, reasons))


def _later(old: date | None, new: date | None) -> bool:
    return old is not None and (new is None or new > old)


# --- plain data <-> dataclasses ---------------------------------------------------------------


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _build(kind, value):
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return _build(inner[0], value)
    if origin is list:
        (inner,) = typing.get_args(kind)
        return [_build(inner, v) for v in value]
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _build(hints[k], v) for k, v in value.items() if k in names})
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    return value
