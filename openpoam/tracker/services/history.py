"""Writing the history: one ChangeEvent per changed field, same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from openpoam.tracker.models import ChangeEvent, PoamItem
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
    """Collects events for one change and writes them in one statement."""

    actor: Actor
    at: datetime = field(default_factory=timezone.now)
    import_record: object | None = None
    events: list[ChangeEvent] = field(default_factory=list)

    def add(self, item: PoamItem, action: str, *, entity: str = "item", entity_uuid=None,
            field_name: str = "", old="", new="", justification: str = "") -> None:
        self.events.append(ChangeEvent(
            organization_id=item.organization_id, system_id=item.system_id,
            item_uuid=item.uuid, poam_id=item.poam_id, entity=entity,
            entity_uuid=entity_uuid or item.uuid, action=action, field=field_name,
            old_value=display(old), new_value=display(new), justification=justification,
            actor=self.actor.user, actor_name=self.actor.name, at=self.at,
            import_record=self.import_record))

    def save(self) -> None:
        if self.events:
            ChangeEvent.objects.bulk_create(self.events, batch_size=1000)
            self.events = []


def item_history(item_uuid) -> list[ChangeEvent]:
    return list(ChangeEvent.objects.filter(item_uuid=item_uuid).order_by("at", "id"))
