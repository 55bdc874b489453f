"""The import's bulk writes and reads (tracker/services/bulk.py) against the real database."""

from datetime import date, datetime, timedelta, timezone

import pytest
from django.db import connection, transaction

from openpoam.tracker.models import AffectedAsset, PoamItem
from openpoam.tracker import search
from openpoam.tracker.services import bulk

COLUMNS = ["item_id", "asset_key", "name", "kind", "ip", "fqdn", "port", "protocol",
           "first_seen", "last_seen", "remediated_on"]
START = datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc)


def _rows(item, count: int) -> list[tuple]:
    # A few distinct times, as a scan's hosts share them; every tenth asset remediated.
    return [(item.pk, f"host-{n:04d}", f"Host {n}", "host", f"10.0.{n // 250}.{n % 250}", "",
             str(n % 3), "tcp", START, START + timedelta(minutes=n % 7),
             date(2026, 11, 20) if n % 10 == 0 else None) for n in range(count)]


def _stored(item) -> list[tuple]:
    return list(AffectedAsset.objects.filter(item=item).order_by("asset_key")
                .values_list("asset_key", "name", "ip", "port", "first_seen", "last_seen",
                             "remediated_on"))


def _found(item, text: str) -> bool:
    return PoamItem.objects.filter(pk=item.pk, pk__in=search.matching_ids(text)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 4, 5, 6, 10, 11, 23])
def test_insert_rows_writes_every_row_once_whatever_the_grouping(item, monkeypatch, count):
    # 11 columns under a 60-parameter cap: on SQLite groups of 5 rows, so the counts fall
    # on, just over and just under whole groups, with a remainder statement or without.
    monkeypatch.setattr(connection.features, "max_query_params", 60)
    rows = _rows(item, count)
    with transaction.atomic(), search.deferred() as indexed:
        bulk.insert_rows(AffectedAsset, COLUMNS, rows, batch=8)
        indexed.add([item.pk])
    assert _stored(item) == sorted((r[1], r[2], r[4], r[6], r[8], r[9], r[10]) for r in rows)
    assert _found(item, f"10.0.0.{count - 1}")  # the deferred index, rebuilt once


@pytest.mark.django_db
def test_grouped_inserts_keep_the_search_trigger_firing_for_every_row(item):
    assert not _found(item, "zz-host-0249")
    rows = [(*row[:5], f"zz-host-{n:04d}", *row[6:]) for n, row in enumerate(_rows(item, 250))]
    bulk.insert_rows(AffectedAsset, COLUMNS, rows)
    assert AffectedAsset.objects.filter(item=item).count() == 250
    assert _found(item, "zz-host-0249") and _found(item, "zz-host-0000")


@pytest.mark.django_db
def test_read_rows_gives_what_the_iterator_gives(item, org_b):
    bulk.insert_rows(AffectedAsset, COLUMNS, _rows(item, 300))
    bulk.insert_rows(AffectedAsset, COLUMNS, _rows(org_b.item, 3))  # a twin elsewhere
    query = (AffectedAsset.objects.filter(item__system=item.system).order_by("pk")
             .values_list("pk", "asset_key", "first_seen", "last_seen", "remediated_on"))
    read = list(bulk.read_rows(query, chunk=64))
    assert read == list(query.iterator(64))
    assert len(read) == 300
    assert all(isinstance(row, tuple) for row in read)
    last_seen = {row[3] for row in read}
    assert last_seen == {START + timedelta(minutes=n) for n in range(7)}
    assert all(value.tzinfo is not None for value in last_seen)
    assert {row[4] for row in read} == {None, date(2026, 11, 20)}


@pytest.mark.django_db
def test_read_rows_falls_back_to_the_iterator_for_other_querysets(item):
    bulk.insert_rows(AffectedAsset, COLUMNS, _rows(item, 5))
    named = AffectedAsset.objects.order_by("pk").values_list("asset_key", named=True)
    assert [row.asset_key for row in bulk.read_rows(named)] == [f"host-{n:04d}" for n in range(5)]
    flat = AffectedAsset.objects.order_by("pk").values_list("port", flat=True)
    assert list(bulk.read_rows(flat)) == ["0", "1", "2", "0", "1"]


@pytest.mark.django_db
def test_set_by_ids_sets_each_value_on_its_ids_only(item, org_b):
    bulk.insert_rows(AffectedAsset, COLUMNS, _rows(item, 40))
    bulk.insert_rows(AffectedAsset, COLUMNS, _rows(org_b.item, 40))  # the twin: untouched
    ids = list(AffectedAsset.objects.filter(item=item).order_by("asset_key")
               .values_list("pk", flat=True))
    later = START + timedelta(days=30)
    eastern = timezone(timedelta(hours=-5))
    groups = {later: ids[:25], datetime(2026, 12, 2, 7, 0, tzinfo=eastern): ids[25:39]}
    bulk.set_by_ids(AffectedAsset, "last_seen", groups)
    seen = dict(AffectedAsset.objects.filter(item=item).values_list("pk", "last_seen"))
    assert [seen[pk] for pk in ids[:25]] == [later] * 25
    assert [seen[pk] for pk in ids[25:39]] == [datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)] * 14
    assert seen[ids[39]] == START + timedelta(minutes=39 % 7)
    twins = AffectedAsset.objects.filter(item=org_b.item).values_list("last_seen", flat=True)
    assert later not in set(twins) and len(twins) == 40
