"""Comments and approval requests on items, and the full-text search index.

The search index is vendor-specific SQL: an FTS5 table on SQLite, a table with a
generated tsvector and a GIN index on PostgreSQL, both filled by triggers so that
every writer (services and the bulk import's raw inserts) keeps it current.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Text of an item that search reads: its words, not its numbers or dates.
_BODY = ("new.title || ' ' || new.poam_id || ' ' || new.weakness_description || ' ' "
         "|| new.source_identifier")
_ASSET = "new.name || ' ' || new.ip || ' ' || new.fqdn"

SQLITE = [
    "CREATE VIRTUAL TABLE tracker_itemsearch USING fts5(body, assets, tokenize='unicode61')",
    "INSERT INTO tracker_itemsearch(rowid, body, assets) SELECT i.id, i.title || ' ' || "
    "i.poam_id || ' ' || i.weakness_description || ' ' || i.source_identifier, "
    "coalesce((SELECT group_concat(a.name || ' ' || a.ip || ' ' || a.fqdn, ' ') "
    "FROM tracker_affectedasset a WHERE a.item_id = i.id), '') FROM tracker_poamitem i",
    f"CREATE TRIGGER tracker_itemsearch_item_insert AFTER INSERT ON tracker_poamitem BEGIN "
    f"INSERT INTO tracker_itemsearch(rowid, body, assets) VALUES (new.id, {_BODY}, ''); END",
    f"CREATE TRIGGER tracker_itemsearch_item_update AFTER UPDATE OF title, poam_id, "
    f"weakness_description, source_identifier ON tracker_poamitem BEGIN "
    f"UPDATE tracker_itemsearch SET body = {_BODY} WHERE rowid = new.id; END",
    "CREATE TRIGGER tracker_itemsearch_item_delete AFTER DELETE ON tracker_poamitem BEGIN "
    "DELETE FROM tracker_itemsearch WHERE rowid = old.id; END",
    f"CREATE TRIGGER tracker_itemsearch_asset_insert AFTER INSERT ON tracker_affectedasset "
    f"BEGIN UPDATE tracker_itemsearch SET assets = assets || ' ' || {_ASSET} "
    f"WHERE rowid = new.item_id; END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS tracker_itemsearch_asset_insert",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_delete",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_update",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item_insert",
    "DROP TABLE IF EXISTS tracker_itemsearch",
]

POSTGRES = [
    # No foreign key: a flush truncates the item table, and the insert trigger upserts.
    "CREATE TABLE tracker_itemsearch (item_id bigint PRIMARY KEY, body text NOT NULL, "
    "assets text NOT NULL DEFAULT '', document tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', regexp_replace(lower(body || ' ' || assets), "
    "'[^[:alnum:]]+', ' ', 'g'))) STORED)",
    "CREATE INDEX tracker_itemsearch_document ON tracker_itemsearch USING gin (document)",
    "INSERT INTO tracker_itemsearch(item_id, body, assets) SELECT i.id, i.title || ' ' || "
    "i.poam_id || ' ' || i.weakness_description || ' ' || i.source_identifier, "
    "coalesce((SELECT string_agg(a.name || ' ' || a.ip || ' ' || a.fqdn, ' ') "
    "FROM tracker_affectedasset a WHERE a.item_id = i.id), '') FROM tracker_poamitem i",
    f"""CREATE FUNCTION tracker_itemsearch_item() RETURNS trigger AS $$ BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM tracker_itemsearch WHERE item_id = old.id; RETURN old;
      END IF;
      INSERT INTO tracker_itemsearch(item_id, body, assets) VALUES (new.id, {_BODY}, '')
        ON CONFLICT (item_id) DO UPDATE SET body = excluded.body,
        assets = CASE WHEN TG_OP = 'INSERT' THEN '' ELSE tracker_itemsearch.assets END;
      RETURN new;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER tracker_itemsearch_item AFTER INSERT OR UPDATE OF title, poam_id, "
    "weakness_description, source_identifier OR DELETE ON tracker_poamitem "
    "FOR EACH ROW EXECUTE FUNCTION tracker_itemsearch_item()",
    f"""CREATE FUNCTION tracker_itemsearch_asset() RETURNS trigger AS $$ BEGIN
      UPDATE tracker_itemsearch SET assets = assets || ' ' || {_ASSET}
        WHERE item_id = new.item_id;
      RETURN new;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER tracker_itemsearch_asset AFTER INSERT ON tracker_affectedasset "
    "FOR EACH ROW EXECUTE FUNCTION tracker_itemsearch_asset()",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS tracker_itemsearch_asset ON tracker_affectedasset",
    "DROP TRIGGER IF EXISTS tracker_itemsearch_item ON tracker_poamitem",
    "DROP FUNCTION IF EXISTS tracker_itemsearch_asset()",
    "DROP FUNCTION IF EXISTS tracker_itemsearch_item()",
    "DROP TABLE IF EXISTS tracker_itemsearch",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0005_scale"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Comment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("author_name", models.CharField(max_length=200)),
                ("text", models.TextField()),
                ("created_at", models.DateTimeField()),
                ("author", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("item", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="discussion", to="tracker.poamitem")),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="ApprovalRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("risk_acceptance", "Risk acceptance"), ("false_positive", "False positive"), ("risk_adjustment", "Risk adjustment"), ("operational_requirement", "Operational requirement")], max_length=30)),
                ("state", models.CharField(choices=[("pending", "Pending"), ("approved", "Approved"), ("rejected", "Rejected"), ("withdrawn", "Withdrawn")], default="pending", max_length=10)),
                ("rationale", models.TextField()),
                ("review_date", models.DateField(blank=True, null=True)),
                ("proposed_risk", models.CharField(blank=True, max_length=10)),
                ("requested_by_name", models.CharField(max_length=200)),
                ("requested_at", models.DateTimeField()),
                ("decided_by_name", models.CharField(blank=True, max_length=200)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_note", models.TextField(blank=True)),
                ("decided_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("item", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="requests", to="tracker.poamitem")),
                ("requested_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-requested_at", "-id"],
                "indexes": [models.Index(fields=["state", "item"], name="tracker_app_state_4dfe36_idx")],
            },
        ),
        migrations.AddIndex(
            model_name="poamitem",
            index=models.Index(fields=["system", "poam_id"], name="item_system_poam_id"),
        ),
        migrations.AddIndex(
            model_name="poamitem",
            index=models.Index(fields=["system", "scheduled_completion", "poam_id", "status"],
                               name="item_system_due"),
        ),
        migrations.AddIndex(
            model_name="poamitem",
            index=models.Index(fields=["system", "status", "scheduled_completion",
                                       "original_risk", "adjusted_risk", "detected_on",
                                       "status_date", "updated_at"],
                               name="item_list_filters"),
        ),
        migrations.AddIndex(
            model_name="milestone",
            index=models.Index(fields=["completed_on", "current_due"],
                               name="milestone_open_due"),
        ),
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE})),
    ]
