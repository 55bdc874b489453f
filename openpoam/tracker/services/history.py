"""Writing the audit trail: one ChangeEvent per changed field, in the same transaction as
the change, appended to its organization's hash chain (see chain.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
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


@dataclass
class Recorder:
    """Collects the events of one change and appends them in one pass: the chain heads are
    locked once per save, hashes computed in Python, rows bulk-inserted."""

    actor: Actor
    at: datetime = field(default_factory=timezone.now)
    import_record: object | None = None
    events: list[ChangeEvent] = field(default_factory=list)
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

    def _event(self, *, field_name, old, new, **values) -> ChangeEvent:
        user = self.actor.user if getattr(self.actor.user, "pk", None) else None
        return ChangeEvent(field=field_name, old_value=display(old), new_value=display(new),
                           actor=user, actor_name=self.actor.name, at=self.at,
                           client_address=self.client_address,
                           import_record=self.import_record, **values)

    def save(self) -> None:
        if not self.events:
            return
        with transaction.atomic():
            by_chain: dict[str, list[ChangeEvent]] = {}
            for event in self.events:
                by_chain.setdefault(chain.chain_key(event.organization_id), []).append(event)
            for key in sorted(by_chain):  # one lock order everywhere: no deadlocks
                _append(key, by_chain[key])
            ChangeEvent.objects.bulk_create(self.events, batch_size=1000)
        self.events = []


def _append(key: str, events: list[ChangeEvent]) -> None:
    ChainHead.objects.bulk_create([ChainHead(key=key)], ignore_conflicts=True)
    head = ChainHead.objects.select_for_update().get(key=key)
    head.sequence, head.hash = chain.link(events, head.sequence, head.hash)
    head.save(update_fields=["sequence", "hash"])


def item_history(item_uuid) -> list[ChangeEvent]:
    return list(ChangeEvent.objects.filter(item_uuid=item_uuid).order_by("at", "id"))
