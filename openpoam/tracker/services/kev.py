"""Loading CISA's Known Exploited Vulnerabilities catalog (it replaces the previous one)."""

from __future__ import annotations

from typing import BinaryIO

from django.db import transaction

from openpoam.formats.kev import read_kev
from openpoam.tracker.models import KnownExploited
from openpoam.tracker.services.actors import Actor, ServiceError


@transaction.atomic
def load_catalog(actor: Actor, stream: BinaryIO, *, source: str) -> tuple[int, str]:
    if not actor.is_superuser:
        raise ServiceError("only an administrator can load the KEV catalog")
    catalog = read_kev(stream, source=source)
    KnownExploited.objects.all().delete()
    KnownExploited.objects.bulk_create(
        (KnownExploited(cve=e.cve, date_added=e.date_added, due_date=e.due_date, name=e.name[:500],
                        ransomware=e.ransomware, catalog_version=catalog.version[:50])
         for e in catalog.entries.values()), batch_size=2000)
    return len(catalog), catalog.version
