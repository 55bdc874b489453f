"""History written before the hash chain existed gets its place and hash on upgrade."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("tracker", "0002_fix_imports")]
AFTER = [("tracker", "0003_accounts")]


@pytest.mark.django_db(transaction=True)
def test_existing_history_is_chained_in_the_order_it_was_written():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    org = old.get_model("tracker", "Organization").objects.create(slug="old", name="Old")
    system = old.get_model("tracker", "System").objects.create(
        organization=org, slug="s", name="S", framework="rmf")
    event = old.get_model("tracker", "ChangeEvent")
    item = uuid.uuid4()
    for n in range(3):
        event.objects.create(organization=org, system=system, item_uuid=item, poam_id="POAM-1",
                             entity="item", entity_uuid=item, action="update", field="title",
                             old_value=str(n), new_value=str(n + 1), actor_name="before",
                             at=timezone.now())
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from openpoam.tracker.models import ChangeEvent, Organization
    from openpoam.tracker.services import audit

    rows = list(ChangeEvent.objects.filter(poam_id="POAM-1").order_by("sequence"))
    assert [(r.sequence, r.new_value) for r in rows] == [(1, "1"), (2, "2"), (3, "3")]
    assert audit.verify(Organization.objects.get(slug="old")) == (3, [])
