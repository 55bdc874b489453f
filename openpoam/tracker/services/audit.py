"""The audit trail as one call, for every entity that is not a POA&M item, and the check
of its hash chains.

    audit.record(actor, organization, "system", system.uuid, "update",
                 changes={"framework": ("cmmc-l2", "fedramp-moderate")}, why="re-scoped")

``record`` must run inside the transaction of the change it records (every service is
``@transaction.atomic``), so the change and its record are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from openpoam.tracker.models import ChainHead, ChangeEvent, Organization
from openpoam.tracker.services import chain
from openpoam.tracker.services.actors import Actor
from openpoam.tracker.services.history import Recorder


def record(actor: Actor, organization: Organization | None, entity: str, entity_id,
           action: str, changes: Mapping[str, tuple] | None = None, why: str = "", *,
           system=None, client_address: str = "") -> None:
    """Append one record per changed field (one record when ``changes`` is empty).

    ``organization`` None writes to the accounts chain (users, sign-ins, tokens of no
    organization); ``changes`` maps a field name to ``(old, new)``.
    """
    recorder = Recorder(actor, client_address=client_address)
    org_id = organization.pk if organization is not None else None
    system_id = system.pk if system is not None else None
    for name, (old, new) in (changes or {"": ("", "")}).items():
        recorder.add_entity(org_id, entity, entity_id, action, system_id=system_id,
                            field_name=name, old=old, new=new, justification=why)
    recorder.save()


def record_import(actor: Actor, import_record) -> None:
    """The import itself (the items it changed have records of their own)."""
    system = import_record.system
    record(actor, system.organization, "import", str(import_record.pk), "create",
           {"file_name": ("", import_record.file_name), "sha256": ("", import_record.sha256),
            "format": ("", import_record.format),
            "counts": ("", f"new {import_record.new}, updated {import_record.updated}, "
                           f"closed {import_record.closed}")}, system=system)


def changes_of(obj, values: Mapping[str, object]) -> dict[str, tuple]:
    """The fields of ``obj`` that ``values`` would change, as {name: (old, new)}."""
    return {name: (getattr(obj, name), value) for name, value in values.items()
            if getattr(obj, name) != value}


def chains(organization: Organization | None = None) -> list[str]:
    """The chains to check: one organization's, or all of them."""
    if organization is not None:
        return [chain.chain_key(organization.pk)]
    keys = set(ChainHead.objects.values_list("key", flat=True))
    org_ids = ChangeEvent.objects.values_list("organization_id", flat=True).distinct()
    keys.update(chain.chain_key(org_id) for org_id in org_ids)
    return sorted(keys)


def verify(organization: Organization | None = None) -> tuple[int, list[chain.Break]]:
    """Walk the chains; returns how many records were checked and the first break of each
    broken chain."""
    checked, breaks = 0, []
    for key in chains(organization):
        head = ChainHead.objects.filter(key=key).first()
        counter = _Counter(_events_of(key))
        found = chain.first_break(key, counter, head.sequence if head else 0,
                                  head.hash if head else "")
        checked += counter.count
        if found:
            breaks.append(found)
    return checked, breaks


class _Counter:
    def __init__(self, events: Iterator) -> None:
        self.events, self.count = events, 0

    def __iter__(self):
        for event in self.events:
            self.count += 1
            yield event


def _events_of(key: str) -> Iterator[ChangeEvent]:
    if key == chain.ACCOUNTS_CHAIN:
        rows = ChangeEvent.objects.filter(organization__isnull=True)
    else:
        rows = ChangeEvent.objects.filter(organization_id=int(key.partition(":")[2]))
    columns = ("id", "sequence", "prev_hash", "hash", *chain.HASHED_FIELDS)
    return rows.order_by("sequence", "id").values_list(*columns, named=True).iterator(
        chunk_size=5000)
