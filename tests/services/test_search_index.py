"""The search index after imports and single edits: a bulk import rebuilds the rows of
the items it wrote in one statement (tracker.search.deferred), single edits keep them
current through the triggers; on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpoam.domain.poam import AffectedAsset
from openpoam.tracker import search
from openpoam.tracker.models import PoamItem
from openpoam.tracker.services import imports, items, setup

from .conftest import ROOT
from .test_imports import nessus
from .test_poam_import import _document, _item, _write


def found(system, text: str) -> set[str]:
    """The source identifiers (plugin ids) or titles of the items a list search finds."""
    rows = PoamItem.objects.filter(system=system, pk__in=search.matching_ids(text))
    return {row.scan_weakness_id or row.title for row in rows}


def scan(tmp_path, name: str, plugins: range, hosts: int, first: int = 1) -> object:
    """Every plugin on every host 10.0.<n>.<n>; plugin 1001 names 'Plugin 1001'."""
    return nessus(tmp_path, name, {f"10.0.{h}.{h}": [(p, 443) for p in plugins]
                                   for h in range(first, first + hosts)})


def test_a_scan_import_is_found_by_title_description_id_and_every_asset(system, tmp_path):
    imports.import_file(ROOT, system, scan(tmp_path, "june.nessus", range(1001, 1004), 30))
    assert found(system, "plugin 1002") == {"1002"}  # title
    assert found(system, "synopsis") == {"1001", "1002", "1003"}  # description, common word
    assert found(system, "1003") == {"1003"}  # source identifier
    assert found(system, "10.0.1.1") == {"1001", "1002", "1003"}  # first asset
    assert found(system, "10.0.30.30") == {"1001", "1002", "1003"}  # last asset
    assert found(system, "10.0.31.31") == set()
    poam_id = PoamItem.objects.get(system=system, scan_weakness_id="1001").poam_id
    assert found(system, poam_id) == {"1001"}


def test_next_months_new_hosts_and_weaknesses_are_found(system, tmp_path):
    imports.import_file(ROOT, system, scan(tmp_path, "june.nessus", range(1001, 1003), 3))
    july = nessus(tmp_path, "july.nessus", {
        "10.0.1.1": [(1001, 443), (1002, 443)], "10.0.77.77": [(1001, 443), (1009, 443)]},
        when="Wed Jul  3 10:00:00 2024")
    imports.import_file(ROOT, system, july)
    assert found(system, "10.0.77.77") == {"1001", "1009"}  # new asset of an item, new item
    assert found(system, "10.0.2.2") == {"1001", "1002"}  # June's assets kept
    assert found(system, "plugin 1009") == {"1009"}


def test_single_edits_after_an_import_keep_the_index_current(system, tmp_path):
    imports.import_file(ROOT, system, scan(tmp_path, "june.nessus", range(1001, 1003), 5))
    first = PoamItem.objects.get(system=system, scan_weakness_id="1001")
    items.update_item(ROOT, first, {"title": "Kerberos ticket lifetime"})
    items.add_asset(ROOT, first, AffectedAsset(name="kiosk7.plant.test"))
    made = items.create_item(ROOT, system, title="Badge reader firmware",
                             detected_on=date(2026, 10, 1), original_risk="low")
    items.add_asset(ROOT, made, AffectedAsset(name="door4.plant.test"))
    assert found(system, "kerberos") == {"1001"}
    assert found(system, "plugin 1001") == set()  # the old title is gone
    assert found(system, "kiosk7") == {"1001"}
    assert found(system, "10.0.5.5") == {"1001", "1002"}  # imported assets stay
    assert found(system, "door4") == {"Badge reader firmware"}
    items.delete_item(ROOT, made, "entered twice")
    assert found(system, "door4") == set()


def test_a_poam_file_import_is_found_by_its_assets_and_titles(cloud_system, tmp_path):
    rows = [_item(f"EXT-{n}") for n in range(1, 4)]
    rows[1].assets.append(AffectedAsset(name="ledger02.corp.test", ip="10.9.9.2"))
    imports.import_file(ROOT, cloud_system, _write(tmp_path, _document(*rows)))
    assert found(cloud_system, "ledger02") == {"Weakness EXT-2"}
    assert found(cloud_system, "10.9.9.2") == {"Weakness EXT-2"}
    assert found(cloud_system, "web01") == {f"Weakness EXT-{n}" for n in range(1, 4)}
    assert found(cloud_system, "weakness ext 3") == {"Weakness EXT-3"}


def test_a_failed_import_leaves_the_triggers_on(system, tmp_path):
    """The deferral is undone with the transaction: later edits are indexed."""
    with pytest.raises(RuntimeError):
        with search.deferred():
            raise RuntimeError("the import failed")
    made = items.create_item(ROOT, system, title="Orphaned service account",
                             detected_on=date(2026, 10, 1), original_risk="low")
    items.add_asset(ROOT, made, AffectedAsset(name="ldap3.corp.test"))
    assert found(system, "orphaned") == {"Orphaned service account"}
    assert found(system, "ldap3") == {"Orphaned service account"}


# ---- the guard: work on the search table does not grow with the number of assets -------

def _search_writes() -> int:
    """Rows written to the search table so far in this transaction: PostgreSQL counts them
    per transaction; on SQLite a temporary trigger counts the FTS5 content rows written."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) "
                           "FROM pg_stat_xact_user_tables WHERE relname = %s", [search.TABLE])
        else:
            cursor.execute("SELECT count(*) FROM temp.search_writes")
        return cursor.fetchone()[0]


@pytest.fixture
def counted(db):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE search_writes (n integer)")
            cursor.execute(f"CREATE TEMP TRIGGER search_write AFTER INSERT ON "
                           f"main.{search.TABLE}_content BEGIN "
                           "INSERT INTO search_writes VALUES (1); END")
    yield _search_writes
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER temp.search_write")
            cursor.execute("DROP TABLE temp.search_writes")


def _import_counting(system, path) -> tuple[int, int]:
    """(statements naming the search table, search rows written) of one import."""
    before = _search_writes()
    with CaptureQueriesContext(connection) as queries:
        imports.import_file(ROOT, system, path)
    table = re.compile(rf"\b{search.TABLE}\b")  # not the deferral flag's table
    statements = sum(bool(table.search(q["sql"])) for q in queries.captured_queries)
    return statements, _search_writes() - before


@pytest.mark.parametrize("hosts", [2, 60])
def test_a_scan_import_writes_each_items_search_row_once(system, tmp_path, counted, hosts):
    """8 weaknesses on 2 or on 60 hosts: one statement on the search table and one row
    per item, not one per asset (the per-asset trigger wrote 8 x 60 rows)."""
    path = scan(tmp_path, "june.nessus", range(1001, 1009), hosts)
    assert _import_counting(system, path) == (1, 8)
    july = scan(tmp_path, "july.nessus", range(1001, 1009), hosts, first=hosts + 1)
    # next month: every item gains `hosts` new assets; still one row each
    assert _import_counting(system, july) == (1, 8)
    assert found(system, f"10.0.{2 * hosts}.{2 * hosts}") == {str(p) for p in range(1001, 1009)}


def test_a_poam_file_import_writes_each_items_search_row_once(cloud_system, tmp_path,
                                                              counted):
    rows = [_item(f"EXT-{n}") for n in range(1, 6)]
    for row in rows:
        row.assets += [AffectedAsset(name=f"node{k}.corp.test") for k in range(40)]
    assert _import_counting(cloud_system, _write(tmp_path, _document(*rows))) == (1, 5)
    assert found(cloud_system, "node39") == {f"Weakness EXT-{n}" for n in range(1, 6)}


def test_single_edits_write_through_the_triggers(system, counted):
    made = items.create_item(ROOT, system, title="Stale TLS certificate",
                             detected_on=date(2026, 10, 1), original_risk="low")
    items.add_asset(ROOT, made, AffectedAsset(name="proxy1.corp.test"))
    assert counted() >= 2 and found(system, "proxy1") == {"Stale TLS certificate"}


@pytest.fixture
def cloud_system(org):
    return setup.create_system(ROOT, org, slug="cloud", name="Cloud",
                               framework="fedramp-moderate", impact_level="Moderate")
