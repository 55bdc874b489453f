"""Writing the audit trail: one ChangeEvent per changed field, in the same transaction as
the change, appended to its organization's hash chain (see chain.py)."""

from __future__ import annotations

import uuid
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from openpoam.tracker.models import ChainHead, ChangeEvent, PoamItem
from openpoam.tracker.services import chain
from openpoam.tracker.services.actors import Actor


def display(value) -> str:
    """How a value reads in the history: plain, stable text."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value)
    return str(value)


@dataclass(slots=True)
class PendingEvent:
    """A ChangeEvent row before it is written: plain attributes named like the model's
    columns (building 100,000 model instances costs more than writing them)."""

    organization_id: int | None
    system_id: int | None
    item_uuid: uuid.UUID | None
    poam_id: str
    entity: str
    entity_uuid: uuid.UUID | None
    entity_ref: str
    action: str
    field: str
    old_value: str
    new_value: str
    justification: str
    actor_id: int | None
    actor_name: str
    client_address: str
    at: datetime
    import_record_id: int | None
    sequence: int = 0
    prev_hash: str = ""
    hash: str = ""


# Called with the item UUIDs of every saved change, inside its transaction: the quality
# checks' stored results are written again there (registered in tracker.apps).
after_save: list = []


@dataclass
class Recorder:
    """Collects the events of one change and appends them in one pass: the chain heads are
    locked once per save, hashes computed in Python, rows bulk-inserted."""

    actor: Actor
    at: datetime = field(default_factory=timezone.now)
    import_record: object | None = None
    events: list[PendingEvent] = field(default_factory=list)
    client_address: str = ""

    def add(self, item: PoamItem, action: str, *, entity: str = "item", entity_uuid=None,
            field_name: str = "", old="", new="", justification: str = "") -> None:
        self.events.append(self._event(
            organization_id=item.organization_id, system_id=item.system_id,
            item_uuid=item.uuid, poam_id=item.poam_id, entity=entity,
            entity_uuid=entity_uuid or item.uuid, entity_ref=item.poam_id, action=action,
            field_name=field_name, old=old, new=new, justification=justification))

    def add_entity(self, organization_id: int | None, entity: str, entity_id, action: str, *,
                   system_id: int | None = None, field_name: str = "", old="", new="",
                   justification: str = "") -> None:
        """An event about anything that is not a POA&M item (organization, system, member,
        person, assessment, import, token, account); ``entity_id`` is a UUID or any text."""
        is_uuid = isinstance(entity_id, uuid.UUID)
        self.events.append(self._event(
            organization_id=organization_id, system_id=system_id, item_uuid=None, poam_id="",
            entity=entity, entity_uuid=entity_id if is_uuid else None,
            entity_ref="" if is_uuid else display(entity_id), action=action,
            field_name=field_name, old=old, new=new, justification=justification))

    def _event(self, *, field_name, old, new, **values) -> PendingEvent:
        return PendingEvent(field=field_name, old_value=display(old), new_value=display(new),
                            actor_id=getattr(self.actor.user, "pk", None),
                            actor_name=self.actor.name, at=self.at,
                            client_address=self.client_address,
                            import_record_id=getattr(self.import_record, "pk", None), **values)

    def save(self, checked: set = frozenset()) -> None:
        """Append the events; ``checked`` are item UUIDs whose stored check results the
        caller has just written itself (``item_checks.write_created``)."""
        if not self.events:
            return
        with transaction.atomic():
            by_chain: dict[str, list[PendingEvent]] = {}
            for event in self.events:
                by_chain.setdefault(chain.chain_key(event.organization_id), []).append(event)
            for key in sorted(by_chain):  # one lock order everywhere: no deadlocks
                _append(key, by_chain[key])
            _insert(self.events)
            changed = {e.item_uuid for e in self.events if e.item_uuid is not None} - checked
            for hook in after_save:
                hook(changed)
        self.events = []


def _append(key: str, events: list[PendingEvent]) -> None:
    ChainHead.objects.bulk_create([ChainHead(key=key)], ignore_conflicts=True)
    head = ChainHead.objects.select_for_update(no_key=True).get(key=key)
    head.sequence, head.hash = chain.link(events, head.sequence, head.hash)
    head.save(update_fields=["sequence", "hash"])


def _insert(events: list[PendingEvent], batch: int = 5000) -> None:
    """Write the rows in bulk: COPY on PostgreSQL, executemany on SQLite. An import's
    100,000 events take seconds, where bulk_create spends most of its time compiling SQL
    (in SQLite's 999-parameter batches)."""
    fields = [f for f in ChangeEvent._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = quote(ChangeEvent._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    names = [f.attname for f in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for event in events:
                    copy.write_row([getattr(event, n) for n in names])
            return
        prepare = [_preparer(f) for f in fields]
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(events), batch):
            cursor.executemany(sql, [[p(getattr(e, n)) for p, n in zip(prepare, names)]
                                     for e in events[start:start + batch]])


def _preparer(field):
    """The database form of a value. Only UUIDs and times need converting (the same few
    in a batch: cached); text, numbers and foreign-key ids go as they are."""
    def prepare(value):
        return field.get_db_prep_save(value, connection)
    if field.get_internal_type() in ("UUIDField", "DateTimeField"):
        return lru_cache(maxsize=4096)(prepare)
    return _same


def _same(value):
    return value


def item_events(item):
    """An item's history: its UUID within its own organization. A UUID can arrive in a file,
    so records another organization wrote under the same UUID never join it."""
    return ChangeEvent.objects.filter(organization_id=item.organization_id, item_uuid=item.uuid)


def item_history(item) -> list[ChangeEvent]:
    return list(item_events(item).order_by("at", "id"))


def uuids_in_use(uuids, organization, batch: int = 500) -> set:
    """Of ``uuids`` (from a file), those an item anywhere, or another organization's history,
    already carries: an imported item keeps its file's UUID only when it is in neither."""
    wanted, used = list(uuids), set()
    for start in range(0, len(wanted), batch):
        part = wanted[start:start + batch]
        used.update(PoamItem.objects.filter(uuid__in=part).values_list("uuid", flat=True))
        used.update(ChangeEvent.objects.filter(item_uuid__in=part)
                    .exclude(organization_id=organization.pk)
                    .values_list("item_uuid", flat=True).distinct())
    return used


def moment(value) -> str | None:
    """A time as every result that leaves the process writes it (the API and `--json`
    alike): ISO 8601 to the second, with its offset; None stays None."""
    return value.isoformat(timespec="seconds") if value is not None else None
