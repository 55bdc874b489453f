"""The search index can be deferred during a bulk import and rebuilt once at its end.

The triggers of 0006_web rewrote an item's search row on every asset insert: an
item found on 100 hosts was rewritten 100 times, each time longer. The triggers
now do nothing while the import's transaction holds a row in
``tracker_itemsearch_deferred`` (``tracker.search.deferred``), which then rebuilds
the rows of the items it touched in one statement. The row is inserted and
deleted inside that one transaction, so no other connection ever sees it and
every other writer keeps the index current through the triggers as before.
"""

import importlib

from django.db import migrations

_web = importlib.import_module("openpoam.tracker.migrations.0006_web")
_BODY, _ASSET = _web._BODY, _web._ASSET

FLAG = "tracker_itemsearch_deferred"
_ACTIVE = f"NOT EXISTS (SELECT 1 FROM {FLAG})"

SQLITE = [
    f"CREATE TABLE {FLAG} (id integer PRIMARY KEY)",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_insert",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_update",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_asset_insert",
    f"CREATE TRIGGER tracker_itemsearch_item_insert AFTER INSERT ON tracker_poamitem "
    f"WHEN {_ACTIVE} BEGIN "
    f"INSERT INTO tracker_itemsearch(rowid, body, assets) VALUES (new.id, {_BODY}, ''); END",
    f"CREATE TRIGGER tracker_itemsearch_item_update AFTER UPDATE OF title, poam_id, "
    f"weakness_description, source_identifier ON tracker_poamitem WHEN {_ACTIVE} BEGIN "
    f"UPDATE tracker_itemsearch SET body = {_BODY} WHERE rowid = new.id; END",
    f"CREATE TRIGGER tracker_itemsearch_asset_insert AFTER INSERT ON tracker_affectedasset "
    f"WHEN {_ACTIVE} BEGIN UPDATE tracker_itemsearch SET assets = assets || ' ' || {_ASSET} "
    f"WHERE rowid = new.item_id; END",
    # An earlier migration that adds item columns remakes tracker_poamitem on SQLite, which
    # drops its triggers: the delete trigger of 0006_web is made again here too.
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_delete",
    *[sql for sql in _web.SQLITE if sql.startswith("CREATE TRIGGER tracker_itemsearch_item_delete")],
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_insert",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_update",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_asset_insert",
    *[sql for sql in _web.SQLITE if sql.startswith("CREATE TRIGGER")
      and "item_delete" not in sql],
    f"DROP TABLE IF EXISTS {FLAG}",
]

POSTGRES = [
    f"CREATE TABLE {FLAG} (id integer PRIMARY KEY)",
    f"""CREATE OR REPLACE FUNCTION tracker_itemsearch_item() RETURNS trigger AS $$ BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM tracker_itemsearch WHERE item_id = old.id; RETURN old;
      END IF;
      IF EXISTS (SELECT 1 FROM {FLAG}) THEN RETURN new; END IF;
      INSERT INTO tracker_itemsearch(item_id, body, assets) VALUES (new.id, {_BODY}, '')
        ON CONFLICT (item_id) DO UPDATE SET body = excluded.body,
        assets = CASE WHEN TG_OP = 'INSERT' THEN '' ELSE tracker_itemsearch.assets END;
      RETURN new;
    END $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION tracker_itemsearch_asset() RETURNS trigger AS $$ BEGIN
      IF EXISTS (SELECT 1 FROM {FLAG}) THEN RETURN new; END IF;
      UPDATE tracker_itemsearch SET assets = assets || ' ' || {_ASSET}
        WHERE item_id = new.item_id;
      RETURN new;
    END $$ LANGUAGE plpgsql""",
]
POSTGRES_REVERSE = [
    *[sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION") for sql in _web.POSTGRES
      if sql.startswith("CREATE FUNCTION")],
    f"DROP TABLE IF EXISTS {FLAG}",
]


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0009_emass_rmf"),
    ]

    operations = [
        migrations.RunPython(_web._run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _web._run({"sqlite": SQLITE_REVERSE,
                                        "postgresql": POSTGRES_REVERSE})),
    ]
